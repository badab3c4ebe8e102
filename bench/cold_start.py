"""Cold start: importing `function_app` against importing a FunctionApp with one empty route.

Each import is timed with time.perf_counter inside a fresh interpreter (the same Python as this
run, cwd the project), so every run pays for every module the import pulls in, as a new Functions
worker does. One untimed run of each first, so both read compiled .pyc files. The cold start rule:
after `import function_app`, none of HEAVY is in sys.modules (they are imported where they are
used).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15                      # fresh interpreters each: the median of many
HEAVY = ("stripe", "azure.identity", "argon2", "cryptography", "pyotp", "segno")

BARE_APP = '''"""The floor: a FunctionApp with one empty route."""
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="empty", methods=["GET"])
def empty(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(status_code=204)
'''

PROBE = '''
import json, sys, time
sys.path.insert(1, {floor_dir!r})
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
print(json.dumps({{"seconds": elapsed, "modules": len(sys.modules),
                  "heavy": sorted(m for m in {heavy!r} if m in sys.modules)}}))
'''


@dataclass(frozen=True)
class Result:
    app_ms: float
    bare_ms: float
    app_modules: int
    bare_modules: int
    heavy_loaded: list[str]

    @property
    def ratio(self) -> float:
        return self.app_ms / self.bare_ms


def _probe(module: str, floor_dir: str, write_bytecode: bool = False) -> dict:
    code = PROBE.format(floor_dir=floor_dir, module=module, heavy=HEAVY)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if write_bytecode:
        # A deployment ships (or writes, on its first start) the .pyc files: without them each
        # start would also compile the project's sources, which PYTHONDONTWRITEBYTECODE in the
        # environment would otherwise make every run here do.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env=env)
    if out.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _import_profile(top: int = 5) -> tuple[list, list]:
    """From one `-X importtime` run: the direct imports of function_app by cumulative time, and
    the modules with the largest self time (their own top-level code) anywhere under it."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import function_app"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    entries = []  # (depth, name, self ms, cumulative ms), children before their parent
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        if not own.strip().isdigit():
            continue  # the header line
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        entries.append((depth, name.strip(), int(own) / 1000, int(cumulative) / 1000))
    end = next(i for i, e in enumerate(entries) if e[0] == 0 and e[1] == "function_app")
    start = max((i + 1 for i, e in enumerate(entries[:end]) if e[0] == 0), default=0)
    under = entries[start:end]
    direct = sorted(((n, c) for d, n, _, c in under if d == 1), key=lambda e: -e[1])[:top]
    own = sorted(((n, s) for _, n, s, _ in under + [entries[end]]), key=lambda e: -e[1])[:top]
    return direct, own


def run() -> Result:
    print("\n== cold start: import function_app vs. a bare FunctionApp with one empty route ==")
    with tempfile.TemporaryDirectory(prefix="snf-bench-") as floor_dir:
        Path(floor_dir, "bare_function_app.py").write_text(BARE_APP)
        _probe("function_app", floor_dir, write_bytecode=True)  # untimed: .pyc files, disk
        _probe("bare_function_app", floor_dir, write_bytecode=True)
        app_runs, bare_runs = [], []
        for i in range(RUNS):
            pair = [("function_app", app_runs), ("bare_function_app", bare_runs)]
            for module, runs in (pair if i % 2 == 0 else pair[::-1]):
                runs.append(_probe(module, floor_dir))
        direct, own = _import_profile()
    app_ms = statistics.median(r["seconds"] for r in app_runs) * 1000
    bare_ms = statistics.median(r["seconds"] for r in bare_runs) * 1000
    heavy = sorted({m for r in app_runs for m in r["heavy"]})
    print(f"{RUNS} fresh interpreters each, import timed with time.perf_counter")
    for label, median, runs in (("import function_app:    ", app_ms, app_runs),
                                ("import bare FunctionApp:", bare_ms, bare_runs)):
        each = ", ".join(f"{r['seconds'] * 1000:.0f}" for r in runs)
        print(f"{label} median {median:.0f} ms (runs: {each}; "
              f"{runs[0]['modules']} modules loaded)")
    print(f"ratio function_app / bare: {app_ms / bare_ms:.2f}x")
    print("one -X importtime run of function_app:")
    print("  largest direct imports (cumulative): "
          + ", ".join(f"{name} {ms:.0f} ms" for name, ms in direct))
    print("  largest self times (a module's own top-level code): "
          + ", ".join(f"{name} {ms:.0f} ms" for name, ms in own))
    if heavy:
        print(f"COLD START RULE BROKEN: after import function_app, sys.modules has {', '.join(heavy)}")
    else:
        print(f"cold start rule holds: {' and '.join(HEAVY)} are not in sys.modules "
              "after import function_app")
    return Result(app_ms, bare_ms, app_runs[0]["modules"], bare_runs[0]["modules"], heavy)
