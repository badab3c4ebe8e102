"""The noisy-neighbour benchmark on a three-node Citus cluster, and the distribution step's
duration on a database that already holds the data.

    .venv/bin/python -m bench.citus_scale --admissions 100000     # default 1,000,000

On a throwaway cluster (local.citus: Citus installed when missing, needs root): the database is
migrated without the distribution step, the small organization of bench/tenant_scale.py is made
through the endpoints and N admissions of ~2,000 other organizations are loaded as there (plain
tables on the coordinator, as a single server before the move); then the distribution step runs
(timed: this is the move of a live database) and the dashboard and history requests are timed
with the others spread over the workers; then the others are deleted and the same requests are
timed on the emptied cluster. EXPLAIN of each tenant query names the tasks Citus sends: one,
to one worker, is single-shard routing. Not part of `make bench` (it needs root and a few
minutes for a million admissions); single-node figures come from `make bench`'s tenant_scale.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import time

from bench.database import use_database


def _tasks(plans: dict[str, list[str]]) -> str:
    found = []
    for name, lines in plans.items():
        counts = [line.strip() for line in lines if "Task Count" in line]
        found.append(f"{name}: {', '.join(counts) or 'no distributed task (coordinator)'}")
    return "; ".join(found)


def run(admissions: int) -> int:
    from function_app import app
    from bench import tenant_scale
    from local.citus import throwaway_cluster
    from local.router import Router
    from shared import db
    from shared.migrate import migrate

    with throwaway_cluster("snf-citus-bench-") as cluster:
        run_id = secrets.token_hex(4)
        target = cluster.provision(f"snf_cbench_{run_id}", f"snf_cbench_owner_{run_id}",
                                   f"snf_cbench_app_{run_id}", distribute=False)
        use_database(target)
        router = Router(app)
        admin = tenant_scale.Admin(target)
        org = tenant_scale.seed_own(router, admin)
        print(f"loading {admissions:,} admissions of other organizations on the coordinator "
              "(not yet distributed)...", flush=True)
        organizations, load_s, analyze_s = tenant_scale.load_others(admin, admissions)
        before = tenant_scale.counts(admin, org)
        admin.close()
        db.close_pool()
        print(f"loaded in {load_s:.1f} s (+{analyze_s:.1f} s VACUUM/CHECKPOINT): "
              f"{before['admissions']:,} admissions ({before['admissions_size']}), "
              f"{before['organizations']} organizations")

        started = time.perf_counter()
        migrate(target.owner_dsn, app_role=target.app_role)  # only the distribution step
        moved_s = time.perf_counter() - started
        per_million = moved_s * 1_000_000 / max(before["admissions"], 1)
        print(f"distribution step: {moved_s:.1f} s for {before['admissions']:,} admissions "
              f"(~{per_million:.0f} s per million admissions, all tables with them)")

        admin = tenant_scale.Admin(target)
        admin.sql("ANALYZE")
        loaded = tenant_scale.measure(router, org)
        plans = tenant_scale.explain(target, tenant_scale.recorded_queries(router, target, org))
        print(f"with the others on the workers: dashboard median {loaded.dashboard_us / 1000:.2f}"
              f" ms, history median {loaded.history_us / 1000:.2f} ms")
        print(f"tasks: {_tasks(plans)}")

        for table in ("admissions", "rates", "payers", "facilities", "audit_logs", "sessions",
                      "usage_periods", "case_number_counters", "email_outbox", "users"):
            admin.sql(f"DELETE FROM {table} WHERE organization_id <> %(org)s",
                      {"org": org.organization_id})
        admin.sql("ANALYZE")
        admin.close()
        empty = tenant_scale.measure(router, org)
        print(f"on the emptied cluster: dashboard median {empty.dashboard_us / 1000:.2f} ms, "
              f"history median {empty.history_us / 1000:.2f} ms")
        print(f"ratio with {admissions:,} others / without, on Citus: dashboard "
              f"{loaded.dashboard_us / empty.dashboard_us:.2f}, history "
              f"{loaded.history_us / empty.history_us:.2f}")
        db.close_pool()
        cluster.drop(target)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.citus_scale",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--admissions", type=int, default=tenant_scale_default(),
                        help="other organizations' admissions (default 1,000,000)")
    args = parser.parse_args(argv)
    return run(args.admissions)


def tenant_scale_default() -> int:
    from bench.tenant_scale import other_admissions_wanted
    return other_admissions_wanted()


if __name__ == "__main__":
    sys.exit(main())
