"""bench/citus_tenant_scale.py's parts that do not need a cluster: the copy of one organization
into an empty database of the same schema (the benchmark's "empty cluster"), and the reading of
single-shard routing from EXPLAIN."""
from __future__ import annotations

import secrets

import psycopg2
from psycopg2.extensions import make_dsn

from bench.citus_tenant_scale import copy_organization, task_counts
from local.database import drop, provision


def _counts(target, organization_id) -> dict[str, int]:
    conn = psycopg2.connect(make_dsn(target.admin_dsn, dbname=target.database))
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT table_name FROM information_schema.columns
                            WHERE table_schema = 'public' AND column_name = 'organization_id'""")
            tables = [t for (t,) in cur.fetchall()]
            found = {}
            for table in tables:
                cur.execute(f"SELECT count(*) FROM {table} WHERE organization_id = %s",
                            (str(organization_id),))
                found[table] = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM organizations")
            found["organizations (all)"] = cur.fetchone()[0]
            return found
    finally:
        conn.close()


def test_one_organization_is_copied_whole_and_alone(database, make_org, make_facility):
    org, other = make_org(), make_org()
    make_facility(org)
    run = secrets.token_hex(4)
    empty = provision(database.admin_dsn, f"snf_test_copy_{run}", f"snf_test_copy_owner_{run}",
                      f"snf_test_copy_app_{run}")
    try:
        copied = copy_organization(database, empty, str(org.id))
        source, target = _counts(database, org.id), _counts(empty, org.id)
        assert {k: v for k, v in target.items() if k != "organizations (all)"} == {
            k: v for k, v in source.items() if k != "organizations (all)"}
        assert target["organizations (all)"] == 1  # not the other organization
        assert source["users"] >= 1 and source["facilities"] >= 1
        assert copied == sum(v for k, v in source.items() if k != "organizations (all)") + 1
        assert _counts(empty, other.id)["users"] == 0
    finally:
        drop(empty)


def test_single_shard_routing_is_one_task_in_each_plan():
    plans = {"routed": ["Custom Scan (Citus Adaptive)", "  Task Count: 1", "  Tasks Shown: All"],
             "fanned out": ["Custom Scan (Citus Adaptive)", "  Task Count: 32"],
             "local": ["Seq Scan on plans"]}
    assert task_counts(plans) == {"routed": ["Task Count: 1"], "fanned out": ["Task Count: 32"],
                                  "local": []}
