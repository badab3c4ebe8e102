"""Apply the numbered SQL migrations in `migrations/`, each once, in its own transaction.

    python -m shared.migrate DSN [--app-role NAME]

DSN connects as the role that owns the schema (never the functions' role). A session-level
advisory lock makes two concurrent runs safe: the second waits, then finds nothing to do. Each
file may name the functions' role as `%(app_role)s` (bound as an identifier, so a literal `%` in a
migration is written `%%`). An applied file that changed since is refused: migrations are
append-only.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
LOCK_KEY = 7_312_024_001  # any constant; shared by every runner of this schema
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file name not of the form NNNN_name.sql: {path.name}")
        found.append(Migration(match[1], match[2], path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migrations share a version number")
    return found


def migrate(dsn: str, app_role: str = "snf_app", directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is pending; return the versions applied by this call."""
    migrations = discover(directory)
    conn = psycopg2.connect(dsn, connect_timeout=10, application_name="snf-migrate")
    applied_now = []
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        conn.autocommit = False
        with conn, conn.cursor() as cur:
            cur.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version text PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )""")
            cur.execute("SELECT version, checksum FROM schema_migrations")
            done = dict(cur.fetchall())
        role = sql.Identifier(app_role).as_string(conn)
        for migration in migrations:
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise RuntimeError(
                        f"migration {migration.version}_{migration.name} changed after it was "
                        "applied; add a new migration instead")
                continue
            with conn, conn.cursor() as cur:
                cur.execute(migration.text, {"app_role": psycopg2.extensions.AsIs(role)})
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum))
            applied_now.append(migration.version)
    finally:
        if not conn.closed:
            conn.rollback()
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
            conn.close()
    return applied_now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn", help="connection string of the schema owner")
    parser.add_argument("--app-role", default="snf_app", help="the functions' database role")
    args = parser.parse_args(argv)
    applied = migrate(args.dsn, args.app_role)
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
