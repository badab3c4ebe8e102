"""The database half of a deployment, run by azd's post-provision hook as the server's Microsoft
Entra administrator: map the function app's managed identity to a database role, give it exactly
what the local app role gets, apply the pending migrations, check the result.

    python -m deploy.database     # DB_HOST, DB_NAME, DB_APP_ROLE, DB_ADMIN_NAME (azd's environment)

Safe to run again: each step is skipped or repeated harmlessly. It connects on port 5432, not
PgBouncer's 6432: the migrations hold a session-level advisory lock.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from shared.entra import TokenSource
from shared.migrate import migrate

REQUIRED = ("DB_HOST", "DB_NAME", "DB_APP_ROLE", "DB_ADMIN_NAME")


@dataclass(frozen=True)
class Target:
    host: str
    database: str
    app_role: str
    admin: str
    port: int = 5432
    sslmode: str = "require"
    # pgaadauth_create_principal exists in the server's maintenance database.
    maintenance_database: str = "postgres"

    @classmethod
    def from_environment(cls, environ=os.environ) -> "Target":
        missing = [name for name in REQUIRED if not environ.get(name)]
        if missing:
            raise SystemExit(f"missing in the environment: {', '.join(missing)} "
                             "(azd sets the DB_* outputs; `azd env set DB_ADMIN_NAME <you>`)")
        return cls(host=environ["DB_HOST"], database=environ["DB_NAME"],
                   app_role=environ["DB_APP_ROLE"], admin=environ["DB_ADMIN_NAME"],
                   port=int(environ.get("DB_ADMIN_PORT", "5432")),
                   sslmode=environ.get("DB_ADMIN_SSLMODE", "require"),
                   maintenance_database=environ.get("DB_MAINTENANCE_NAME", "postgres"))

    def dsn(self, tokens: TokenSource, database: str) -> str:
        return make_dsn(host=self.host, port=self.port, dbname=database, user=self.admin,
                        password=tokens.token(), sslmode=self.sslmode, connect_timeout=15,
                        application_name="snf-deploy")


def _run(dsn: str, statements) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for statement, params in statements:
                cur.execute(statement, params)
    finally:
        conn.close()


def create_principal(target: Target, tokens: TokenSource) -> bool:
    """The identity's database role, unless it exists; True when created."""
    conn = psycopg2.connect(target.dsn(tokens, target.maintenance_database))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (target.app_role,))
            if cur.fetchone():
                return False
            # Not an administrator, no MFA claim: a login role that owns and inherits nothing.
            cur.execute("SELECT * FROM pgaadauth_create_principal(%s, false, false)",
                        (target.app_role,))
            return True
    finally:
        conn.close()


def grant_database(target: Target, tokens: TokenSource) -> None:
    """Connect and temporary tables for the app role, nothing for PUBLIC (as local provisioning)."""
    database, role = sql.Identifier(target.database), sql.Identifier(target.app_role)
    _run(target.dsn(tokens, target.maintenance_database), [
        (sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database), ()),
        (sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, role), ()),
    ])


def problems(target: Target, tokens: TokenSource) -> list[str]:
    """What would make the functions unsafe or unable to work, read back from the server."""
    found = []
    conn = psycopg2.connect(target.dsn(tokens, target.database))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb, rolcanlogin"
                        " FROM pg_roles WHERE rolname = %s", (target.app_role,))
            row = cur.fetchone()
            if row is None:
                return [f"role {target.app_role} does not exist"]
            if row[0]:
                found.append(f"{target.app_role} has a privileged attribute")
            if not row[1]:
                found.append(f"{target.app_role} cannot log in")
            cur.execute("SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
                        " WHERE r.rolname = %s", (target.app_role,))
            found += [f"{target.app_role} owns {name}" for (name,) in cur.fetchall()]
            cur.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE n.nspname = 'public' AND c.relkind = 'r'"
                        " AND has_table_privilege(%s, c.oid, 'SELECT')"
                        " AND NOT c.relforcerowsecurity AND EXISTS (SELECT 1 FROM pg_attribute a"
                        "   WHERE a.attrelid = c.oid AND a.attname = 'organization_id')",
                        (target.app_role,))
            found += [f"{name} is readable without forced row-level security"
                      for (name,) in cur.fetchall()]
    finally:
        conn.close()
    return found


def deploy(target: Target, tokens: TokenSource) -> list[str]:
    """Principal, grants, migrations; return the migrations applied now. Raise on a problem."""
    if create_principal(target, tokens):
        print(f"created database principal {target.app_role}")
    grant_database(target, tokens)
    applied = migrate(target.dsn(tokens, target.database), app_role=target.app_role)
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    found = problems(target, tokens)
    if found:
        raise RuntimeError("the database is not safe for the functions: " + "; ".join(found))
    print(f"checked: {target.app_role} owns nothing, bypasses nothing, every tenant table forces RLS")
    return applied


def main(environ=os.environ, credential=None) -> int:
    deploy(Target.from_environment(environ), TokenSource(credential))
    return 0


if __name__ == "__main__":
    sys.exit(main())
