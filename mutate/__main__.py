"""python -m mutate: mutation testing (mutmut) of the code that keeps tenants apart, guards
sign-in, screens PHI and computes money; prints the kill rate per module.

    python -m mutate                            # every module below (make mutate)
    python -m mutate shared/phi.py shared/db.py # some of them (make mutate MODULE=...)
    python -m mutate --report                   # the figures of the last runs, even unfinished
    python -m mutate --survivors shared/phi.py  # only the last run's survivors, against new tests
    python -m mutate --workers 2 shared/engine/evaluation.py  # its mutants shared by 2 copies

Each module is mutated in its own throwaway copy of the project (never in this work tree), one
copy a worker, each worker testing its own share of the mutants; each mutant runs only the test
files that cover that module, stopping at the first failure.
Survivors are written with their diffs to .mutate/survivors/. A surviving mutant that cannot
change behaviour is listed in EQUIVALENT below with the reason, and left out of the kill rate."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".mutate"

# module -> the test files that cover it. A new guard module gets a line here.
MODULES: dict[str, tuple[str, ...]] = {
    "shared/phi.py": ("tests/shared/test_phi.py", "tests/shared/test_phi_names.py"),
    # Legacy (Werkzeug) hashes: verified, refused with a log line, replaced at sign-in.
    "shared/security.py": ("tests/shared/test_security.py",
                           "tests/shared/test_werkzeug_hashes.py", "tests/legacy/test_logins.py"),
    # A session's last use (sessions) and a closed organization's read-only answer (closing).
    "shared/tenancy.py": ("tests/shared/test_tenancy.py", "tests/functions/test_routes.py",
                          "tests/functions/test_sessions.py", "tests/functions/test_closing.py"),
    # Signups per address (signup rules) are counted by the throttle too.
    "shared/services/throttle.py": ("tests/functions/test_sign_in_protection.py",
                                    "tests/functions/test_signup_rules.py"),
    "shared/repositories/sign_in_throttle.py": ("tests/functions/test_sign_in_protection.py",),
    "shared/db.py": ("tests/shared/test_db.py", "tests/test_cross_tenant_scopes.py"),
    # Two-factor sign-in: the codes (RFC 6238) and the key sealed at rest.
    "shared/totp.py": ("tests/shared/test_totp.py",),
    "shared/sealing.py": ("tests/shared/test_sealing.py",),
    "shared/engine/money.py": ("tests/shared/test_engine.py", "tests/shared/test_pdpm.py"),
    # The engine's tests first: they need no database, so most mutants die before one is made.
    "shared/engine/pdpm.py": ("tests/shared/test_engine.py", "tests/shared/test_engine_medicare.py",
                              "tests/shared/test_pdpm.py", "tests/shared/test_fiscal_years.py",
                              "tests/shared/test_fiscal_years_data.py"),
    # Pure tests only (no database), so its 700 mutants take minutes, not hours.
    "shared/engine/evaluation.py": ("tests/shared/test_engine.py",
                                    "tests/shared/test_engine_medicare.py",
                                    "tests/shared/test_fiscal_years.py",
                                    "tests/shared/test_engine_costs.py"),
}
# Surviving mutants that cannot change behaviour: (line removed, line added or "") -> why
# (lines removed together, of a statement over several lines, joined by "\n").
# They are left out of the kill rate; any other survivor needs a test.
EQUIVALENT: dict[str, dict[tuple[str, str], str]] = {
    "shared/totp.py": {
        ("return int((time.time() if now is None else now) // STEP_SECONDS)",
         "return int((time.time() if now is None else now) / STEP_SECONDS)"):
            "int() truncates, which is floor division for the positive times of the clock",
    },
    "shared/security.py": {
        ("@lru_cache(maxsize=1)", "@lru_cache(maxsize=2)"):
            "a function without arguments caches one value whatever the size",
        ("return _hasher.hash(secrets.token_urlsafe(16))",
         "return _hasher.hash(secrets.token_urlsafe(17))"):
            "the dummy password is random and never known: any length does",
        # The statement spans two lines: the removed lines are joined by a newline.
        ("return (_hasher.verify(password_hash or _dummy_hash(), password)\n"
         "and password_hash is not None)",
         "return (_hasher.verify(password_hash or _dummy_hash(), password) or password_hash "
         "is not None)"):
            "verify() returns True or raises; True with no hash needs the random dummy password",
        ('password_hash = None', 'password_hash = ""'):
            "an empty hash is verified against the random dummy, whose password is never known",
    },
}
EQUIVALENT["shared/phi.py"] = {
    ("@lru_cache(maxsize=1)", "@lru_cache(maxsize=2)"):
        "a function without arguments caches one value whatever the size",
    # The shipped name file (shared/data/person-names.txt) opens with a [section] line.
    ('current = None', 'current = ""'):
        "a word before any section fails either way (neither None nor a str has .add)",
    ('current = sections.setdefault(line.strip("[]"), set())',
     'current = sections.setdefault(line.strip("XX[]XX"), set())'):
        "no section name (honorific, first, last) begins or ends with an X",
}
EQUIVALENT["shared/tenancy.py"] = {
    ('scheme, _, token = (authorization or "").partition(" ")',
     'scheme, _, token = (authorization or "XXXX").partition(" ")'):
        "any text without a space is as much not a bearer scheme as the empty one",
    # caller_of, the one place a Caller is made, passes every field.
    ("organization_closed_at: datetime | None = None",
     'organization_closed_at: datetime | None = ""'):
        "caller_of, the only maker of a Caller, always passes it: the default is unread",
    ("organization_deletes_at: datetime | None = None",
     'organization_deletes_at: datetime | None = ""'):
        "caller_of, the only maker of a Caller, always passes it: the default is unread",
    ("user_agent: str | None = None  # recorded with a new session, never in an audit row",
     'user_agent: str | None = ""  # recorded with a new session, never in an audit row'):
        "its one reader, auth.open_session, is reached only with actors given the request's "
        "user agent (sign-up, sign-in, code, enrollment, invitation); audit rows never read it",
    ("if last_used is None or last_used < datetime.now(timezone.utc) - TOUCH_EVERY:",
     "if last_used is None or last_used <= datetime.now(timezone.utc) - TOUCH_EVERY:"):
        "differs only for a use exactly one minute before, to the microsecond; and then "
        "touch's own condition, against the earlier transaction time, writes nothing anyway",
}
EQUIVALENT["shared/services/throttle.py"] = {
    ("@dataclass(frozen=True)", "@dataclass(frozen=False)"):
        "nothing assigns to, hashes or compares a SignInKeys: keys_for makes it, auth and "
        "two_factor only hand it to the throttle's functions, which read its four fields",
}
EQUIVALENT["shared/db.py"] = {
    ('_pool: "Pool | None" = None', '_pool: "XXPool | NoneXX" = None'):
        "an annotation, never evaluated",
    ('self._due: dict[object, tuple[float, int, "_PooledConnection"]] = {}',
     'self._due: dict[object, tuple[float, int, "XX_PooledConnectionXX"]] = {}'):
        "an attribute's annotation inside a method is never evaluated",
    ("self._wakes_at = 0.0  # when it looks next (under _changed)",
     "self._wakes_at = 1.0  # when it looks next (under _changed)"):
        "the monotonic clock is past 1 s on a running machine: no deadline falls before "
        "either value, and the thread's first look sets it",
    ("if entry[0] < self._wakes_at:", "if entry[0] <= self._wakes_at:"):
        "a deadline that ties the planned look needs no wake (the thread looks then anyway): "
        "<= only adds one in a tie, two statements begun in the same clock tick",
    ("if deadline <= now:", "if deadline < now:"):
        "a look at the very tick of a deadline plans the next look for that tick (a wait of "
        "0), which cuts: the cut comes one clock tick later",
    # Both places the transaction's first statement failed: a lost connection is one psycopg2
    # has marked closed, and any other failure leaves the transaction in error; release()
    # keeps only an open connection with no transaction, so it drops the connection either way.
    ("pool.release(conn, broken=True)", "pool.release(conn, broken=False)"):
        "after a failed first statement release() drops the connection whatever `broken` says",
    ("broken = False", "broken = None"):
        "None is as false as False: release() reads only `not broken`",
    ("self.timed_out = False", "self.timed_out = None"):
        "None is as false as False: `_transaction` reads it only as a condition",
    # Pool._connect asks the server right after it opens the connection, before any use.
    ("self.citus = False  # the server runs Citus (Pool._connect asks once)",
     "self.citus = True  # the server runs Citus (Pool._connect asks once)"):
        "Pool._connect sets it from the server before anything reads it",
    ("self.citus = False  # the server runs Citus (Pool._connect asks once)",
     "self.citus = None  # the server runs Citus (Pool._connect asks once)"):
        "Pool._connect sets it from the server before anything reads it",
    # A generation is only ever compared for equality with the pool's current one.
    ("self._generation = 0", "self._generation = 1"):
        "generations are only compared for equality: any first number does",
    ("self._generation += 1", "self._generation -= 1"):
        "each loss still makes a generation never used before (they only go down)",
    ("self._generation += 1", "self._generation += 2"):
        "each loss still makes a generation never used before",
    ('if then is not None and getattr(conn, "citus", False):',
     'if then is not None and getattr(conn, "citus", True):'):
        "every connection of the pool has `citus` (set in __init__, then by Pool._connect): "
        "the default is never used",
}
# The repository and the tests' CSV loader build every Tables with its VPD schedule and its
# QRP-reduced rates, so these two defaults are never read.
_ALWAYS_GIVEN = "every Tables is built with this field (repository, tests): the default is unread"
EQUIVALENT["shared/engine/pdpm.py"] = {
    ("vpd: dict[str, list[tuple[int, int, Decimal]]] = field(default_factory=dict)",
     "vpd: dict[str, list[tuple[int, int, Decimal]]] = None"): _ALWAYS_GIVEN,
    ("qrp_base_rates: dict[str, Decimal | None] = field(default_factory=dict)",
     "qrp_base_rates: dict[str, Decimal | None] = None"): _ALWAYS_GIVEN,
}
# A rate's amounts are read only for its own method (per_diem, acuity or pdpm), so the defaults
# of the other two are never read.
_UNREAD_DEFAULT = "the default of another method's amounts: the engine reads only rate.method's"
EQUIVALENT["shared/engine/evaluation.py"] = {
    ("per_diem: Decimal | None = None", 'per_diem: Decimal | None = ""'): _UNREAD_DEFAULT,
    ("acuity_rates: dict[str, Decimal] = field(default_factory=dict)",
     "acuity_rates: dict[str, Decimal] = None"): _UNREAD_DEFAULT,
    ("pdpm: PdpmTerms | None = None", 'pdpm: PdpmTerms | None = ""'): _UNREAD_DEFAULT,
    # Defaults whose every reader asks only whether they are empty (truthiness).
    ("then_payer: ThenPayer | None = None", 'then_payer: ThenPayer | None = ""'):
        "'' is as false as None: every reader asks `if referral.then_payer`",
    ("coinsurance_by_year: dict[int, Decimal] = field(default_factory=dict)",
     "coinsurance_by_year: dict[int, Decimal] = None"):
        "None is as empty as {}: its one reader asks `not terms.coinsurance_by_year` first",
    ("tables_by_year: dict[int, pdpm.Tables] = field(default_factory=dict)",
     "tables_by_year: dict[int, pdpm.Tables] = None"):
        "None is as empty as {}: its one reader asks `not self.tables_by_year` first",
    ("return self.tables_by_year[loaded[-1] if fiscal_year > loaded[-1] else loaded[0]]",
     "return self.tables_by_year[loaded[-1] if fiscal_year >= loaded[-1] else loaded[0]]"):
        "the newest loaded year itself is returned by the line above, never reaches this one",
    ("day.update(payer_pays=a - p, net=a)", "day.update(payer_pays=a + p, net=a)"):
        "without PDPM the patient pays nothing: p is 0, and a + 0 = a - 0",
    ("qrp_reduced: bool = False", "qrp_reduced: bool = None"):
        "None is as false as False: every reader is a truth test or any()",
    ("effective_from: date | None = None", 'effective_from: date | None = ""'):
        "read only of later rates, each built with its first day; the first rate's is unread",
    ('f"{\'newest\' if year[\'priced_with\'] < year[\'fiscal_year\'] else \'oldest\'} "',
     'f"{\'newest\' if year[\'priced_with\'] <= year[\'fiscal_year\'] else \'oldest\'} "'):
        "said only of a year priced with another's (`if priced_with != fiscal_year`): never equal",
}
SKIP = {".git", ".venv", ".local", ".mutate", "__pycache__", ".pytest_cache", ".hypothesis",
        "node_modules", "e2e"}


def _copy(workdir: Path) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(ROOT, workdir, ignore=lambda _dir, names: [n for n in names if n in SKIP])


# Each worker's copy tests only its share of the mutants (mutmut 2 runs them one at a time):
# mutmut calls this hook before each mutant and records the others as skipped.
SHARE = '''"""Written by python -m mutate: this copy tests only its share of the mutants."""
import os
import zlib


def pre_mutation(context):
    worker, workers = map(int, os.environ["MUTATE_SHARE"].split("/"))
    m = context.mutation_id
    context.skip = zlib.crc32(f"{m.line_number}:{m.index}:{m.line}".encode()) % workers != worker
'''


def _statuses(workdir: Path) -> dict[str, int]:
    """The count of each status in one worker's copy; another worker's mutants left out."""
    with sqlite3.connect(workdir / ".mutmut-cache") as conn:
        return dict(conn.execute("SELECT status, count(*) FROM Mutant WHERE status != 'skipped'"
                                 " GROUP BY status"))


def _decided(workdir: Path) -> int:
    """How many mutants this copy has run or left to another worker."""
    if not (workdir / ".mutmut-cache").exists():
        return 0
    with sqlite3.connect(workdir / ".mutmut-cache") as conn:
        return conn.execute("SELECT count(*) FROM Mutant WHERE status != 'untested'").fetchone()[0]


def _ids(workdir: Path, status: str) -> list[int]:
    with sqlite3.connect(workdir / ".mutmut-cache") as conn:
        return [row[0] for row in conn.execute(
            "SELECT id FROM Mutant WHERE status = ? ORDER BY id", (status,))]


def _survivors(workdir: Path) -> list[str]:
    """The diff of every mutant the tests let pass."""
    return [subprocess.run([sys.executable, "-m", "mutmut", "show", str(i)], cwd=workdir,
                           capture_output=True, text=True).stdout
            for i in _ids(workdir, "bad_survived")]


def _changed_lines(diff: str) -> tuple[str, ...]:
    return tuple(line[1:].strip() for line in diff.splitlines()
                 if line[:1] in "+-" and not line.startswith(("+++", "---"))
                 and line[1:].strip())


# A field, an attribute set in a method (self.x: T = ...), or a signature.
ANNOTATION = re.compile(r"^\w+: [^=]+$|^(self\.)?\w+: [^=]+ = |^def ")


def _equivalent(module: str, diff: str) -> str | None:
    """Why this surviving mutant cannot change behaviour, if it is one of the known ones."""
    changed = _changed_lines(diff)
    if (len(changed) == 2 and changed[0].replace(" | ", " & ") == changed[1]
            and ANNOTATION.match(changed[0])
            and "from __future__ import annotations" in (ROOT / module).read_text()):
        return "an annotation, never evaluated under `from __future__ import annotations`"
    for (removed, added), reason in EQUIVALENT.get(module, {}).items():
        if changed == (*removed.split("\n"), *([added] if added else [])):
            return reason
    return None


def _workdir(module: str) -> Path:
    return OUT / module.replace("/", "_").removesuffix(".py")


def _workers(module: str) -> list[Path]:
    """The copies of a module's last run, one a worker."""
    return sorted(_workdir(module).glob("worker-*/"))


