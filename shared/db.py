"""The one connection pool and the two ways to run a transaction.

Every tenant query runs inside `tenant_transaction`, which sets `app.organization_id` for exactly
that transaction (`set_config(..., true)`, so it never leaks to the next user of the connection,
even behind PgBouncer in transaction mode). Row-level security admits only that organization's
rows. The few operations that must look across organizations (the sign-in lookup of a subdomain)
go through `dangerously_cross_tenant_transaction`, named so a reviewer sees each use.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Iterator

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from shared.entra import DATABASE_SCOPE, TokenSource
from shared.errors import ServiceUnavailable
from shared.settings import Settings, get_settings

log = logging.getLogger(__name__)
psycopg2.extras.register_uuid()  # uuid.UUID in and out, process-wide

_pool: "Pool | None" = None
_pool_lock = threading.Lock()
_tokens = TokenSource()  # the Entra token of the function app's identity, when DB_ENTRA_AUTH is on

ENTRA_SCOPE = DATABASE_SCOPE
DISCONNECTED = (psycopg2.OperationalError, psycopg2.InterfaceError)


def use_credential(credential, clock=time.time) -> None:
    """Use this azure-identity credential for Entra tokens (tests pass a test double); None
    goes back to DefaultAzureCredential, created on first use."""
    global _tokens
    _tokens = TokenSource(credential, clock=clock)


def _entra_token() -> str:
    return _tokens.token()


class Pool:
    """A small thread-safe pool: at most `max_size` connections, opened lazily, idle ones reused,
    broken ones dropped. Each new connection gets a current password: with Entra auth a token
    that is not about to expire (shared.entra), which the server checks only when a connection
    opens."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._idle: list = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.db_pool_max)

    def _connect(self):
        s = self._settings
        password = _entra_token() if s.db_entra_auth else s.db_password
        return psycopg2.connect(
            host=s.db_host, port=s.db_port, dbname=s.db_name, user=s.db_user, password=password,
            sslmode=s.db_sslmode, connect_timeout=s.db_connect_timeout_seconds,
            application_name="snf-functions",
        )

    def acquire(self):
        if not self._slots.acquire(timeout=self._settings.db_connect_timeout_seconds):
            raise ServiceUnavailable("The service is busy. Try again in a moment.")
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = self._connect()
            return conn
        except BaseException:
            self._slots.release()
            raise

    def release(self, conn, broken: bool = False) -> None:
        idle = not broken and not conn.closed and (
            conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE)
        if idle:
            with self._lock:
                self._idle.append(conn)
        else:
            conn.close()
        self._slots.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def get_pool() -> Pool:
    """The process's pool, created on first use."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = Pool(get_settings())
    return _pool


def close_pool() -> None:
    """Close the idle connections and forget the pool (settings changed, process ends)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close()
        _pool = None


def _checkout():
    pool = get_pool()
    try:
        return pool, pool.acquire()
    except DISCONNECTED as exc:
        log.warning("database unreachable: %s", type(exc).__name__)
        raise ServiceUnavailable("The database is unavailable. Try again in a moment.") from exc


@contextmanager
def _transaction(first_statement: str, params: tuple) -> Iterator[psycopg2.extras.RealDictCursor]:
    """Check out a connection, run the statement that scopes the transaction, yield a cursor,
    then commit, or roll back on any exception. A pooled connection that the server dropped
    (restart, failover, idle timeout) fails on that first statement: it is replaced once."""
    timeout = str(get_settings().db_statement_timeout_ms)
    for attempt in (1, 2):
        pool, conn = _checkout()
        cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
        try:
            cur.execute(first_statement, params + (timeout,))
            break
        except DISCONNECTED as exc:
            pool.release(conn, broken=True)
            if attempt == 2:
                raise ServiceUnavailable("The database is unavailable. Try again in a moment.") from exc
        except BaseException:
            pool.release(conn, broken=True)
            raise
    broken = False
    try:
        yield cur
        conn.commit()
    except BaseException as exc:
        broken = isinstance(exc, DISCONNECTED)
        if not broken:
            try:
                conn.rollback()
            except DISCONNECTED:
                broken = True
        if broken:
            raise ServiceUnavailable("The database is unavailable. Try again in a moment.") from exc
        raise
    finally:
        cur.close()
        pool.release(conn, broken)


def tenant_transaction(organization_id: uuid.UUID | str):
    """One transaction in which every statement sees only this organization's rows."""
    return _transaction(
        "SELECT set_config('app.organization_id', %s, true),"
        " set_config('statement_timeout', %s, true)",
        (str(uuid.UUID(str(organization_id))),),
    )


# The only cross-tenant scopes; each is named by exactly one row-level security policy.
ORGANIZATION_LOOKUP = "organization lookup"  # organizations: read (subdomain -> id, branding)
SIGN_IN_THROTTLE = "sign-in throttle"        # sign_in_throttle: the counters of sign-in
EMAIL_OUTBOX = "email outbox"                # email_outbox: read and mark, for the sender
TIMER_RUNS = "timer runs"                    # timer_runs: which scheduled runs finished
IDEMPOTENT_REPLAY = "idempotent replay"      # idempotency_keys: read a signup's stored answer
SCOPES = (ORGANIZATION_LOOKUP, SIGN_IN_THROTTLE, EMAIL_OUTBOX, TIMER_RUNS, IDEMPOTENT_REPLAY)


def dangerously_cross_tenant_transaction(scope: str):
    """A transaction with no organization set, in which only the policies of `scope` (one of
    SCOPES) admit rows, across organizations. Every use is a place to review."""
    if scope not in SCOPES:
        raise ValueError(f"unknown cross-tenant scope {scope!r}")
    return _transaction(
        "SELECT set_config('app.cross_tenant', %s, true),"
        " set_config('statement_timeout', %s, true)",
        (scope,),
    )


def ping() -> None:
    """Raise ServiceUnavailable unless the database answers (the health check)."""
    with _transaction("SELECT set_config('statement_timeout', %s, true)", ()) as cur:
        cur.execute("SELECT 1")
