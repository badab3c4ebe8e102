"""local.database.provision with a DATABASE_URL whose database a user made beforehand."""
from __future__ import annotations

import secrets

import psycopg2
import pytest
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from local.database import DatabaseTaken, Provisioned, admin_execute, drop, provision


@pytest.fixture
def made_beforehand(database):
    """A database created by the server's administrator, as `createdb` or `CREATE DATABASE`
    would, and the role names provision is to use; all dropped afterwards."""
    run = secrets.token_hex(4)
    target = Provisioned(database.admin_dsn, f"snf_made_{run}", f"snf_made_owner_{run}",
                         f"snf_made_app_{run}")
    admin_execute(target.admin_dsn, sql.SQL("CREATE DATABASE {}").format(
        sql.Identifier(target.database)))
    yield target
    drop(target)


def _owner(target: Provisioned) -> str:
    with psycopg2.connect(target.admin_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                    (target.database,))
        return cur.fetchone()[0]


def test_an_empty_database_made_beforehand_is_taken_over_and_migrated(made_beforehand):
    """Tester: `make run` with DATABASE_URL naming a database the user had created failed with
    a traceback (permission denied for schema public) instead of using it."""
    target = made_beforehand
    provision(target.admin_dsn, target.database, target.owner_role, target.app_role)

    assert _owner(target) == target.owner_role
    with psycopg2.connect(target.app_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM plans")  # migrated, and the app role reads it
        assert cur.fetchone()[0] > 0
    # A second run finds it its own and only migrates.
    provision(target.admin_dsn, target.database, target.owner_role, target.app_role)


def test_a_database_holding_another_roles_tables_is_refused_by_name(made_beforehand):
    target = made_beforehand
    admin_execute(make_dsn(target.admin_dsn, dbname=target.database),
                  "CREATE TABLE someone_elses (id int)")

    with pytest.raises(DatabaseTaken) as taken:
        provision(target.admin_dsn, target.database, target.owner_role, target.app_role)

    assert target.database in str(taken.value) and "1 table(s)" in str(taken.value)
    assert _owner(target) != target.owner_role