STALLED = 10 * 60  # seconds without a mutant finishing: mutmut is stuck, stop it


def _mutmut(module: str, workdirs: list[Path], *args: str) -> None:
    """Run mutmut in each worker's copy at once, and wait for them all. A whole run that stops
    early resumes where it was, at once, while the other workers go on."""
    tests = " ".join(MODULES[module])

    def start(workdir: Path) -> subprocess.Popen:
        env = {**os.environ, "PROPERTY_EXAMPLES": "25",  # hypothesis examples per property test
               "MUTATE_SHARE": workdir.name.removeprefix("worker-").replace("of", "/")}
        with open(workdir / ".mutmut-stderr", "w") as stderr:
            return subprocess.Popen(
                [sys.executable, "-m", "mutmut", "run", *args, "--paths-to-mutate", module,
                 "--tests-dir", "tests", "--runner",
                 f"{sys.executable} -m mutate.run_tests {tests}", "--no-progress"],
                cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                start_new_session=True)

    running = {workdir: start(workdir) for workdir in workdirs}
    last = {workdir: (None, time.monotonic()) for workdir in workdirs}
    # mutmut's race strikes every few dozen mutants: a worker starts again as long as its last
    # start tested some; three starts in a row without any, and it is left unfinished.
    fruitless = {workdir: 0 for workdir in workdirs}
    started_with = {workdir: _decided(workdir) for workdir in workdirs}
    while running:
        time.sleep(5)
        for workdir, process in list(running.items()):
            # mutmut 2 reads the source file while its worker has the next mutant applied, and
            # on a busy machine it then fails to find a line in its cache and waits forever:
            # stop it at once, or after ten minutes without progress.
            done = _statuses(workdir) if (workdir / ".mutmut-cache").exists() else {}
            if done != last[workdir][0]:
                last[workdir] = (done, time.monotonic())
            if process.poll() is None and (
                    "Traceback" in (workdir / ".mutmut-stderr").read_text()
                    or time.monotonic() - last[workdir][1] > STALLED):
                os.killpg(process.pid, signal.SIGTERM)
                process.wait()
            if process.poll() is not None:
                del running[workdir]
                decided = _decided(workdir)
                fruitless[workdir] = (0 if decided > started_with[workdir]
                                      else fruitless[workdir] + 1)
                if not args and done.get("untested") and fruitless[workdir] < 3:
                    _copy_back(workdir)  # the mutant a stopped run left on disk
                    running[workdir] = start(workdir)
                    last[workdir] = (None, time.monotonic())
                    started_with[workdir] = decided


