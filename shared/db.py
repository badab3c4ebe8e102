"""The one connection pool and the two ways to run a transaction.

Every tenant query runs inside `tenant_transaction`, which sets `app.organization_id` for exactly
that transaction (`SET LOCAL`, so it never leaks to the next user of the connection, even behind
PgBouncer in transaction mode). Row-level security admits only that organization's rows.
The same statements serve plain PostgreSQL and Citus (CITUS_SETTINGS below). The few operations
that must look across organizations (the sign-in lookup of a subdomain) go through
`dangerously_cross_tenant_transaction`, named so a reviewer sees each use.

Faults: a connection found dead (restart, failover, a killed backend) takes every idle
connection opened before it out of the pool, so the next request opens a fresh one instead of
meeting the dead ones one by one. No wait on the server is unbounded: connecting within
DB_CONNECT_TIMEOUT_SECONDS, each answer within DB_STATEMENT_TIMEOUT_MS plus a margin (the
client-side `_watchdog`, which also covers a network that stops answering), TCP keepalives
and tcp_user_timeout on every connection. Past a limit the request gets a 503 with Retry-After.
"""
from __future__ import annotations

import logging
import math
import os
import queue
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
from shared.settings import ANSWER_MARGIN_SECONDS, Settings, get_settings

log = logging.getLogger(__name__)
psycopg2.extras.register_uuid()  # uuid.UUID in and out, process-wide

_pool: "Pool | None" = None
_pool_lock = threading.Lock()
_tokens = TokenSource()  # the Entra token of the function app's identity, when DB_ENTRA_AUTH is on

ENTRA_SCOPE = DATABASE_SCOPE
DISCONNECTED = (psycopg2.OperationalError, psycopg2.InterfaceError)
UNAVAILABLE = "The database is unavailable. Try again in a moment."


