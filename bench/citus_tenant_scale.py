"""The noisy-neighbour benchmark (bench/tenant_scale.py) on a throwaway three-node Citus cluster,
beside single-node PostgreSQL's figures from the same run.

    python -m bench --only citus_tenant_scale --admissions 50000     # default 1,000,000

On the cluster (local.citus: Citus installed when missing, needs root), two databases with the
same roles: "with" and "without". The small organization of tenant_scale is made through the
endpoints in "with" and its rows copied to "without" (same ids, same session); then N admissions
of ~2,000 other organizations are loaded into "with" as tenant_scale loads them, as plain tables
on the coordinator (a single server before the move). The distribution step then runs on both
(timed on "with": the move of a live database) and Citus spreads the others over the workers.
The dashboard and history requests are timed alternating between the two databases, as
tenant_scale does with its copy, so the ratio is against an empty cluster measured at the same
moments. EXPLAIN of each tenant query must name one task (single-shard routing: one worker).
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from bench import tenant_scale
from bench.database import use_database
from local.database import Provisioned

SHARDS = 32  # Citus's default: what a real cluster would get


@dataclass
class Result(tenant_scale.SideBySide):
    other_admissions: int
    other_organizations: int
    without: tenant_scale.Timing       # the empty cluster (only the organization)
    with_others: tenant_scale.Timing   # the others spread over the workers
    load_seconds: float
    distribute_seconds: float
    admissions_size: str
    tasks: dict[str, list[str]] = field(default_factory=dict)  # query -> its "Task Count" lines
    version: str = ""

    @property
    def single_shard(self) -> bool:
        return all(lines == ["Task Count: 1"] for lines in self.tasks.values())

    @property
    def seconds_per_million(self) -> float:
        return self.distribute_seconds * 1_000_000 / max(self.other_admissions, 1)


def copy_organization(source: Provisioned, target: Provisioned, organization_id: str) -> int:
    """The organization's rows, table by table, from one (undistributed) database to another
    with the same schema: every table with organization_id, and its organizations row. Foreign
    key triggers are off for the copy (session_replication_role), so the order does not matter.
    Returns the rows copied."""
    import io
    reader = psycopg2.connect(make_dsn(source.admin_dsn, dbname=source.database))
    writer = psycopg2.connect(make_dsn(target.admin_dsn, dbname=target.database))
    copied = 0
    try:
        with reader.cursor() as read, writer.cursor() as write:
            read.execute("""SELECT table_name FROM information_schema.columns
                             WHERE table_schema = 'public' AND column_name = 'organization_id'
                               AND table_name IN (SELECT tablename FROM pg_tables
                                                   WHERE schemaname = 'public')""")
            tables = [("organizations", "id")] + [(t, "organization_id")
                                                  for (t,) in read.fetchall()]
            write.execute("SET session_replication_role = replica")
            for table, column in tables:
                rows = io.StringIO()
                read.copy_expert(sql.SQL("COPY (SELECT * FROM {} WHERE {} = {}) TO STDOUT").format(
                    sql.Identifier(table), sql.Identifier(column),
                    sql.Literal(organization_id)).as_string(reader), rows)
                rows.seek(0)
                write.copy_expert(sql.SQL("COPY {} FROM STDIN").format(
                    sql.Identifier(table)).as_string(writer), rows)
                copied += write.rowcount
        writer.commit()
    finally:
        reader.close()
        writer.close()
    return copied


def task_counts(plans: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each plan's "Task Count" lines: one line, "Task Count: 1", is single-shard routing."""
    return {name: [line.strip() for line in lines if "Task Count" in line]
            for name, lines in plans.items()}


