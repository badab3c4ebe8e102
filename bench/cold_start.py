"""Cold start: `import function_app`, then the first request, against a bare FunctionApp.

Each run is a fresh interpreter (the same Python as this run, cwd the project), as a new
Functions worker is, so it pays for every module it imports. One untimed run of each first, so
all read compiled .pyc files (but one: below). Timed with time.perf_counter in each interpreter:

- start-up: `import function_app` (the issue's measure; goal within 1.5x of the bare app's);
- cold start: start-up, the worker's indexing (`get_functions()` and each function.json), then
  the first request, called as the worker calls a function: GET /api/facilities/{id} through
  the real path (session, tenant transaction, repository, PostgreSQL) on a throwaway database,
  with the pool's first connection.

Four runs, interleaved: function_app (a proxy per function from functions/index.py, each
blueprint imported on first use); `eager`, every blueprint imported at start-up and the
settings read, as function_app did before the index; the floor, a bare FunctionApp with one
route that imports psycopg2, connects as the same role and reads one row: the least a function
that answers from PostgreSQL does; and function_app again from a copy of the project's sources
without their .pyc files, as a read-only package without them runs (DEPLOYMENT.md). The cold
start rule: after `import function_app`, none of HEAVY is in sys.modules (they are imported
where they are used).
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 21                      # fresh interpreters each: the median of many
HEAVY = ("stripe", "azure.identity", "argon2", "cryptography", "pyotp", "segno")

BARE_APP = '''"""The floor: a FunctionApp with one route that reads one row from PostgreSQL."""
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="facilities/{id}", methods=["GET"])
def get_facility(req: func.HttpRequest) -> func.HttpResponse:
    import os

    import psycopg2
    conn = psycopg2.connect(host=os.environ["DB_HOST"], port=os.environ["DB_PORT"],
                            dbname=os.environ["DB_NAME"], user=os.environ["DB_USER"],
                            password=os.environ.get("DB_PASSWORD"))
    with conn.cursor() as cur:
        cur.execute("SELECT %s::text", (req.route_params["id"],))
        body = cur.fetchone()[0]
    conn.close()
    return func.HttpResponse(body, status_code=200)
'''

EAGER_APP = '''"""Every blueprint imported at start-up and the settings read, as function_app was before
functions/index.py."""
import azure.functions as func

from shared.routing import blueprints_app
from shared.settings import get_settings

get_settings()
app = blueprints_app(func.AuthLevel.ANONYMOUS)
'''

PROBE = '''
import json, sys, time
sys.path.insert(1, {floor_dir!r})
started = time.perf_counter()
import {module}
imported = time.perf_counter()
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
modules = len(sys.modules)
import azure.functions as func
functions = {{f.get_function_name(): f for f in {module}.app.get_functions()}}
[f.get_function_json() for f in functions.values()]  # what the worker sends the host
indexed = time.perf_counter()
request = func.HttpRequest(method="GET", url="http://localhost/api/facilities/{facility_id}",
                           headers={headers!r}, params={{}},
                           route_params={{"id": "{facility_id}"}}, body=b"")
response = functions["get_facility"].get_user_function()(request)
answered = time.perf_counter()
if response.status_code != 200:
    sys.exit(f"GET /api/facilities/{{{{id}}}} answered {{response.status_code}}: {{response.get_body()}}")
print(json.dumps({{"import": imported - started, "index": indexed - imported,
                  "request": answered - indexed, "modules": modules, "heavy": heavy}}))
'''

# (name, module, run from a copy of the sources without their .pyc files)
APPS = (("function_app", "function_app", False), ("eager", "eager_function_app", False),
        ("bare", "bare_function_app", False), ("uncompiled", "function_app", True))
# What a deployment package holds of the project: the copy run without .pyc files.
SOURCES = ("function_app.py", "host.json", "functions", "shared")
LABELS = {"function_app": "function_app", "eager": "eager (every blueprint at start-up)",
          "bare": "bare FunctionApp", "uncompiled": "function_app without the project's .pyc"}


@dataclass(frozen=True)
class Timing:
    """Medians, in ms, of one app's fresh interpreters."""
    import_ms: float
    index_ms: float
    request_ms: float
    modules: int

    @property
    def cold_ms(self) -> float:
        return self.import_ms + self.index_ms + self.request_ms


@dataclass(frozen=True)
class Result:
    app: Timing
    eager: Timing
    bare: Timing
    uncompiled: Timing   # function_app compiling the project's sources as it imports them
    heavy_loaded: list[str]
    runs: int

    @property
    def ratio(self) -> float:
        """Start-up: the issue's measure."""
        return self.app.import_ms / self.bare.import_ms

    @property
    def cold_ratio(self) -> float:
        """Start-up, indexing and the first request: what a user waits for."""
        return self.app.cold_ms / self.bare.cold_ms

    @property
    def eager_ratio(self) -> float:
        return self.eager.import_ms / self.bare.import_ms

    @property
    def eager_cold_ratio(self) -> float:
        return self.eager.cold_ms / self.bare.cold_ms


