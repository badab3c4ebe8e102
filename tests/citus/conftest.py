"""A real three-node Citus cluster (coordinator and two workers) for the tests of this package,
started with local/citus_cluster.sh on free ports and destroyed afterwards. Citus is
installed first when missing (install.sh, needs root); when it cannot be, the tests fail with
the reason: they never skip. With CITUS_TEST_URL set, the coordinator it names instead (at
least two workers; see local.citus.Coordinator for what its role needs).

`database` is overridden here: every test of this package, and every test imported into it
from elsewhere (the row-level security suite), runs on a database migrated and distributed on
the cluster, with the functions' settings and pool pointed at it."""
from __future__ import annotations

import os
import secrets
from contextlib import ExitStack

import pytest

from local.citus import CitusUnavailable, Coordinator, throwaway_cluster

DB_SETTINGS = ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_SSLMODE")


@pytest.fixture(scope="package")
def citus_cluster():
    """CITUS_TEST_URL's coordinator when set (any Citus: databases are created and dropped
    through it), else a throwaway cluster on this machine."""
    if os.environ.get("CITUS_TEST_URL"):
        yield Coordinator(os.environ["CITUS_TEST_URL"])
        return
    with ExitStack() as stack:
        try:
            cluster = stack.enter_context(throwaway_cluster())
        except CitusUnavailable as exc:
            pytest.fail(f"Citus tests cannot run: {exc}", pytrace=False)
        yield cluster


def new_target(cluster: Coordinator, distribute: bool = True):
    run = secrets.token_hex(4)
    # Four shards per table (two a worker) rather than Citus's 32: the same placement rules,
    # an eighth of the shards to create and drop.
    return cluster.provision(f"snf_citus_{run}", f"snf_citus_owner_{run}", f"snf_citus_app_{run}",
                             distribute=distribute, shard_count=4)


@pytest.fixture(scope="package")
def database(citus_cluster, tmp_path_factory):
    """The package's database on the cluster, migrated and distributed; the functions' settings
    point at it for the package and go back afterwards."""
    from local.environment import settings_environment
    from shared import db
    from tests.conftest import use_database

    mail = {"EMAIL_FILE_DIR": str(tmp_path_factory.mktemp("citus-mail"))}
    with settings_environment(mail, restoring=DB_SETTINGS):
        target = new_target(citus_cluster)
        use_database(target)
        try:
            yield target
        finally:
            db.close_pool()
            citus_cluster.drop(target)
