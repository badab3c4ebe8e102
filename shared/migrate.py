"""Apply the numbered SQL migrations in `migrations/`, each once, in its own transaction.

    python -m shared.migrate DSN [--app-role NAME]

Each file runs statement by statement (Citus refuses a multi-statement string that touches a
distributed table: "cannot insert multiple commands into a prepared statement"), still in one
transaction per file. Where the `citus` extension exists, the distribution step
(shared/distribution.py) runs after the files: it distributes what is not yet distributed.

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

from shared.distribution import distribute_pending

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
LOCK_KEY = 7_312_024_001  # any constant; shared by every runner of this schema
# From this migration on, the distribution step also runs after each file (on Citus), so a
# migration may add keys to a tenant table that the one before it created (shared/distribution.py).
FIRST_DISTRIBUTED = "0020"
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
IDENTIFIER_CHAR = re.compile(r"[A-Za-z0-9_$]")


def split_statements(text: str) -> list[str]:
    """The SQL statements of a migration file, split on the semicolons outside quotes, comments
    and dollar-quoted bodies (functions, DO blocks); statements of comments alone are dropped."""
    statements: list[str] = []
    start, i, n, has_code = 0, 0, len(text), False

    def closing(needle: str, at: int, what: str) -> int:
        end = text.find(needle, at)
        if end < 0:
            raise ValueError(f"unterminated {what} at character {start}")
        return end + len(needle)

    while i < n:
        c = text[i]
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if text.startswith("/*", i):
            depth, i = 1, i + 2  # PostgreSQL's block comments nest
            while depth:
                if i >= n:
                    raise ValueError(f"unterminated comment at character {start}")
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if c == ";":
            if has_code:
                statements.append(text[start:i].strip())
            start, i, has_code = i + 1, i + 1, False
            continue
        has_code = True
        if c == "'":
            escapes = i > 0 and text[i - 1] in "eE" and (i < 2 or not IDENTIFIER_CHAR.match(text[i - 2]))
            i += 1
            while True:
                if i >= n:
                    raise ValueError(f"unterminated string at character {start}")
                if escapes and text[i] == "\\":
                    i += 2
                elif text[i] == "'":
                    if text.startswith("''", i):
                        i += 2
                    else:
                        i += 1
                        break
                else:
                    i += 1
        elif c == '"':
            i = closing('"', i + 1, "quoted identifier")
        elif c == "$" and (i == 0 or not IDENTIFIER_CHAR.match(text[i - 1])) and DOLLAR_TAG.match(text, i):
            tag = DOLLAR_TAG.match(text, i)[0]
            i = closing(tag, i + len(tag), f"{tag}-quoted body")
        else:
            i += 1
    if has_code:
        statements.append(text[start:].strip())
    return statements


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    text: str

    @property
    def statements(self) -> list[str]:
        try:
            return split_statements(self.text)
        except ValueError as exc:
            raise RuntimeError(f"migration {self.version}_{self.name}: {exc}") from None

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


def migrate(dsn: str, app_role: str = "snf_app", directory: Path = MIGRATIONS_DIR,
            distribute: bool = True) -> list[str]:
    """Apply what is pending, then (where Citus is installed in the database, unless
    `distribute` is False) distribute what is not yet distributed; return the versions applied
    by this call."""
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
                # On Citus, DDL on distributed tables followed by a foreign key from a new table
                # to a reference table needs one connection per node; a placeholder elsewhere.
                cur.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
                for statement in migration.statements:
                    cur.execute(statement, {"app_role": psycopg2.extensions.AsIs(role)})
                if distribute and migration.version >= FIRST_DISTRIBUTED:
                    distribute_pending(cur, app_role)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum))
            applied_now.append(migration.version)
        if distribute:  # a database migrated before Citus was there, or before the step
            with conn, conn.cursor() as cur:
                distribute_pending(cur, app_role)
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
