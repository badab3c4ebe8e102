"""python -m bench: run every benchmark on throwaway databases, then print the summary.

    python -m bench                          # all of them (make bench)
    python -m bench --admissions 20000       # tenant scale with 20,000 other admissions
    python -m bench --only tenant_scale      # one or more of them
    python -m bench --only legacy_move --legacy-admissions 100000
    python -m bench --only citus_tenant_scale --admissions 50000   # tenant scale on Citus too
BENCH_OTHER_ADMISSIONS=N does what --admissions N does, BENCH_LEGACY_ADMISSIONS=N what
--legacy-admissions N does (make bench takes no arguments)."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

BENCHMARKS = ("facilities_get", "cold_start", "admissions_create", "limit_check",
              "tenant_scale", "citus_tenant_scale", "legacy_move")


def _load() -> str:
    one, five, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    busy = " (busy machine: expect noisy figures)" if one > cores else ""
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {cores} cores{busy}"


TITLES = {
    "facilities_get": "Facility GET against its SQL",
    "cold_start": "Cold start: importing the function app, then its first request",
    "admissions_create": "Saving an admission (POST /api/admissions) against its SQL and engine",
    "limit_check": "The plan limit check on an admission create",
    "tenant_scale": "Noisy neighbours: dashboard and history with other organizations' admissions",
    "citus_tenant_scale": "Noisy neighbours on a three-node Citus cluster, beside single-node "
                          "PostgreSQL",
    "legacy_move": "Moving the legacy database",
}
_where = ""  # the server the last benchmark ran on, for the report


def _goal(ratio: float, goal: float) -> str:
    """A ratio against its goal (issue 14), as the report says it."""
    return f"goal {goal}x: {'met' if ratio <= goal else 'MISSED'}"


def _summary(facility, cold, admission, limit, scale, move) -> dict[str, list[str]]:
    """Each benchmark's figures as lines, by benchmark name (what it printed before)."""
    summary: dict[str, list[str]] = {}
    from bench import admissions_create, facilities_get
    if facility:
        summary["facilities_get"] = [
            f"facility GET: {facility.ratio:.2f}x floor on loopback (endpoint "
            f"{facility.endpoint_us:.0f} us, floor {facility.floor_us:.0f} us; "
            f"{_goal(facility.ratio, facilities_get.GOAL_LOOPBACK)}); "
            f"{facility.network_ratio:.2f}x with a 1 ms round trip (endpoint "
            f"{facility.endpoint_network_us:.0f} us, floor {facility.floor_network_us:.0f} us; "
            f"{_goal(facility.network_ratio, facilities_get.GOAL_NETWORK)}); "
            f"{facility.statements} statements in {facility.round_trips} round trips (before "
            f"issue 14: {facilities_get.BEFORE[0]} in {facilities_get.BEFORE[1]}; on Citus the "
            "session lookup is a round trip of its own)",
            f"facility GET plans: {facility.plan_summary}"]
    if cold:
        from bench import cold_start
        summary["cold_start"] = [
            f"start-up: import function_app {cold.ratio:.2f}x a bare FunctionApp's "
            f"({cold.app.import_ms:.0f} ms vs {cold.bare.import_ms:.0f} ms; goal 1.5x); every "
            f"blueprint imported at start-up, as before functions/index.py: "
            f"{cold.eager_ratio:.2f}x ({cold.eager.import_ms:.0f} ms)",
            f"start-up + indexing + first request (GET /api/facilities/{{id}} through the real "
            f"path, the pool's first connection): {cold.cold_ratio:.2f}x the bare app's reading "
            f"one row with psycopg2 ({cold.app.cold_ms:.0f} ms = {cold.app.import_ms:.0f} + "
            f"{cold.app.index_ms:.0f} + {cold.app.request_ms:.0f} vs {cold.bare.cold_ms:.0f} ms); "
            f"every blueprint at start-up: {cold.eager_cold_ratio:.2f}x "
            f"({cold.eager.cold_ms:.0f} ms = {cold.eager.import_ms:.0f} + "
            f"{cold.eager.index_ms:.0f} + {cold.eager.request_ms:.0f}); medians of {cold.runs} "
            "fresh interpreters each",
            f"without the project's .pyc files (a read-only package that lacks them compiles "
            f"what it imports at every cold start): start-up + first request "
            f"{cold.uncompiled.cold_ms:.0f} ms, {cold.uncompiled.cold_ms - cold.app.cold_ms:+.0f} "
            f"ms",
            "cold start rule: " + (f"BROKEN, {', '.join(cold.heavy_loaded)} imported"
                                   if cold.heavy_loaded
                                   else ", ".join(cold_start.HEAVY) + " not imported")]
    if admission:
        summary["admissions_create"] = [
            f"admission POST ({case.name}): {case.ratio:.2f}x floor on loopback (endpoint "
            f"{case.endpoint_us / 1000:.2f} ms, floor {case.floor_us / 1000:.2f} ms = engine "
            f"{case.engine_us / 1000:.2f} ms + {case.floor_statements} statements in "
            f"{case.floor_round_trips} round trips {case.sql_us / 1000:.2f} ms; the endpoint "
            f"sends {case.endpoint_statements} in {case.endpoint_round_trips}; "
            f"{_goal(case.ratio, admissions_create.GOAL_LOOPBACK)}); "
            f"{case.network_ratio:.2f}x with a 1 ms round trip (endpoint "
            f"{case.endpoint_network_us / 1000:.2f} ms, floor "
            f"{case.floor_network_us / 1000:.2f} ms; "
            f"{_goal(case.network_ratio, admissions_create.GOAL_NETWORK)}); "
            f"before issue 14 the endpoint sent "
            f"{admissions_create.BEFORE[case.name.split()[0]][0]} statements in "
            f"{admissions_create.BEFORE[case.name.split()[0]][1]} round trips"
            for case in admission]
    if limit:
        summary["limit_check"] = [
            f"admission POST limit check: {limit.ratio:.3f}x without it "
            f"({limit.with_us / 1000:.2f} ms vs {limit.without_us / 1000:.2f} ms; goal < 1.1x); "
            f"counter plan: {limit.plan}"]
    if scale:
        from bench import tenant_scale
        others = (f"{scale.other_admissions:,} other admissions "
                  f"({scale.other_organizations:,} organizations)")
        seq_dashboard, seq_history = scale.sequential_ratios
        sql = "; ".join(f"{tenant_scale.SHORT[name]} {scale.with_others.sql_us[name]:.0f} vs "
                        f"{scale.without.sql_us[name]:.0f} us"
                        for name in tenant_scale.MAIN_PLANS)
        summary["tenant_scale"] = [
            f"dashboard: {scale.dashboard_ratio:.2f}x with {others} "
            f"({scale.with_others.dashboard_us / 1000:.2f} ms vs "
            f"{scale.without.dashboard_us / 1000:.2f} ms side by side; after / before the "
            f"load {seq_dashboard:.2f}x)",
            f"history: {scale.history_ratio:.2f}x with {others} "
            f"({scale.with_others.history_us / 1000:.2f} ms vs "
            f"{scale.without.history_us / 1000:.2f} ms side by side; after / before the "
            f"load {seq_history:.2f}x)",
            f"tenant scale SQL alone, with vs without: {sql}",
            f"tenant scale load: {scale.other_admissions:,} admissions in "
            f"{scale.load_seconds:.0f} s (+ {scale.analyze_seconds:.0f} s VACUUM ANALYZE, "
            f"CHECKPOINT)",
            f"tenant scale plans (with {scale.other_admissions:,}): {scale.plan_summary}"]
    if move:
        from bench import legacy_move
        summary["legacy_move"] = [
            f"legacy move: {move.admissions:,} admissions, {move.rows:,} rows in all, moved in "
            f"{move.migrate_seconds:.0f} s ({move.rows_per_second:,.0f} rows/s; admissions "
            f"alone {move.admissions_seconds:.0f} s, "
            f"{move.admissions / max(move.admissions_seconds, 1e-9):,.0f}/s); goal "
            f"< {legacy_move.GOAL_SECONDS} s: "
            f"{'met' if move.migrate_seconds < legacy_move.GOAL_SECONDS else 'MISSED'}; "
            f"verified in {move.verify_seconds:.0f} s: "
            f"{'every check passed' if move.verified else 'A CHECK FAILED'}"]
    return summary


