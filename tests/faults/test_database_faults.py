"""Database faults under a write load, end to end: the local host in its own process, against its
own throwaway PostgreSQL cluster reached through a TCP proxy the test controls. PostgreSQL is
restarted, stopped for 10 s, has a backend killed with SIGKILL, and stops answering (the proxy
freezes). Each time: every acknowledged write is stored, every failure is a 503 problem with
Retry-After within the stated deadline, every request made once the database is back
succeeds, and the host never restarts."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
from psycopg2.extensions import make_dsn

from local.database import drop, provision
from local.processes import stop_process
from shared.settings import load_settings
from tests.faults.cluster import Cluster
from tests.faults.proxy import FreezableProxy

ROOT = Path(__file__).resolve().parents[2]
# Short limits, so a fault's 503s come within seconds: the deadline is 2 * 2 s + 2 s + 1 s.
HOST_SETTINGS = {"DB_CONNECT_TIMEOUT_SECONDS": "2", "DB_STATEMENT_TIMEOUT_MS": "2000",
                 "DB_POOL_MAX": "10", "DB_SSLMODE": "disable"}
DEADLINE = load_settings(HOST_SETTINGS).db_deadline_seconds
MARGIN = 1.0  # scheduling on a busy machine, HTTP on loopback
CLIENT_TIMEOUT = 30  # the old pool waited forever on a frozen network: fail, never hang


@dataclass
class Outcome:
    started: float
    ended: float
    status: int  # 0: no answer within CLIENT_TIMEOUT
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def waited(self) -> float:
        return self.ended - self.started

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Stack:
    cluster: Cluster
    proxy: FreezableProxy
    host: subprocess.Popen
    port: int
    admin_dsn: str
    token: str = ""
    organization_id: str = ""

    def call(self, method: str, path: str, body: dict | None = None) -> Outcome:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT)
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers=headers)
            response = conn.getresponse()
            data = response.read()
            return Outcome(started, time.monotonic(), response.status,
                           {k.lower(): v for k, v in response.getheaders()}, data)
        except OSError:  # a timeout or a reset: no answer at all
            return Outcome(started, time.monotonic(), 0)
        finally:
            conn.close()

    def stored_facilities(self) -> set[str]:
        conn = psycopg2.connect(self.admin_dsn, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id::text FROM facilities WHERE organization_id = %s",
                            (self.organization_id,))
                return {row[0] for row in cur.fetchall()}
        finally:
            conn.close()

    def app_backends(self) -> list[int]:
        conn = psycopg2.connect(self.admin_dsn, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pid FROM pg_stat_activity"
                            " WHERE application_name = 'snf-functions' ORDER BY backend_start")
                return [row[0] for row in cur.fetchall()]
        finally:
            conn.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    cluster = Cluster()
    proxy = host = target = None
    try:
        cluster.start()
        run = uuid.uuid4().hex[:8]
        target = provision(cluster.admin_dsn, database=f"snf_faults_{run}",
                           owner_role=f"snf_faults_owner_{run}", app_role=f"snf_faults_app_{run}")
        proxy = FreezableProxy(cluster.port).start()
        logs = tmp_path_factory.mktemp("faults")
        environment = {**os.environ, **HOST_SETTINGS, **target.function_settings(),
                       "DB_PORT": str(proxy.port), "EMAIL_FILE_DIR": str(logs / "mail")}
        host = subprocess.Popen([sys.executable, "-m", "tests.faults.host_process"], cwd=ROOT,
                                env=environment, stdout=subprocess.PIPE,
                                stderr=(logs / "host.log").open("w"), text=True)
        port = int(host.stdout.readline())
        stack = Stack(cluster, proxy, host, port,
                      make_dsn(cluster.admin_dsn, dbname=target.database))
        subdomain = f"faults{run}"
        signed_up = stack.call("POST", "/api/signup", {
            "organization_name": "Fault Tests", "subdomain": subdomain,
            "email": f"owner@{subdomain}.example", "password": "a long passphrase for faults"})
        assert signed_up.status == 201, signed_up.body
        stack.token = signed_up.json()["token"]
        stack.organization_id = signed_up.json()["organization"]["id"]
        conn = psycopg2.connect(stack.admin_dsn)  # a plan without a facility limit
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE organizations SET tier = 'enterprise', status = 'active'"
                        " WHERE id = %s", (stack.organization_id,))
        conn.close()
        yield stack
        assert host.poll() is None and host.pid == stack.host.pid  # served every test, alive
    finally:
        if host is not None:
            stop_process(host)
        if proxy is not None:
            proxy.stop()
        if target is not None:
            try:
                drop(target)
            except psycopg2.Error:
                pass  # the cluster goes with its directory anyway
        cluster.remove()


class WriteLoad:
    """A few threads creating facilities through HTTP, each outcome kept."""

    def __init__(self, stack: Stack, threads: int = 4):
        self.stack = stack
        self.outcomes: list[tuple[Outcome, str | None]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, daemon=True) for _ in range(threads)]

    def __enter__(self) -> "WriteLoad":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)

    def _write(self) -> None:
        while not self._stop.is_set():
            outcome = self.stack.call("POST", "/api/facilities", {
                "name": f"Load {uuid.uuid4().hex[:12]}", "bed_count": 100})
            created = outcome.json()["id"] if outcome.status == 201 else None
            with self._lock:
                self.outcomes.append((outcome, created))
            time.sleep(0.02)


def warm_pool(stack: Stack, requests: int = 10) -> int:
    """Requests at once, so the host's pool holds several idle connections; how many it holds."""
    barrier = threading.Barrier(requests)

    def read():
        barrier.wait()
        assert stack.call("GET", "/api/facilities?limit=1").ok

    threads = [threading.Thread(target=read) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(stack.app_backends())


def check(stack: Stack, load: WriteLoad, recovered_at: float) -> list[Outcome]:
    """The rules every fault keeps; returns the failures."""
    outcomes = [outcome for outcome, _ in load.outcomes]
    slowest = max(outcomes, key=lambda o: o.waited)
    assert slowest.waited <= DEADLINE + MARGIN, (slowest.waited, slowest.status)
    failures = [o for o in outcomes if not o.ok]
    for failure in failures:
        assert failure.status == 503, (failure.status, failure.body)
        assert failure.headers["content-type"] == "application/problem+json"
        assert failure.json()["type"].endswith("/unavailable")
        assert int(failure.headers["retry-after"]) >= 1
        assert failure.waited <= DEADLINE + MARGIN, failure.waited
    late = [o for o in failures if o.started >= recovered_at]
    assert late == [], f"{len(late)} requests failed after the database was back"
    assert any(o.ok and o.started >= recovered_at for o in outcomes)
    acknowledged = {created for outcome, created in load.outcomes if outcome.ok}
    assert acknowledged <= stack.stored_facilities()
    assert stack.call("GET", "/api/health").ok
    assert stack.host.poll() is None
    print(f"\n  {len(outcomes)} writes, {len(acknowledged)} acknowledged, {len(failures)} 503s,"
          f" longest 503 {max((f.waited for f in failures), default=0):.2f} s"
          f" (deadline {DEADLINE:.0f} s)")
    return failures


def failures_before_the_first_success(stack: Stack) -> int:
    for failed in range(20):
        if stack.call("GET", "/api/facilities?limit=1").ok:
            return failed
    return 20


def test_after_a_restart_the_first_request_succeeds(stack):
    # The pool full of idle connections, the database restarted while nobody asks: before the
    # pool's fix, each request met two dead connections and five in a row answered 503.
    idle = warm_pool(stack)
    assert idle >= 2  # enough: the old pool's first request met two dead ones and failed
    stack.cluster.restart()
    failed = failures_before_the_first_success(stack)
    print(f"\n  requests failing after a restart with {idle} pooled connections: {failed}")
    assert failed == 0


def restart(stack: Stack) -> None:
    stack.cluster.restart()


def stop_for_ten_seconds(stack: Stack) -> None:
    stack.cluster.stop()
    time.sleep(10)
    stack.cluster.start()


def kill_a_backend(stack: Stack) -> None:
    backends = stack.app_backends()
    stack.cluster.kill_backend(backends[0])
    stack.cluster.wait_until_gone(backends)  # the postmaster ends every other backend
    stack.cluster.wait_until_ready()


def freeze_the_network(stack: Stack) -> None:
    # Nothing is refused: the proxy holds every byte, for longer than the deadline. Only the
    # pool's own limits end the wait (before them, requests hung for the whole freeze).
    stack.proxy.freeze()
    time.sleep(DEADLINE + MARGIN + 1)
    stack.proxy.thaw()


@pytest.mark.parametrize("fault, some_fail_after", [
    (restart, None),
    (kill_a_backend, None),
    # The writes of those 10 s were refused, not queued.
    (stop_for_ten_seconds, 0),
    # They failed only once they had waited for an answer.
    (freeze_the_network, 2),
], ids=lambda value: getattr(value, "__name__", None))
def test_under_write_load(stack, fault, some_fail_after):
    """`some_fail_after`: the fault must fail some writes, the longest after waiting more than
    this many seconds; None: it may fail none."""
    warm_pool(stack)
    with WriteLoad(stack) as load:
        time.sleep(0.5)
        fault(stack)
        recovered_at = time.monotonic()
        time.sleep(1.5)
    failures = check(stack, load, recovered_at)
    if some_fail_after is not None:
        assert failures and max(f.waited for f in failures) > some_fail_after