def run(module: str, resume: bool = False, workers: int = 1) -> None:
    """Mutate one module in fresh copies of the project, one a worker (or go on with the last
    run, with its number of workers)."""
    if not (resume and _workers(module)):
        if _workdir(module).exists():
            shutil.rmtree(_workdir(module))
        for worker in range(workers):
            workdir = _workdir(module) / f"worker-{worker}of{workers}"
            _copy(workdir)
            (workdir / "mutmut_config.py").write_text(SHARE)
    minutes = _workdir(module) / ".minutes"
    before = float(minutes.read_text()) if resume and minutes.exists() else 0.0
    started = time.monotonic()
    workdirs = _workers(module)
    if resume:
        for workdir in workdirs:
            _copy_back(workdir)
    _mutmut(module, workdirs)
    # mutmut's race can leave a mutant or two that a whole run never reaches again, yet a run of
    # its own id tests (or skips, if it is another worker's).
    for workdir in workdirs:
        for mutant in _ids(workdir, "untested"):
            _copy_back(workdir)
            _mutmut(module, [workdir], str(mutant))
        _copy_back(workdir)
    minutes.write_text(f"{before + (time.monotonic() - started) / 60:.1f}")


def _copy_back(workdir: Path) -> None:
    """Undo a mutant left on disk by a stopped run (mutmut keeps the original as .bak)."""
    for backup in workdir.rglob("*.py.bak"):
        backup.replace(backup.with_suffix(""))


