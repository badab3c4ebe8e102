"""CITUS_TEST_URL: the tests of this package against a coordinator they did not start (here the
package's own cluster, reached only through its coordinator's URL, as a managed one would be):
a subset of them runs in another pytest process with the URL set, provisions its database
through the coordinator alone, and leaves no database or role behind on any node."""
from __future__ import annotations

import os
import subprocess
import sys

import psycopg2

from local.citus import Cluster

SUBSET = ("every_table_is_placed or two_organizations_on_different_workers"
          " or a_tenant_query_goes_to_one_shard or taken_subdomain")


def _names(cluster: Cluster) -> set[tuple[int, str]]:
    """Every node's databases and roles of the tests."""
    found = set()
    for port in cluster.ports:
        conn = psycopg2.connect(cluster.node_dsn(port))
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT datname FROM pg_database WHERE datname LIKE 'snf_citus%%'"
                            " UNION ALL SELECT rolname FROM pg_roles"
                            " WHERE rolname LIKE 'snf_citus%%'")
                found |= {(port, name) for (name,) in cur.fetchall()}
        finally:
            conn.close()
    return found


def test_the_suite_runs_against_a_coordinator_named_by_citus_test_url(citus_cluster, database):
    if not isinstance(citus_cluster, Cluster):
        return  # already running through CITUS_TEST_URL: every other test here is the proof
    before = _names(citus_cluster)
    env = {**os.environ, "CITUS_TEST_URL": citus_cluster.admin_dsn}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/citus/test_citus.py", "-q", "-p",
         "no:cacheprovider", "-k", SUBSET],
        env=env, capture_output=True, text=True, timeout=600,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout, done.stdout[-2000:]
    assert _names(citus_cluster) == before  # its database dropped on every node, roles too
