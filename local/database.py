"""Provision a database for the local host and the tests: a server to use, its roles, a database,
the migrations. In Azure the same roles come from Bicep and the Entra administrator instead.

Which server: the URL given (DATABASE_URL for `make run`, TEST_DATABASE_URL for tests), else the
machine's PostgreSQL on 127.0.0.1:5432 when it answers (tests only), else an embedded PostgreSQL
(pgserver) with its data under `.local/`. The URL must name a role that may create roles and
databases; the functions never use it: they connect as the least-privileged app role.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn, parse_dsn

from shared.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
# Everything `make run` keeps between runs; SNF_LOCAL_DIR moves it (the tests of `make run`).
LOCAL_DIR = Path(os.environ.get("SNF_LOCAL_DIR") or ROOT / ".local")
MACHINE_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_DATABASE = "snf_local"
# A server's own databases: a URL naming one names the server and the role, not a place for
# the product's tables.
MAINTENANCE_DATABASES = ("postgres", "template0", "template1")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provisioned:
    """A database ready for the functions: where it is and who connects."""
    admin_dsn: str
    database: str
    owner_role: str
    app_role: str

    def dsn(self, role: str) -> str:
        return make_dsn(self.admin_dsn, dbname=self.database, user=role, password=None)

    @property
    def owner_dsn(self) -> str:
        return self.dsn(self.owner_role)

    @property
    def app_dsn(self) -> str:
        return self.dsn(self.app_role)

    def function_settings(self) -> dict[str, str]:
        """The functions' DB_* settings for connecting as the app role."""
        parts = parse_dsn(self.app_dsn)
        return {
            "DB_HOST": parts.get("host", "127.0.0.1"),
            "DB_PORT": parts.get("port", "5432"),
            "DB_NAME": self.database,
            "DB_USER": self.app_role,
            "DB_SSLMODE": parts.get("sslmode", "prefer"),
        }


def run_database(url: str) -> tuple[str, str]:
    """The database `make run` keeps its data in on DATABASE_URL's server, and the URL to
    create it through. The URL's own database, unless it names none or a maintenance database
    (then snf_local, as on the embedded server); created through the maintenance database
    `postgres`, since the URL's may not exist yet."""
    named = parse_dsn(url).get("dbname")
    database = named if named and named not in MAINTENANCE_DATABASES else LOCAL_DATABASE
    return database, make_dsn(url, dbname="postgres")


def server_answers(dsn: str) -> bool:
    try:
        psycopg2.connect(dsn, connect_timeout=2).close()
        return True
    except psycopg2.OperationalError:
        return False


def embedded_server(data_dir: Path = LOCAL_DIR / "pgdata"):
    """Start (or reuse) the embedded PostgreSQL; it stops when this process exits."""
    import pgserver  # only the local default needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(str(data_dir), cleanup_mode="stop")


def admin_execute(admin_dsn: str, statement, params=()) -> None:
    """One statement as the server's administrator, outside a transaction (CREATE DATABASE)."""
    conn = psycopg2.connect(admin_dsn, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
    finally:
        conn.close()


def _exists(admin_dsn: str, query: str, name: str) -> bool:
    conn = psycopg2.connect(admin_dsn, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute(query, (name,))
            return cur.fetchone() is not None
    finally:
        conn.close()


def create_roles(admin_dsn: str, owner_role: str, app_role: str) -> None:
    """The owner (migrations) and the app role (the functions), least privilege, if missing."""
    for role, extra in ((owner_role, sql.SQL("")), (app_role, sql.SQL(" NOINHERIT"))):
        if not _exists(admin_dsn, "SELECT 1 FROM pg_roles WHERE rolname = %s", role):
            admin_execute(admin_dsn, sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS{}"
            ).format(sql.Identifier(role), extra))


def database_statements(database: str, owner_role: str, app_role: str) -> list[sql.Composed]:
    """CREATE DATABASE and its grants: only the two roles may connect."""
    return [sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database),
                                                          sql.Identifier(owner_role)),
            *database_grants(database, owner_role, app_role)]


def database_grants(database: str, owner_role: str, app_role: str) -> list[sql.Composed]:
    name, owner, app = sql.Identifier(database), sql.Identifier(owner_role), sql.Identifier(app_role)
    return [sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name),
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(name, owner, app)]


class DatabaseTaken(Exception):
    """DATABASE_URL names a database another role owns and fills: not ours to migrate."""


def _owner_and_tables(admin_dsn: str, database: str) -> tuple[str, int]:
    conn = psycopg2.connect(make_dsn(admin_dsn, dbname=database), connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("""
                SELECT pg_get_userbyid(d.datdba),
                       (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')
                  FROM pg_database d WHERE d.datname = current_database()""")
            return cur.fetchone()
    finally:
        conn.close()


def _adopt(admin_dsn: str, database: str, owner_role: str, app_role: str) -> None:
    """A database made beforehand by another role (`createdb`, as a user setting DATABASE_URL
    may do): given to the owner role when it is empty, as if provision had made it; refused by
    name when it holds tables, which are somebody else's."""
    owner, tables = _owner_and_tables(admin_dsn, database)
    if owner == owner_role:
        return
    if tables:
        raise DatabaseTaken(
            f"Database {database} belongs to {owner} and holds {tables} table(s): name a new "
            f"database in DATABASE_URL (it is created), or give this one to {owner_role}.")
    name = sql.Identifier(database)
    admin_execute(admin_dsn, sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
        name, sql.Identifier(owner_role)))
    for statement in database_grants(database, owner_role, app_role):
        admin_execute(admin_dsn, statement)


def provision(admin_dsn: str, database: str, owner_role: str, app_role: str) -> Provisioned:
    """Create the roles and the database if missing (or take over an empty one another role
    made), then apply the migrations as the owner."""
    create_roles(admin_dsn, owner_role, app_role)
    if not _exists(admin_dsn, "SELECT 1 FROM pg_database WHERE datname = %s", database):
        for statement in database_statements(database, owner_role, app_role):
            admin_execute(admin_dsn, statement)
    else:
        _adopt(admin_dsn, database, owner_role, app_role)
    target = Provisioned(admin_dsn, database, owner_role, app_role)
    migrate(target.owner_dsn, app_role=app_role)
    return target


def drop(target: Provisioned) -> None:
    """Drop the database and both roles (tests clean up after themselves)."""
    admin_execute(target.admin_dsn, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(target.database)))
    for role in (target.app_role, target.owner_role):
        admin_execute(target.admin_dsn, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