def run(other_admissions: int) -> Result:
    """The benchmark on a throwaway cluster; CitusUnavailable (from local.citus) when Citus
    cannot be installed or started here."""
    from function_app import app
    from local.citus import throwaway_cluster
    from local.router import Router
    from shared import db
    from shared.migrate import migrate

    print(f"\n== tenant scale on Citus: the same organization's dashboard and history, on a "
          f"three-node cluster without and with {other_admissions:,} other admissions ==")
    with throwaway_cluster("snf-citus-bench-") as cluster:
        run_id = secrets.token_hex(4)
        roles = (f"snf_cbench_owner_{run_id}", f"snf_cbench_app_{run_id}")
        loaded = cluster.provision(f"snf_cbench_{run_id}", *roles, distribute=False,
                                   shard_count=SHARDS)
        empty = cluster.provision(f"snf_cbench_{run_id}_none", *roles, distribute=False,
                                  shard_count=SHARDS)
        from bench.report import postgres_version
        version = f"{postgres_version(cluster.admin_dsn)}, Citus {cluster.citus_version()}"
        use_database(loaded)
        router = Router(app)
        admin = tenant_scale.Admin(loaded)
        try:
            org = tenant_scale.seed_own(router, admin)
            db.close_pool()
            copied = copy_organization(loaded, empty, org.organization_id)
            print(f"the organization made through the endpoints in {loaded.database} and its "
                  f"{copied} rows copied to {empty.database}")
            print(f"loading {other_admissions:,} admissions of other organizations into "
                  f"{loaded.database} (not yet distributed)...", flush=True)
            organizations, load_s, analyze_s = tenant_scale.load_others(admin, other_admissions)
            counts = tenant_scale.counts(admin, org)
        finally:
            admin.close()
        print(f"loaded in {load_s:.1f} s (+{analyze_s:.1f} s VACUUM/CHECKPOINT): "
              f"{counts['admissions']:,} admissions ({counts['admissions_size']}), "
              f"{counts['organizations']:,} organizations")

        migrate(empty.owner_dsn, app_role=empty.app_role)  # only the distribution step
        started = time.perf_counter()
        migrate(loaded.owner_dsn, app_role=loaded.app_role)
        distribute_s = time.perf_counter() - started
        print(f"distribution step: {distribute_s:.1f} s for {counts['admissions']:,} admissions "
              f"and the rest of {counts['organizations']:,} organizations' rows, {SHARDS} shards "
              f"a table (~{distribute_s * 1e6 / max(other_admissions, 1):.0f} s per million "
              "other admissions)")
        for target in (loaded, empty):
            analyze = tenant_scale.Admin(target)
            analyze.sql("ANALYZE")
            analyze.close()

        without, with_others = tenant_scale.measure_side_by_side(router, org, empty.database)
        queries = tenant_scale.recorded_queries(router, loaded, org)
        sql_us = tenant_scale.measure_sql({"without": empty.app_dsn, "with": loaded.app_dsn},
                                          queries)
        without.sql_us, with_others.sql_us = sql_us["without"], sql_us["with"]
        plans = tenant_scale.explain(loaded, queries)
        db.close_pool()
    result = Result(other_admissions, organizations, without, with_others, load_s, distribute_s,
                    counts["admissions_size"], task_counts(plans), version)
    print(f"side by side, alternating between {empty.database} (empty cluster) and "
          f"{loaded.database} (with the others):")
    for label, attribute in (("dashboard", "dashboard_us"), ("history", "history_us")):
        a, b = getattr(without, attribute), getattr(with_others, attribute)
        print(f"  {label}: {a / 1000:.2f} ms without, {b / 1000:.2f} ms with: {b / a:.2f}x")
    for name in tenant_scale.MAIN_PLANS:
        a, b = without.sql_us[name], with_others.sql_us[name]
        print(f"    {name} alone: {a:.0f} us without, {b:.0f} us with: {b / a:.2f}x")
    for name, lines in result.tasks.items():
        print(f"  {name}: {', '.join(lines) or 'no distributed task (coordinator only)'}")
    if not result.single_shard:
        print("NOTE: a tenant query is not routed to a single shard (see above)")
    return result


def summary(result: Result, single: tenant_scale.Result | None) -> list[str]:
    """The lines for BENCHMARKS.md: the cluster's ratios beside single-node PostgreSQL's."""
    others = (f"{result.other_admissions:,} other admissions ({result.other_organizations:,} "
              "organizations)")
    beside = (f"; single-node PostgreSQL in the same run: dashboard {single.dashboard_ratio:.2f}x,"
              f" history {single.history_ratio:.2f}x" if single else "")
    routed = "; ".join(f"{tenant_scale.SHORT.get(name, name)}: {', '.join(lines) or 'none'}"
                       for name, lines in result.tasks.items())
    return [
        f"Citus, three nodes, with {others} vs an empty cluster, side by side: dashboard "
        f"{result.dashboard_ratio:.2f}x ({result.with_others.dashboard_us / 1000:.2f} ms vs "
        f"{result.without.dashboard_us / 1000:.2f} ms), history {result.history_ratio:.2f}x "
        f"({result.with_others.history_us / 1000:.2f} ms vs "
        f"{result.without.history_us / 1000:.2f} ms){beside}",
        "Citus SQL alone, with vs without: " + "; ".join(
            f"{tenant_scale.SHORT[name]} {result.with_others.sql_us[name]:.0f} vs "
            f"{result.without.sql_us[name]:.0f} us" for name in tenant_scale.MAIN_PLANS),
        f"single-shard routing ({'every tenant query' if result.single_shard else 'NOT ALL'}): "
        + routed,
        f"distribution step (the move of the loaded database): {result.distribute_seconds:.0f} s "
        f"for {result.other_admissions:,} admissions ({result.admissions_size} before the move) "
        f"with their organizations' other rows, {SHARDS} shards a table: "
        f"~{result.seconds_per_million:.0f} s per million admissions (the fixed cost of creating "
        f"the shards and re-adding the keys included); load "
        f"{result.load_seconds:.0f} s",
    ]