def retest(module: str) -> None:
    """Run the survivors of the last run again, against the tests as they are now; the known
    equivalent ones survive whatever the tests, so they are not run."""
    for workdir in _workers(module):
        for folder in ("tests", "mutate"):
            shutil.rmtree(workdir / folder)
            shutil.copytree(ROOT / folder, workdir / folder,
                            ignore=lambda _dir, names: [n for n in names if n in SKIP])
        for mutant in _ids(workdir, "bad_survived"):
            # A stopped run leaves its mutant on disk, and mutmut would then drop the mutants
            # of every line it finds changed: put the original back first.
            _copy_back(workdir)
            diff = subprocess.run([sys.executable, "-m", "mutmut", "show", str(mutant)],
                                  cwd=workdir, capture_output=True, text=True).stdout
            if not _equivalent(module, diff):
                # mutmut reruns a survivor only when the tests' files changed, not when the
                # test command did (a test file added to MODULES): mark it not run.
                with sqlite3.connect(workdir / ".mutmut-cache") as conn:
                    conn.execute("UPDATE Mutant SET status = 'untested' WHERE id = ?", (mutant,))
                _mutmut(module, [workdir], str(mutant))
        _copy_back(workdir)


def summary(module: str) -> dict:
    """The counts of a module's last run (or of the part of it done so far)."""
    counts: dict[str, int] = {}
    survivors, equivalent = [], []
    for workdir in _workers(module):
        for status, count in _statuses(workdir).items():
            counts[status] = counts.get(status, 0) + count
    for diff in (diff for workdir in _workers(module) for diff in _survivors(workdir)):
        reason = _equivalent(module, diff)
        if reason:
            equivalent.append(f"{diff}equivalent: {reason}\n")
        else:
            survivors.append(diff)
    (OUT / "survivors").mkdir(parents=True, exist_ok=True)
    (OUT / "survivors" / f"{_workdir(module).name}.diff").write_text(
        "".join(survivors + equivalent))
    # "Suspicious" is mutmut's word for killed, but slowly; a timeout hung the tests: killed.
    killed = sum(counts.get(s, 0) for s in ("ok_killed", "ok_suspicious", "bad_timeout"))
    # Every copy lists every mutant; one not run yet in one copy may be another's share.
    with sqlite3.connect(_workers(module)[0] / ".mutmut-cache") as conn:
        mutants = conn.execute("SELECT count(*) FROM Mutant").fetchone()[0]
    return {"module": module, "mutants": killed + len(survivors), "killed": killed,
            "survived": len(survivors), "equivalent": len(equivalent),
            "untested": mutants - sum(n for s, n in counts.items() if s != "untested"),
            "minutes": (_workdir(module) / ".minutes").read_text()
            if (_workdir(module) / ".minutes").exists() else "-"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutate", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help=f"any of: {', '.join(MODULES)} (default: all)")
    parser.add_argument("--report", action="store_true",
                        help="only print the figures of the last runs, even unfinished ones")
    parser.add_argument("--resume", action="store_true",
                        help="go on with the last runs where they stopped")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="copies testing their share of the mutants at once (default 1)")
    parser.add_argument("--survivors", action="store_true",
                        help="run only the last runs' survivors again, against today's tests")
    args = parser.parse_args(argv)
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"not a module to mutate: {', '.join(sorted(unknown))}")
    results = []
    for module in args.modules or list(MODULES):
        if args.report:
            if _workers(module):
                results.append(summary(module))
            continue
        print(f"mutating {module} against {' '.join(MODULES[module])} ...", flush=True)
        retest(module) if args.survivors else run(module, args.resume, args.workers)
        results.append(summary(module))
        r = results[-1]
        print(f"  {r['killed']}/{r['mutants']} killed ({r['equivalent']} equivalent left out)"
              f" in {r['minutes']} min", flush=True)
    print(f"\n{'module':40} {'mutants':>7} {'killed':>6} {'survived':>8} {'equivalent':>10} "
          f"{'kill rate':>9}")
    for r in results:
        rate = f"{100 * r['killed'] / r['mutants']:.1f}%" if r["mutants"] else "-"
        untested = f"  ({r['untested']} not run yet)" if r["untested"] else ""
        print(f"{r['module']:40} {r['mutants']:7} {r['killed']:6} {r['survived']:8} "
              f"{r['equivalent']:10} {rate:>9}{untested}")
    print(f"\nsurvivors with their diffs: {OUT.relative_to(ROOT)}/survivors/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