def _on_citus(wanted: int):
    """The Citus benchmark, or None with the reason printed when Citus cannot run here."""
    from bench import citus_tenant_scale
    from local.citus import CitusUnavailable
    try:
        return citus_tenant_scale.run(wanted)
    except CitusUnavailable as exc:
        print(f"\ncitus_tenant_scale skipped: {exc}")
        return None


def _citus_where(citus) -> str:
    from bench.citus_tenant_scale import SHARDS
    return (f"{citus.version}, a throwaway three-node cluster on this machine (coordinator and "
            f"two workers, {SHARDS} shards a table); single-node figures: {_where}")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--admissions", type=int, default=None, metavar="N",
                        help="other organizations' admissions for tenant_scale (default "
                             "BENCH_OTHER_ADMISSIONS, else 1,000,000)")
    parser.add_argument("--legacy-admissions", type=int, default=None, metavar="N",
                        help="legacy admissions moved by legacy_move (default "
                             "BENCH_LEGACY_ADMISSIONS, else 1,000,000)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS),
                        metavar="NAME", help="run only these: " + ", ".join(BENCHMARKS))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    started = time.perf_counter()

    from bench import (admissions_create, cold_start, facilities_get, legacy_move, limit_check,
                       tenant_scale)
    from bench.database import throwaway_database

    def on_database(benchmark, *extra):
        """Each benchmark on a database of its own: tenant_scale's "none" means none."""
        global _where
        with throwaway_database() as (target, where):
            from bench.report import postgres_version
            _where = f"{postgres_version(target.admin_dsn)}, {where}"
            print(f"database: {target.database} on {where}; the functions connect as "
                  f"{target.app_role}")
            result = benchmark(target, *extra)
        print(f"dropped {target.database} and its roles")
        return result

    print(f"python {sys.version.split()[0]}; {_load()}")
    facility = cold = admission = limit = scale = citus = move = None
    wanted = tenant_scale.other_admissions_wanted(args.admissions)
    if "facilities_get" in args.only:
        facility = on_database(facilities_get.run)
    if "cold_start" in args.only:
        cold = on_database(cold_start.run)
    if "admissions_create" in args.only:
        admission = on_database(admissions_create.run)
    if "limit_check" in args.only:
        limit = on_database(limit_check.run)
    if "tenant_scale" in args.only:
        scale = on_database(tenant_scale.run, wanted)
    if "citus_tenant_scale" in args.only:
        citus = _on_citus(wanted)
        if citus and scale is None:  # single-node PostgreSQL's ratios beside the cluster's
            scale = on_database(tenant_scale.run, wanted)
    if "legacy_move" in args.only:
        move = on_database(legacy_move.run,
                           legacy_move.admissions_wanted(args.legacy_admissions))

    summary = _summary(facility, cold, admission, limit, scale, move)
    if citus:
        from bench import citus_tenant_scale
        summary["citus_tenant_scale"] = citus_tenant_scale.summary(citus, scale)
    print(f"\n== summary ({time.perf_counter() - started:.0f} s; {_load()}) ==")
    for lines in summary.values():
        print("\n".join(lines))
    from bench.report import record
    arguments = {"tenant_scale": f" --admissions {scale.other_admissions}" if scale else "",
                 "citus_tenant_scale": f" --admissions {citus.other_admissions}" if citus else "",
                 "legacy_move": f" --legacy-admissions {move.admissions}" if move else ""}
    for name, lines in summary.items():
        record(name, TITLES[name], f"python -m bench --only {name}" + arguments.get(name, ""),
               [f"- {line}" for line in lines],
               where=(_citus_where(citus) if name == "citus_tenant_scale" else _where))
    return 1 if (cold and cold.heavy_loaded) or (move and not move.verified) else 0


if __name__ == "__main__":
    sys.exit(main())