class _Watchdog:
    """Cuts the socket of a pooled connection whose server has not answered in time: a network
    that stops answering never reaches libpq's own timeouts (nothing is refused, and TCP may
    still acknowledge), so only a limit on the wait itself bounds the request. One thread for
    the process, started on first use; the blocked call then fails as a lost connection."""

    # The longest it sleeps: a new deadline (now + a statement timeout, seconds at least) then
    # falls after its next look, so no statement needs to wake it (a thread woken per statement
    # cost 0.2 ms of each on two cores, bench/facilities_get.py).
    LONGEST_SLEEP_SECONDS = 0.5

    def __init__(self):
        self._due: dict[object, tuple[float, int, "_PooledConnection"]] = {}
        # Taken twice a statement, as the Lock itself (in C) rather than through the
        # Condition's Python-level __enter__/__exit__; the thread waits on the Condition.
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._wakes_at = 0.0  # when it looks next (under _changed)

    def watch(self, key: object, conn: "_PooledConnection") -> None:
        """From now until done(key), while the caller waits on `conn`'s server: at most
        conn.answer_seconds. (Two calls around every statement rather than a context manager:
        a generator-based one cost more than the bookkeeping itself.)"""
        # The socket's number now, in this thread: psycopg2 holds the connection's lock while
        # it waits, so the watchdog must not ask the connection for it then.
        entry = (time.monotonic() + conn.answer_seconds, conn.fileno(), conn)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="db-watchdog",
                                                daemon=True)
                self._thread.start()
            if entry[0] < self._wakes_at:
                self._changed.notify()  # it would look too late
            self._due[key] = entry

    def done(self, key: object) -> None:
        """The wait watched under `key` is over: its connection is no longer to be cut."""
        with self._lock:
            self._due.pop(key, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                for key, (deadline, fd, conn) in list(self._due.items()):
                    if deadline <= now:
                        del self._due[key]  # under the lock: the call has not returned
                        conn.timed_out = True
                        _cut(fd)
                self._wakes_at = min([now + self.LONGEST_SLEEP_SECONDS,
                                      *(deadline for deadline, _, _ in self._due.values())])
                self._changed.wait(max(0.0, self._wakes_at - now))


def _cut(fd: int) -> None:
    """Shut the socket down under libpq: its blocked read returns at once, as end of stream."""
    import socket
    try:
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


_watchdog = _Watchdog()


class _PooledConnection(psycopg2.extensions.connection):
    """A connection of the pool: the pool generation it was opened in, how long each answer of
    the server is awaited (`_watchdog`), and whether it was cut for not answering."""

    def __init__(self, dsn: str, *, answer_seconds: float, generation: int):
        super().__init__(dsn)
        self.answer_seconds = answer_seconds
        self.generation = generation
        self.timed_out = False
        self.citus = False  # the server runs Citus (Pool._connect asks once)


class _Cursor(psycopg2.extensions.cursor):
    """The transaction's cursor: each statement's wait is bounded by the watchdog, and rows
    come as dicts by column name, zipped from psycopg2's tuples (RealDictCursor builds each
    row through a Python __setitem__ per column: several times the cost)."""

    _columns: tuple[str, ...]  # the last execute's; psycopg2 refuses a fetch before one

    def execute(self, query, vars=None):
        _watchdog.watch(self, self.connection)  # a cursor runs one statement at a time
        try:
            super().execute(query, vars)
        finally:
            _watchdog.done(self)
        self._columns = tuple([column.name for column in self.description or ()])

    def executemany(self, query, vars_list):
        _watchdog.watch(self, self.connection)
        try:
            super().executemany(query, vars_list)
        finally:
            _watchdog.done(self)
        # No columns to note: psycopg2 keeps no rows of an executemany to fetch.

    def fetchone(self) -> dict | None:
        row = super().fetchone()
        return None if row is None else dict(zip(self._columns, row))

    def fetchmany(self, size=None) -> list[dict]:
        columns = self._columns
        rows = super().fetchmany(self.arraysize if size is None else size)
        return [dict(zip(columns, row)) for row in rows]

    def fetchall(self) -> list[dict]:
        columns = self._columns
        return [dict(zip(columns, row)) for row in super().fetchall()]

    def __iter__(self):
        while (row := self.fetchone()) is not None:
            yield row


def connection_parameters(settings: Settings, password: str | None) -> dict:
    """libpq's parameters for a pooled connection. The timeouts that bound statements are set
    per transaction instead (`_transaction`): PgBouncer in transaction mode refuses `options`."""
    network = settings.db_network_timeout_seconds
    return dict(
        host=settings.db_host, port=settings.db_port, dbname=settings.db_name,
        user=settings.db_user, password=password, sslmode=settings.db_sslmode,
        connect_timeout=settings.db_connect_timeout_seconds, application_name="snf-functions",
        # An idle connection is probed after half the network timeout, three probes across the
        # other half; data left unacknowledged for the whole timeout ends the connection.
        keepalives=1, keepalives_idle=math.ceil(network / 2),
        keepalives_interval=max(1, network // 6), keepalives_count=3,
        tcp_user_timeout=network * 1000,
    )


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
    opens.

    A connection found dead starts a new generation: every idle connection is closed, and those
    in use are closed when they come back, since whatever killed one (a restart, a failover, a
    broken network) killed the others opened before it."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._idle: list = []
        self._lock = threading.Lock()
        # One token per connection that may be open: a counting semaphore whose get and put
        # run in C (threading's semaphores are Python code, ten times the cost per request).
        self._slots: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(settings.db_pool_max):
            self._slots.put(None)
        self._generation = 0

    def _connect(self):
        s = self._settings
        password = _entra_token() if s.db_entra_auth else s.db_password
        conn = _PooledConnection(
            psycopg2.extensions.make_dsn(**connection_parameters(s, password)),
            answer_seconds=s.db_statement_timeout_ms / 1000 + ANSWER_MARGIN_SECONDS,
            generation=self._generation)
        conn.autocommit = True  # `_transaction` begins each transaction in its first round trip
        from shared.distribution import citus_present
        with conn.cursor(cursor_factory=_Cursor) as cur:  # bounded by the watchdog
            conn.citus = citus_present(cur)
        return conn

    def acquire(self):
        try:
            self._slots.get(timeout=self._settings.db_connect_timeout_seconds)
        except queue.Empty:
            raise ServiceUnavailable("The service is busy. Try again in a moment.") from None
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = self._connect()
            return conn
        except BaseException:
            self._slots.put(None)
            raise

    def release(self, conn, broken: bool = False) -> None:
        with self._lock:
            idle = not broken and not conn.closed and conn.generation == self._generation and (
                conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE)
            if idle:
                self._idle.append(conn)
        if not idle:
            conn.close()
        self._slots.put(None)

    def found_dead(self, conn) -> None:
        """`conn` was found dead: close every idle connection opened before it was, so that
        the next request opens a fresh one."""
        with self._lock:
            if conn.generation != self._generation:
                return  # its generation is already over: the idle ones are newer
            self._generation += 1
            idle, self._idle = self._idle, []
        if idle:
            log.warning("database connection lost: closing %d idle connections", len(idle))
        for other in idle:
            other.close()

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
        raise ServiceUnavailable(UNAVAILABLE) from exc


def _timeouts(settings: Settings) -> str:
    """The limits of this transaction's statements, server-side; `SET LOCAL` ends with the
    transaction (PgBouncer in transaction mode) and Citus carries it to its workers. The values
    are integers from the settings, so they can be written into the statement."""
    return (f"SET LOCAL statement_timeout = {int(settings.db_statement_timeout_ms)};"
            " SET LOCAL idle_in_transaction_session_timeout ="
            f" {int(settings.db_idle_in_transaction_timeout_ms)}; ")


def joined(cur, *statements: tuple[str, dict | tuple]) -> bytes:
    """(query, parameters) pairs as one message: one round trip, whose result is the last
    statement's. Interpolated client-side, as psycopg2 always does."""
    return b"; ".join(cur.mogrify(query, params) for query, params in statements)


def batches(cur, name: str, query: str, params: dict, batch: int = 20) -> Iterator[dict]:
    """The rows of a query through a server-side cursor, `batch` at a time: a large result never
    sits in memory all at once. DECLARE and FETCH by hand: the pool's connections are in
    autocommit mode (`_transaction` begins each transaction itself), where psycopg2 refuses its
    named cursors. Left unfinished (an error), the cursor ends with its transaction."""
    cur.execute(f"DECLARE {name} NO SCROLL CURSOR FOR " + query, params)
    while True:
        cur.execute(f"FETCH {int(batch)} FROM {name}")
        fetched = cur.fetchall()
        yield from fetched
        if len(fetched) < batch:
            break
    cur.execute(f"CLOSE {name}")


@contextmanager
def _transaction(first_statement: str, params: tuple,
                 then: tuple[str, dict] | None = None) -> Iterator[_Cursor]:
    """Check out a connection, and in one round trip: BEGIN, the transaction's timeouts, the
    statement that scopes it, and `then` (a query whose result the yielded cursor holds: the
    session lookup of every request). Yield the cursor, then COMMIT, or ROLLBACK on any
    exception. The connection is in autocommit mode and the transaction is begun by hand:
    psycopg2's own BEGIN would be a round trip of its own (one of the 1 ms trips in Azure).
    A pooled connection that the server dropped (restart, failover, idle timeout) fails on that
    first message: the pool drops every idle connection as old as it, and one new connection
    is tried. A server that does not answer in time is not tried again: the request gets its
    503 now."""
    scoped = "BEGIN; " + _timeouts(get_settings()) + first_statement
    for attempt in (1, 2):
        pool, conn = _checkout()
        cur = conn.cursor(cursor_factory=_Cursor)
        try:
            if then is not None and getattr(conn, "citus", False):
                # Citus: a query in the message of the SET LOCALs it must carry to the workers
                # failed ("cannot execute a distributed query from a query on a shard"); there,
                # the query is a round trip of its own.
                cur.execute(joined(cur, (scoped, params)))
                cur.execute(*then)
            else:
                cur.execute(joined(cur, (scoped, params), *([then] if then else [])))
            break
        except DISCONNECTED as exc:
            dead = bool(conn.closed)
            pool.release(conn, broken=True)
            if dead:
                pool.found_dead(conn)
            if attempt == 2 or not dead or conn.timed_out:
                log.warning("database unavailable: %s", type(exc).__name__)
                raise ServiceUnavailable(UNAVAILABLE) from exc
        except BaseException:
            pool.release(conn, broken=True)
            raise
    broken = False
    try:
        yield cur
        cur.execute("COMMIT")
    except BaseException as exc:
        unavailable = isinstance(exc, DISCONNECTED)  # a lost connection, or a statement timeout
        if not conn.closed:
            try:
                cur.execute("ROLLBACK")
            except DISCONNECTED:
                unavailable = True
        broken = bool(conn.closed)
        if broken:
            pool.found_dead(conn)
        if unavailable:
            raise ServiceUnavailable(UNAVAILABLE) from exc
        raise
    finally:
        cur.close()
        pool.release(conn, broken)


# Where Citus runs (placeholders, unused, on plain PostgreSQL): carry the SET LOCALs to the
# workers that evaluate the policies on the shards (a set_config is not carried: every read there
# returned nothing), and use one connection per worker, as a transaction of one organization
# needs (its rows sit on one worker); Citus refuses to change `organizations`, a reference table
# with foreign keys to it, after a query that went to several shards in parallel.
# SET takes no bind parameter: the value goes in as a quoted literal (psycopg2 quotes it
# client-side), and only ever a UUID parsed by uuid.UUID or one of SCOPES.
CITUS_SETTINGS = ("SET LOCAL citus.propagate_set_commands = 'local';"
                  " SET LOCAL citus.multi_shard_modify_mode = 'sequential'; ")


def tenant_transaction(organization_id: uuid.UUID | str, then: tuple[str, dict] | None = None):
    """One transaction in which every statement sees only this organization's rows. `then`, a
    (query, parameters) pair, is sent with the transaction's settings, in their round trip:
    the cursor yielded holds its result (the endpoint's session lookup)."""
    if not isinstance(organization_id, uuid.UUID):  # a string is checked to be one
        organization_id = uuid.UUID(str(organization_id))
    return _transaction(
        CITUS_SETTINGS + "SET LOCAL app.organization_id = %s", (str(organization_id),), then,
    )


# The only cross-tenant scopes; each is named by exactly one row-level security policy.
ORGANIZATION_LOOKUP = "organization lookup"  # organizations: read (subdomain -> id, branding)
SIGN_IN_THROTTLE = "sign-in throttle"        # sign_in_throttle: the counters of sign-in
EMAIL_OUTBOX = "email outbox"                # email_outbox: read and mark, for the sender
TIMER_RUNS = "timer runs"                    # timer_runs: which scheduled runs finished
DATA_EXPORT_QUEUE = "data export queue"      # data_exports: read which exports wait to be built
IDEMPOTENT_REPLAY = "idempotent replay"      # idempotency_keys: read a signup's stored answer
SCOPES = (ORGANIZATION_LOOKUP, SIGN_IN_THROTTLE, EMAIL_OUTBOX, TIMER_RUNS, DATA_EXPORT_QUEUE,
          IDEMPOTENT_REPLAY)


def dangerously_cross_tenant_transaction(scope: str):
    """A transaction with no organization set, in which only the policies of `scope` (one of
    SCOPES) admit rows, across organizations. Every use is a place to review."""
    if scope not in SCOPES:
        raise ValueError(f"unknown cross-tenant scope {scope!r}")
    return _transaction(
        CITUS_SETTINGS + "SET LOCAL app.cross_tenant = %s",
        (scope,),
    )


def ping() -> None:
    """Raise ServiceUnavailable unless the database answers (the health check)."""
    with _transaction("SELECT 1", ()) as cur:
        cur.execute("SELECT 1")
