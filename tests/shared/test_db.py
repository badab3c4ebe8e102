"""The data layer on a real server: one pool, broken connections replaced, tenant settings that
last one transaction, a current Entra token for each new connection, 503 when the database is away."""
import logging
import os
import threading
import time
import uuid

from contextlib import ExitStack

import psycopg2
import pytest

from local.environment import settings_environment
from shared import db
from shared.entra import REFRESH_MARGIN_SECONDS
from shared.errors import ServiceUnavailable
from shared.settings import ANSWER_MARGIN_SECONDS, get_settings
from tests.conftest import use_database
from tests.faults.proxy import FreezableProxy
from tests.doubles import FakeClock, FakeCredential

UNAVAILABLE = "The database is unavailable. Try again in a moment."
# The shortest limits the settings accept (Settings' bounds): the fastest faults to wait for.
SHORTEST_STATEMENT_MS = 100
SHORTEST_CONNECT_SECONDS = 2


def test_tenant_transaction_sets_the_organization_for_that_transaction_only(database):
    organization_id = uuid.uuid4()
    with db.tenant_transaction(organization_id) as cur:
        cur.execute("SELECT current_setting('app.organization_id', true) AS org")
        assert cur.fetchone()["org"] == str(organization_id)
        cur.execute("SELECT pg_backend_pid() AS pid")
        pid = cur.fetchone()["pid"]
    # The pool hands the same idle connection back; the setting ended with the transaction.
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        cur.execute("SELECT pg_backend_pid() AS pid,"
                    " current_setting('app.organization_id', true) AS org")
        row = cur.fetchone()
    assert row["pid"] == pid
    assert row["org"] in (None, "")


def test_an_organization_id_given_as_text_is_checked_before_the_transaction(database):
    organization_id = uuid.uuid4()
    with db.tenant_transaction(str(organization_id).upper()) as cur:  # any spelling of one
        cur.execute("SELECT current_setting('app.organization_id', true) AS org")
        assert cur.fetchone()["org"] == str(organization_id)
    with pytest.raises(ValueError):
        with db.tenant_transaction("not an organization"):
            pass


def test_nothing_is_left_to_fetch_after_executemany(database):
    with db.tenant_transaction(uuid.uuid4()) as cur:
        cur.execute("CREATE TEMP TABLE t (n int)")
        cur.executemany("INSERT INTO t VALUES (%s)", [(1,), (2,)])
        assert cur.rowcount == 2
        with pytest.raises(psycopg2.ProgrammingError):
            cur.fetchone()
    with db.tenant_transaction(uuid.uuid4()) as cur:
        with pytest.raises(psycopg2.ProgrammingError):
            cur.fetchone()  # nothing executed yet


def test_rows_come_as_dicts_by_column_name_however_they_are_fetched(database):
    rows = "SELECT n, 'row ' || n AS name FROM generate_series(1, 5) n ORDER BY n"
    with db.tenant_transaction(uuid.uuid4()) as cur:
        cur.execute(rows)
        assert cur.fetchone() == {"n": 1, "name": "row 1"}
        assert cur.fetchmany(2) == [{"n": 2, "name": "row 2"}, {"n": 3, "name": "row 3"}]
        assert list(cur) == [{"n": 4, "name": "row 4"}, {"n": 5, "name": "row 5"}]
        assert cur.fetchone() is None
        cur.execute(rows)
        assert [row["name"] for row in cur.fetchall()] == [f"row {n}" for n in range(1, 6)]
        cur.execute("SELECT 1 AS one WHERE false")  # no row: columns known, nothing to zip
        assert cur.fetchone() is None and cur.fetchall() == []


def test_an_exception_rolls_the_transaction_back(database, org, admin_sql):
    with pytest.raises(RuntimeError):
        with db.tenant_transaction(org.id) as cur:
            cur.execute("UPDATE organizations SET name = 'Renamed' WHERE id = %s", (org.id,))
            raise RuntimeError("boom")
    assert admin_sql("SELECT name FROM organizations WHERE id = %s", (org.id,))[0]["name"] != "Renamed"