def _probe(module: str, floor_dir: str, facility_id: str, headers: dict,
           uncompiled_copy: str | None = None, write_bytecode: bool = False) -> dict:
    code = PROBE.format(floor_dir=floor_dir, module=module, heavy=HEAVY,
                        facility_id=facility_id, headers=headers)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if uncompiled_copy:
        # As a read-only package without them (where Python cannot write them either).
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    elif write_bytecode:
        # A deployment ships (or writes, on its first start) the .pyc files: without them each
        # start would also compile the project's sources, which PYTHONDONTWRITEBYTECODE in the
        # environment would otherwise make every run here do.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=uncompiled_copy or ROOT,
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"the cold start of {module} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _import_profile(floor_dir: str, facility_id: str, headers: dict,
                    top: int = 6) -> tuple[list, list]:
    """From one `-X importtime` run of function_app's cold start (import, first request): the
    top-level imports by cumulative time, and the modules with the largest self time (their own
    top-level code)."""
    code = PROBE.format(floor_dir=floor_dir, module="function_app", heavy=HEAVY,
                        facility_id=facility_id, headers=headers)
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    entries = []  # (depth, name, self ms, cumulative ms)
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        if not own.strip().isdigit():
            continue  # the header line
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        entries.append((depth, name.strip(), int(own) / 1000, int(cumulative) / 1000))
    top_level = sorted(((n, c) for d, n, _, c in entries if d == 0), key=lambda e: -e[1])[:top]
    own = sorted(((n, s) for _, n, s, _ in entries), key=lambda e: -e[1])[:top]
    return top_level, own


def _median(runs: list[dict]) -> Timing:
    return Timing(*(statistics.median(r[phase] for r in runs) * 1000
                    for phase in ("import", "index", "request")), modules=runs[0]["modules"])


def run(target) -> Result:
    """On a throwaway database (bench.database): the facility GET benchmark's data."""
    from bench import facilities_get
    from function_app import app
    from local.router import Router

    print("\n== cold start: import function_app, then the first request, vs. a bare FunctionApp ==")
    scenario = facilities_get.seed(Router(app), target)
    facility_id, headers = str(scenario.facility_id), scenario.headers
    with tempfile.TemporaryDirectory(prefix="snf-bench-") as floor_dir:
        Path(floor_dir, "bare_function_app.py").write_text(BARE_APP)
        Path(floor_dir, "eager_function_app.py").write_text(EAGER_APP)
        copy = Path(floor_dir, "uncompiled")
        copy.mkdir()
        for source in SOURCES:
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, copy / source,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(ROOT / source, copy / source)
        probes = {name: dict(module=module, uncompiled_copy=str(copy) if uncompiled else None)
                  for name, module, uncompiled in APPS}
        for probe in probes.values():  # untimed: .pyc files, disk cache
            _probe(floor_dir=floor_dir, facility_id=facility_id, headers=headers,
                   write_bytecode=True, **probe)
        runs: dict[str, list[dict]] = {name: [] for name in probes}
        for i in range(RUNS):
            order = list(probes)[i % len(probes):] + list(probes)[:i % len(probes)]
            for name in order:  # each goes first as often
                runs[name].append(_probe(floor_dir=floor_dir, facility_id=facility_id,
                                         headers=headers, **probes[name]))
        top_level, own = _import_profile(floor_dir, facility_id, headers)
    result = Result(app=_median(runs["function_app"]), eager=_median(runs["eager"]),
                    bare=_median(runs["bare"]), uncompiled=_median(runs["uncompiled"]),
                    heavy_loaded=sorted({m for r in runs["function_app"] for m in r["heavy"]}),
                    runs=RUNS)
    print(f"{RUNS} fresh interpreters each, timed with time.perf_counter; medians in ms "
          "(import, indexing, first request GET /api/facilities/{id}):")
    for name, timing in (("function_app", result.app), ("eager", result.eager),
                         ("bare", result.bare), ("uncompiled", result.uncompiled)):
        each = ", ".join(f"{r['import'] * 1000:.0f}" for r in runs[name])
        print(f"  {LABELS[name]:44} import {timing.import_ms:.0f}, index {timing.index_ms:.1f}, "
              f"first request {timing.request_ms:.0f}, in all {timing.cold_ms:.0f} "
              f"({timing.modules} modules after import; imports: {each})")
    print(f"start-up, function_app / bare: {result.ratio:.2f}x (eager: {result.eager_ratio:.2f}x)")
    print(f"start-up + first request, function_app / bare: {result.cold_ratio:.2f}x "
          f"(eager: {result.eager_cold_ratio:.2f}x); without the project's .pyc files "
          f"{result.uncompiled.cold_ms - result.app.cold_ms:+.0f} ms")
    print("one -X importtime run of function_app's import and first request:")
    print("  largest imports (cumulative): "
          + ", ".join(f"{name} {ms:.0f} ms" for name, ms in top_level))
    print("  largest self times (a module's own top-level code): "
          + ", ".join(f"{name} {ms:.0f} ms" for name, ms in own))
    if result.heavy_loaded:
        print("COLD START RULE BROKEN: after import function_app, sys.modules has "
              + ", ".join(result.heavy_loaded))
    else:
        print(f"cold start rule holds: {' and '.join(HEAVY)} are not in sys.modules "
              "after import function_app")
    return result
