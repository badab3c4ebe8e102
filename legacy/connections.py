"""The two databases of a move: the legacy one, read only, and the product's, written as its
schema owner through row-level security like everything else. A refusal is a ToolError with a
message for the operator; the command line prints it without a traceback."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

import psycopg2
import psycopg2.extras
from psycopg2.extensions import parse_dsn

from shared.db import CITUS_SETTINGS

psycopg2.extras.register_uuid()

# One move (or rollback) at a time per product database: a session-level advisory lock, held
# by the run's own connection and released by the server if the process dies.
LOCK_KEY = 7_312_024_010
IMPORT_SCOPE = "legacy import"       # the policy of legacy_imports (migration 0012)
LOOKUP_SCOPE = "organization lookup"


class ToolError(Exception):
    """A refusal or a failure the operator can act on; `code` is the exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def describe(dsn: str) -> str:
    """host:port/database, without user or password: safe to print and to store."""
    try:
        parts = parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return "(an unreadable connection string)"
    return (f"{parts.get('host', 'localhost')}:{parts.get('port', '5432')}"
            f"/{parts.get('dbname', parts.get('user', '?'))}")


def connect(dsn: str | None, what: str, *, read_only: bool = False):
    """A connection, or a ToolError naming which database could not be reached and why."""
    if not dsn:
        raise ToolError(f"No {what} database given (see --help).", 2)
    try:
        conn = psycopg2.connect(dsn, connect_timeout=10,
                                application_name=f"snf-legacy-{what.split()[0]}")
    except psycopg2.ProgrammingError:
        raise ToolError(f"The {what} connection string is not valid.", 2) from None
    except psycopg2.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ToolError(f"Cannot connect to the {what} database {describe(dsn)}: "
                        f"{first_line}", 2) from None
    if read_only:
        conn.set_session(readonly=True)   # the legacy database is never modified
    return conn


def take_lock(conn) -> None:
    """The advisory lock, or a refusal naming the process that holds it."""
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
        if cur.fetchone()[0]:
            conn.autocommit = False
            return
        cur.execute("""
            SELECT pid FROM pg_locks
             WHERE locktype = 'advisory' AND granted
               AND ((classid::bigint << 32) | objid::bigint) = %s
        """, (LOCK_KEY,))
        holder = cur.fetchone()
    raise ToolError("Another legacy migration or rollback is running on this database"
                    + (f" (server process {holder[0]})" if holder else "")
                    + "; wait for it to finish. Nothing was done.", 3)


def close(conn) -> None:
    """Release the advisory lock explicitly, then close: a closed connection's server process
    may take a moment to exit and let go of the lock, and the next run must not see it held."""
    try:
        conn.rollback()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock_all()")
    except psycopg2.Error:
        pass   # a broken connection holds nothing once the server notices
    finally:
        conn.close()


@contextmanager
def transaction(conn, *, organization_id=None, scope: str | None = None
                ) -> Iterator[psycopg2.extras.RealDictCursor]:
    """One transaction scoped like shared.db's: to the organization, and/or to one named
    cross-tenant scope; committed at the end, rolled back on any exception."""
    cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        cur.execute(CITUS_SETTINGS + "SET LOCAL app.organization_id = %s;"
                    " SET LOCAL app.cross_tenant = %s",
                    (str(uuid.UUID(str(organization_id))) if organization_id else "",
                     scope or ""))
        yield cur
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        cur.close()


def find_organization(conn, subdomain: str):
    """The id of the organization with this subdomain, or None."""
    with transaction(conn, scope=LOOKUP_SCOPE) as cur:
        cur.execute("SELECT id FROM organizations WHERE lower(subdomain) = lower(%s)",
                    (subdomain,))
        row = cur.fetchone()
    return row["id"] if row else None


def open_import(conn, subdomain: str) -> dict | None:
    """The import of this subdomain not rolled back, if any."""
    with transaction(conn, scope=IMPORT_SCOPE) as cur:
        cur.execute("""
            SELECT * FROM legacy_imports
             WHERE lower(subdomain) = lower(%s) AND rolled_back_at IS NULL
        """, (subdomain,))
        return cur.fetchone()