def test_a_connection_the_server_dropped_is_replaced(database, admin_sql):
    with db.tenant_transaction(uuid.uuid4()) as cur:
        cur.execute("SELECT pg_backend_pid() AS pid")
        pid = cur.fetchone()["pid"]
    admin_sql("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.2)
    with db.tenant_transaction(uuid.uuid4()) as cur:
        cur.execute("SELECT pg_backend_pid() AS pid")
        assert cur.fetchone()["pid"] != pid


def test_a_transaction_names_the_functions_and_bounds_each_statement(database):
    # The name shows the functions' connections in pg_stat_activity; the timeout stops a
    # runaway query before the Functions host gives up on the request.
    with db.tenant_transaction(uuid.uuid4()) as cur:
        cur.execute("SELECT current_setting('application_name') AS name, setting AS timeout_ms"
                    " FROM pg_settings WHERE name = 'statement_timeout'")
        row = cur.fetchone()
    assert row == {"name": "snf-functions",
                   "timeout_ms": str(get_settings().db_statement_timeout_ms)}


def test_the_health_ping_answers_when_the_database_does(database):
    assert db.ping() is None


def test_a_pool_with_every_connection_in_use_answers_busy_within_the_timeout(database):
    os.environ["DB_POOL_MAX"] = "1"
    os.environ["DB_CONNECT_TIMEOUT_SECONDS"] = "2"
    get_settings.cache_clear()
    db.close_pool()
    try:
        with db.tenant_transaction(uuid.uuid4()):
            started = time.monotonic()
            with pytest.raises(ServiceUnavailable) as busy:
                with db.tenant_transaction(uuid.uuid4()):
                    pass
            waited = time.monotonic() - started
        assert busy.value.detail == "The service is busy. Try again in a moment."
        assert 1.5 < waited < 4
        with db.tenant_transaction(uuid.uuid4()) as cur:  # the slot came back
            cur.execute("SELECT 1")
    finally:
        del os.environ["DB_POOL_MAX"], os.environ["DB_CONNECT_TIMEOUT_SECONDS"]
        use_database(database)


def _backend_pid(cur) -> int:
    cur.execute("SELECT pg_backend_pid() AS pid")
    return cur.fetchone()["pid"]


def test_a_transaction_whose_every_connection_dies_is_tried_twice_then_a_503(database, caplog):
    # Each first message ends its own backend, as a server that drops every connection would:
    # a second connection is tried, not a third, and the body never runs on a dead one.
    entered = []
    with pytest.raises(ServiceUnavailable) as lost:
        with db.tenant_transaction(uuid.uuid4(), then=(
                "SELECT pg_terminate_backend(pg_backend_pid())", {})):
            entered.append(True)
    assert lost.value.detail == UNAVAILABLE
    assert entered == []
    assert "database unavailable: OperationalError" in caplog.messages


def test_a_statement_timeout_in_the_first_message_is_a_503_without_a_second_try(
        shortest_limits, database, admin_sql):
    # The server answered, in time, that the statement ran too long: the connection is alive,
    # and a second try would wait the statement timeout again. A sequence counts the tries (a
    # nextval outlives the rollback).
    tries = f"tries_{uuid.uuid4().hex}"
    admin_sql(f"CREATE SEQUENCE {tries}; GRANT USAGE ON SEQUENCE {tries} TO {database.app_role}")
    try:
        with pytest.raises(ServiceUnavailable):
            with db.tenant_transaction(uuid.uuid4(), then=(
                    "SELECT nextval(%(tries)s), pg_sleep(1)", {"tries": tries})):
                pass
        assert admin_sql(f"SELECT last_value, is_called FROM {tries}") == [
            {"last_value": 1, "is_called": True}]
    finally:
        admin_sql(f"DROP SEQUENCE {tries}")


def test_a_connection_lost_inside_a_transaction_is_a_503(database, admin_sql):
    with pytest.raises(ServiceUnavailable) as lost:
        with db.tenant_transaction(uuid.uuid4()) as cur:
            admin_sql("SELECT pg_terminate_backend(%s)", (_backend_pid(cur),))
            time.sleep(0.2)
            cur.execute("SELECT 1")
    assert lost.value.detail == UNAVAILABLE


def _idle_connections(count: int) -> set[int]:
    """Open `count` connections at once and give them back, so the pool holds them idle; their
    backends' pids."""
    with ExitStack() as stack:
        cursors = [stack.enter_context(db.tenant_transaction(uuid.uuid4())) for _ in range(count)]
        return {_backend_pid(cur) for cur in cursors}


def _terminate(admin_sql, pids) -> None:
    admin_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(%s)",
              (list(pids),))
    for _ in range(50):  # the backends exit a moment after they are told to
        if not admin_sql("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)):
            return
        time.sleep(0.05)


def test_when_every_idle_connection_died_the_first_request_succeeds(database, admin_sql):
    # As after a restart or a failover: the pool is full of idle connections, all dead. The
    # first found dead takes the others out, so the request that found it gets a new one.
    db.close_pool()
    pids = _idle_connections(get_settings().db_pool_max)
    assert len(pids) == get_settings().db_pool_max
    _terminate(admin_sql, pids)

    with db.tenant_transaction(uuid.uuid4()) as cur:
        assert _backend_pid(cur) not in pids
    with db.tenant_transaction(uuid.uuid4()) as cur:
        assert _backend_pid(cur) not in pids
    assert len(db.get_pool()._idle) == 1


def test_a_connection_lost_inside_a_transaction_takes_the_idle_ones_with_it(database, admin_sql,
                                                                           caplog):
    db.close_pool()
    idle = _idle_connections(3)
    with pytest.raises(ServiceUnavailable):
        with db.tenant_transaction(uuid.uuid4()) as cur:
            _terminate(admin_sql, idle | {_backend_pid(cur)})
            cur.execute("SELECT 1")
    assert db.get_pool()._idle == []
    # The three less the one the request took.
    assert "database connection lost: closing 2 idle connections" in caplog.messages
    with db.tenant_transaction(uuid.uuid4()) as cur:
        assert _backend_pid(cur) not in idle


def test_a_statement_timeout_is_a_503_that_keeps_the_idle_connections(database):
    # A slow statement says nothing about the other connections: they stay.
    db.close_pool()
    _idle_connections(3)
    with pytest.raises(ServiceUnavailable) as slow:
        with db.tenant_transaction(uuid.uuid4()) as cur:
            cur.execute("SET LOCAL statement_timeout = 50; SELECT pg_sleep(1)")
    assert slow.value.headers["Retry-After"] == "1"
    assert len(db.get_pool()._idle) == 3


def test_each_connection_has_keepalives_and_timeouts(database):
    settings = get_settings()
    with db.tenant_transaction(uuid.uuid4()) as cur:
        parameters = cur.connection.get_dsn_parameters()
        cur.execute("SELECT setting AS idle FROM pg_settings"
                    " WHERE name = 'idle_in_transaction_session_timeout'")
        idle = cur.fetchone()["idle"]
    network = settings.db_network_timeout_seconds
    assert {name: parameters.get(name) for name in (
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
        "tcp_user_timeout", "connect_timeout")} == {
        "keepalives": "1", "keepalives_idle": str(-(-network // 2)),
        "keepalives_interval": str(max(1, network // 6)), "keepalives_count": "3",
        "tcp_user_timeout": str(network * 1000),
        "connect_timeout": str(settings.db_connect_timeout_seconds)}
    assert idle == str(settings.db_idle_in_transaction_timeout_ms)


def test_keepalive_probes_fill_the_half_of_the_network_timeout_after_the_idle_half():
    from shared.settings import load_settings
    for network in (12, 60, 300):
        parameters = db.connection_parameters(
            load_settings({"DB_NETWORK_TIMEOUT_SECONDS": str(network)}), None)
        assert parameters["keepalives_idle"] == network / 2
        assert parameters["keepalives_idle"] + (
            parameters["keepalives_count"] * parameters["keepalives_interval"]) == network
        assert parameters["tcp_user_timeout"] == network * 1000


@pytest.fixture
def shortest_limits(database):
    """The shortest limits the settings accept, in a pool of their own: a 100 ms statement
    timeout (each answer awaited 1.1 s) and 2 s to connect."""
    with settings_environment({"DB_STATEMENT_TIMEOUT_MS": str(SHORTEST_STATEMENT_MS),
                               "DB_CONNECT_TIMEOUT_SECONDS": str(SHORTEST_CONNECT_SECONDS)}):
        db.close_pool()
        yield
    db.close_pool()


@pytest.fixture
def frozen_network(shortest_limits):
    """The functions reach the database through a proxy the test can freeze, with the shortest
    limits, so a fault's wait is as short as a deployment's can be."""
    proxy = FreezableProxy(get_settings().db_port).start()
    with settings_environment({"DB_PORT": str(proxy.port)}):
        db.close_pool()
        yield proxy
    db.close_pool()
    proxy.stop()


def _timed(*calls, within: float) -> list[tuple[float, BaseException | None]]:
    """The calls run at once, each in a thread: how long each took and what it raised. Calls
    still waiting after `within` seconds fail the test then, not never: on a frozen network
    only the watchdog ends the wait."""
    outcomes: dict[int, tuple[float, BaseException | None]] = {}

    def run(index, call):
        started = time.monotonic()
        try:
            call()
        except BaseException as exc:  # what the call raised, for the test to judge
            outcomes[index] = (time.monotonic() - started, exc)
        else:
            outcomes[index] = (time.monotonic() - started, None)

    # Daemons: one left waiting ends when the fixture stops the proxy (its socket closes).
    threads = [threading.Thread(target=run, args=item, daemon=True) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    until = time.monotonic() + within
    for thread in threads:
        thread.join(max(0.0, until - time.monotonic()))
    assert len(outcomes) == len(calls), f"no answer within {within} s"
    return [outcomes[index] for index in range(len(calls))]


def _just_after_a_look() -> None:
    """Return when the watchdog has just looked at its deadlines (its next look moved)."""
    watchdog = db._watchdog
    with watchdog._changed:
        planned = watchdog._wakes_at
    until = time.monotonic() + 5
    while watchdog._wakes_at == planned and time.monotonic() < until:
        time.sleep(0.002)
    assert watchdog._wakes_at != planned, "the watchdog did not look for 5 s"


def _one_transaction():
    with db.tenant_transaction(uuid.uuid4()) as cur:
        cur.execute("SELECT 1")


def test_a_database_that_stops_answering_is_a_503_within_the_deadline(frozen_network):
    settings = get_settings()
    answer = settings.db_statement_timeout_ms / 1000 + ANSWER_MARGIN_SECONDS
    _idle_connections(3)
    frozen_network.freeze()

    # Two requests at once on idle connections: each first statement is awaited for the answer
    # limit, then given up, and the idle one left is closed; a new connection is awaited for
    # the connect timeout. Begun just after the watchdog looked, each is cut at its deadline,
    # not at a later look: half a second is far more than waking a thread takes under load.
    _just_after_a_look()
    for waited, error in _timed(_one_transaction, _one_transaction, within=answer + 0.5):
        assert isinstance(error, ServiceUnavailable) and error.detail == UNAVAILABLE
        assert answer - 0.1 < waited
    assert db.get_pool()._idle == []
    connect = settings.db_connect_timeout_seconds
    [(waited, error)] = _timed(_one_transaction, within=connect + 1.5)
    assert isinstance(error, ServiceUnavailable)
    assert connect - 0.1 < waited < settings.db_deadline_seconds

    frozen_network.thaw()
    [(waited, error)] = _timed(_one_transaction, within=2)
    assert error is None


def test_the_shortest_limits_are_the_shortest_the_settings_accept():
    from shared.settings import load_settings
    load_settings({"DB_STATEMENT_TIMEOUT_MS": str(SHORTEST_STATEMENT_MS),
                   "DB_CONNECT_TIMEOUT_SECONDS": str(SHORTEST_CONNECT_SECONDS)})
    with pytest.raises(RuntimeError, match="DB_STATEMENT_TIMEOUT_MS"):
        load_settings({"DB_STATEMENT_TIMEOUT_MS": str(SHORTEST_STATEMENT_MS - 1)})
    with pytest.raises(RuntimeError, match="DB_CONNECT_TIMEOUT_SECONDS"):
        load_settings({"DB_CONNECT_TIMEOUT_SECONDS": str(SHORTEST_CONNECT_SECONDS - 1)})


def test_no_statement_needs_to_wake_the_watchdog_even_at_the_shortest_timeout(
        shortest_limits):
    """The watchdog never plans its next look further ahead than the shortest answer limit, so
    the deadline of a statement begun at any moment falls after that look: no statement wakes
    its thread (a wake per statement cost 0.2 ms of each on two cores). Load cannot fail it:
    the thread plans when it wakes, the test reads later still, so a delay only shortens the
    distance read."""
    watchdog = db._watchdog
    with db.tenant_transaction(uuid.uuid4()) as cur:  # starts the watchdog's thread
        shortest = cur.connection.answer_seconds
        # A hundred statements: it looks no more often than its own timer makes it (looks are
        # planned that far apart at least), whatever the statements' deadlines.
        started, planned = time.monotonic(), {watchdog._wakes_at}
        for _ in range(100):
            cur.execute("SELECT 1")
            planned.add(watchdog._wakes_at)
        elapsed = time.monotonic() - started
    assert len(planned) - 1 <= elapsed / watchdog.LONGEST_SLEEP_SECONDS + 1
    assert shortest == SHORTEST_STATEMENT_MS / 1000 + ANSWER_MARGIN_SECONDS
    with watchdog._changed:  # the thread looks under this lock: its next look comes after now
        planned, planned_at = watchdog._wakes_at, time.monotonic()
    waited_until = time.monotonic() + 2 * shortest
    while watchdog._wakes_at == planned and time.monotonic() < waited_until:
        time.sleep(0.005)
    # Its next look, taken with nothing due, planned the one after: how far ahead?
    read_at = time.monotonic()
    assert watchdog._wakes_at != planned, "the watchdog did not look within the answer limit"
    assert planned_at < watchdog._wakes_at  # ahead of that look, not behind it
    assert watchdog._wakes_at - read_at <= shortest


def test_the_watchdog_never_keeps_a_process_from_ending(database):
    """A process that used the database ends when its work does (`make timer`, a Functions
    worker told to stop): the watchdog's thread is a daemon, named for whoever reads a dump
    of the threads."""
    import subprocess
    import sys
    from local.processes import stop_process
    code = ("import threading, uuid\n"
            "from shared import db\n"
            "with db.tenant_transaction(uuid.uuid4()) as cur:\n"
            "    cur.execute('SELECT 1')\n"
            "print(*sorted(t.name for t in threading.enumerate() if t.daemon), flush=True)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                               cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                                   os.path.abspath(__file__)))))
    try:
        assert "db-watchdog" in process.stdout.readline().split()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            stop_process(process)


def test_an_error_inside_a_transaction_rolls_back_and_keeps_the_connection(database, org,
                                                                           admin_sql):
    # A 404 or 422 raised mid-transaction is routine: the connection is rolled back and reused,
    # not dropped (a new one costs a handshake, and with Entra auth a token).
    with db.tenant_transaction(org.id) as cur:
        pid = _backend_pid(cur)
    with pytest.raises(RuntimeError):
        with db.tenant_transaction(org.id) as cur:
            assert _backend_pid(cur) == pid
            cur.execute("UPDATE organizations SET name = 'Renamed' WHERE id = %s", (org.id,))
            raise RuntimeError("not found")
    with db.tenant_transaction(org.id) as cur:
        assert _backend_pid(cur) == pid
        cur.execute("SELECT name FROM organizations WHERE id = %s", (org.id,))
        assert cur.fetchone()["name"] != "Renamed"


def test_an_error_after_the_connection_was_lost_is_a_503(database, admin_sql):
    # Whatever the handler raised, the transaction's work is gone with the connection: the
    # caller is told the database is unavailable, not the handler's error.
    with pytest.raises(ServiceUnavailable) as lost:
        with db.tenant_transaction(uuid.uuid4()) as cur:
            admin_sql("SELECT pg_terminate_backend(%s)", (_backend_pid(cur),))
            time.sleep(0.2)
            raise RuntimeError("not found")
    assert lost.value.detail == UNAVAILABLE
    with db.tenant_transaction(uuid.uuid4()) as cur:  # the next one gets a working connection
        cur.execute("SELECT 1 AS one")
        assert cur.fetchone()["one"] == 1


def test_a_statement_stopped_by_the_statement_timeout_is_a_503(database):
    # The server cancels a runaway statement; the caller gets a 503 to retry, not a 500.
    with pytest.raises(ServiceUnavailable):
        with db.tenant_transaction(uuid.uuid4()) as cur:
            cur.execute("SET LOCAL statement_timeout = 50; SELECT pg_sleep(1)")


def test_a_connection_handed_back_inside_a_transaction_is_not_reused(database):
    pool = db.get_pool()
    conn = pool.acquire()
    with conn.cursor() as cur:
        cur.execute("BEGIN; SELECT pg_backend_pid()")  # a transaction, never ended
        pid = cur.fetchone()[0]

    pool.release(conn)

    assert conn.closed
    with db.tenant_transaction(uuid.uuid4()) as cur:
        assert _backend_pid(cur) != pid


def test_closing_the_pool_ends_its_idle_connections_on_the_server(database, admin_sql):
    pool = db.get_pool()  # held, as a request still running on another thread would
    with db.tenant_transaction(uuid.uuid4()) as cur:
        pid = _backend_pid(cur)

    db.close_pool()

    deadline = time.monotonic() + 5
    while admin_sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not admin_sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
    assert db.get_pool() is not pool  # the next transaction makes a new pool


def test_a_released_connection_is_kept_for_reuse_unless_it_is_broken(database):
    pool = db.get_pool()
    kept, dropped = pool.acquire(), pool.acquire()

    pool.release(kept)
    pool.release(dropped, broken=True)

    assert kept in pool._idle and not kept.closed
    assert dropped not in pool._idle and dropped.closed


def test_connections_in_use_when_one_is_found_dead_are_closed_when_they_come_back(database,
                                                                                 admin_sql):
    # Whatever killed it killed them: at every loss, not only the first of the process.
    db.close_pool()
    for _ in range(2):
        with db.tenant_transaction(uuid.uuid4()) as in_use:
            with pytest.raises(ServiceUnavailable):
                with db.tenant_transaction(uuid.uuid4()) as cur:
                    _terminate(admin_sql, {_backend_pid(cur)})
                    cur.execute("SELECT 1")
        assert in_use.connection.closed and in_use.connection not in db.get_pool()._idle


def test_the_pool_never_opens_more_than_its_maximum(database):
    pool = db.get_pool()
    maximum = get_settings().db_pool_max
    inside, peak, lock = 0, 0, threading.Lock()

    def work():
        nonlocal inside, peak
        with db.tenant_transaction(uuid.uuid4()) as cur:
            with lock:
                inside += 1
                peak = max(peak, inside)
            cur.execute("SELECT pg_sleep(0.05)")
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(maximum * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak <= maximum
    assert len(pool._idle) <= maximum


def test_every_way_out_of_a_transaction_gives_its_slot_back_exactly_once(database, admin_sql):
    """A slot lost caps the pool below its maximum for the process's life; a slot given back
    twice lets it open more connections than the server allows it."""
    db.close_pool()
    pool, maximum = db.get_pool(), get_settings().db_pool_max
    with db.tenant_transaction(uuid.uuid4()) as cur:
        cur.execute("SELECT 1")
    with pytest.raises(RuntimeError):
        with db.tenant_transaction(uuid.uuid4()):
            raise RuntimeError("the handler's own failure")
    with pytest.raises(psycopg2.Error):
        with db.tenant_transaction(uuid.uuid4()) as cur:
            cur.execute("SELECT 1/0")
    with pytest.raises(ServiceUnavailable):
        with db.tenant_transaction(uuid.uuid4()) as cur:
            _terminate(admin_sql, {_backend_pid(cur)})
            cur.execute("SELECT 1")
    assert pool._slots.qsize() == maximum


def test_database_unreachable_is_a_503_within_the_connect_timeout(database, caplog):
    os.environ["DB_PORT"] = "1"  # nothing listens there
    os.environ["DB_CONNECT_TIMEOUT_SECONDS"] = "2"
    get_settings.cache_clear()
    db.close_pool()
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as unavailable:
            with db.tenant_transaction(uuid.uuid4()):
                pass
        assert time.monotonic() - started < 4
        assert unavailable.value.detail == UNAVAILABLE
        assert "database unreachable: OperationalError" in [
            record.getMessage() for record in caplog.records]
    finally:
        del os.environ["DB_CONNECT_TIMEOUT_SECONDS"]
        use_database(database)


def test_entra_auth_gives_each_new_connection_a_current_token_and_reuses_it_until_near_expiry(
        database, caplog):
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    credential = FakeCredential(lifetime_seconds=3600, clock=clock)
    os.environ["DB_ENTRA_AUTH"] = "true"
    get_settings.cache_clear()
    db.close_pool()
    db.use_credential(credential, clock=clock)
    try:
        with db.tenant_transaction(uuid.uuid4()) as first:
            # A second connection while the first is in use: it opens with the same valid token.
            with db.tenant_transaction(uuid.uuid4()) as second:
                first.execute("SELECT 1")
                second.execute("SELECT 1")
        assert credential.requests == [(db.ENTRA_SCOPE,)]
        clock.now += 3600 - REFRESH_MARGIN_SECONDS  # the token is about to expire
        with db.tenant_transaction(uuid.uuid4()) as cur:  # an idle connection needs no token
            cur.execute("SELECT 1")
        assert len(credential.requests) == 1
        db.close_pool()
        with db.tenant_transaction(uuid.uuid4()) as cur:  # a new connection: a new token
            cur.execute("SELECT 1")
        assert credential.requests == [(db.ENTRA_SCOPE,), (db.ENTRA_SCOPE,)]
        assert not any(token in caplog.text for token in credential.issued)
    finally:
        del os.environ["DB_ENTRA_AUTH"]
        db.use_credential(None)
        use_database(database)


def test_a_token_never_appears_in_the_log_when_the_server_refuses_it(database, caplog):
    caplog.set_level(logging.DEBUG)
    credential = FakeCredential()
    os.environ.update(DB_ENTRA_AUTH="true", DB_PORT="1", DB_CONNECT_TIMEOUT_SECONDS="2")
    get_settings.cache_clear()
    db.close_pool()
    db.use_credential(credential)
    try:
        with pytest.raises(ServiceUnavailable):
            with db.tenant_transaction(uuid.uuid4()):
                pass
        assert credential.issued and caplog.records
        assert not any(token in caplog.text for token in credential.issued)
    finally:
        for name in ("DB_ENTRA_AUTH", "DB_PORT", "DB_CONNECT_TIMEOUT_SECONDS"):
            del os.environ[name]
        db.use_credential(None)
        use_database(database)


def test_without_a_credential_given_the_default_azure_credential_is_made_once():
    # A fresh process, as a Functions worker starts: azure-identity's DefaultAzureCredential
    # (replaced by a stand-in that counts, since the real one would call Azure) is made on the
    # first token and kept.
    import subprocess
    import sys
    code = """
import azure.identity
from azure.core.credentials import AccessToken
made = []
class Stand_in:
    def __init__(self):
        made.append(self)
    def get_token(self, *scopes):
        return AccessToken("token-" + scopes[0], 0)
azure.identity.DefaultAzureCredential = Stand_in
from shared import db
print(db._entra_token(), db._entra_token(), len(made))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__)))))
    token = "token-https://ossrdbms-aad.database.windows.net/.default"
    assert out.stdout.split() == [token, token, "1"]


def test_settings_refuse_an_unresolved_key_vault_reference():
    from shared.settings import load_settings
    with pytest.raises(RuntimeError, match="DB_PASSWORD"):
        load_settings({"DB_PASSWORD": "@Microsoft.KeyVault(SecretUri=https://kv/secrets/x)"})


def test_importing_the_function_app_loads_no_heavy_sdk():
    """Each costs a cold start tens of ms (PLATFORM-NOTES): imported where used."""
    import subprocess
    import sys
    from bench.cold_start import HEAVY
    assert {"stripe", "azure.identity", "argon2", "cryptography", "pyotp", "segno"} <= set(HEAVY)
    code = ("import sys, function_app; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.stdout.strip() == "[]"



# The organization the query saw, its transaction, and whether it came in the message that
# began the transaction (a later message is received, and timestamped, later).
SEEN_WITH_THE_SETTINGS = ("SELECT current_setting('app.organization_id', true) AS org,"
                          " txid_current() AS txid,"
                          " statement_timestamp() = transaction_timestamp() AS one_message", {})


def test_the_query_sent_with_the_settings_is_answered_in_their_round_trip(database, org):
    """BEGIN, the settings and `then` are one message: the cursor holds the query's row, the
    query saw the organization set, and the transaction is the one that goes on."""
    with db.tenant_transaction(org.id, then=SEEN_WITH_THE_SETTINGS) as cur:
        first = cur.fetchone()
        cur.execute("SELECT txid_current() AS txid")
        assert cur.fetchone()["txid"] == first["txid"]
    assert first["org"] == str(org.id)
    assert first["one_message"]


def test_where_citus_runs_the_query_sent_with_the_settings_is_a_round_trip_of_its_own(
        database, org):
    # Citus refused a query in the message of the SET LOCALs it must carry to its workers. The
    # pool asks each new connection whether the server runs Citus; this one is told it does
    # (the statements run as well on plain PostgreSQL, where the settings are placeholders).
    db.close_pool()
    pool = db.get_pool()
    conn = pool.acquire()
    assert conn.citus is False  # the pool asked this server, which runs no Citus
    conn.citus = True
    pool.release(conn)
    try:
        with db.tenant_transaction(org.id, then=SEEN_WITH_THE_SETTINGS) as cur:
            assert cur.connection is conn
            seen = cur.fetchone()
    finally:
        db.close_pool()  # no later test gets the connection told so
    assert seen["org"] == str(org.id)
    assert not seen["one_message"]


def test_reads_together_come_back_as_each_alone_would(database, org, make_facility):
    from shared.repositories import facilities, payers, together
    facility = make_facility(org)
    with db.tenant_transaction(org.id) as cur:
        alone = facilities.get(cur, organization_id=org.id, id=uuid.UUID(facility["id"]))
        found = together.read(
            cur,
            facility=(facilities.COLUMNS, *facilities.TABLE.get_statement(
                organization_id=org.id, id=uuid.UUID(facility["id"]))),
            payer=(payers.COLUMNS, *payers.TABLE.get_statement(
                organization_id=org.id, id=uuid.uuid4())))
    assert found == {"facility": dict(alone), "payer": None}
    assert type(found["facility"]["wage_index"]) is type(alone["wage_index"])


def _count(last: int) -> tuple[str, dict]:
    return "SELECT n FROM generate_series(1, %(last)s) AS n", {"last": last}


def test_batches_bring_every_row_a_batch_at_a_time_and_close_their_cursor(database):
    with db.tenant_transaction(uuid.uuid4()) as cur:
        rows = db.batches(cur, "numbers", *_count(45))
        first = next(rows)
        assert cur.rowcount == 20  # one batch fetched so far, never the whole result
        rest = []
        [(_, error)] = _timed(lambda: rest.extend(rows), within=5)  # not a FETCH loop forever
        assert error is None
        assert [row["n"] for row in (first, *rest)] == list(range(1, 46))
        # A result of whole batches, the last FETCH empty; and one that fits in one batch.
        assert [row["n"] for row in db.batches(cur, "whole", *_count(30), batch=10)] == \
            list(range(1, 31))
        assert [row["n"] for row in db.batches(cur, "few", *_count(3))] == [1, 2, 3]
        cur.execute("SELECT count(*) AS open FROM pg_cursors")
        assert cur.fetchone()["open"] == 0

