"""The host's memory under anonymous load (issue 11: 50 concurrent signups took a host from
62 MiB to 2,481 MiB, 25 failed sign-ins to 1,664 MiB): a host process serving the app, 50
concurrent signups then 50 concurrent sign-ins over HTTP, and its peak resident memory
(VmHWM) held under the hashing slots' share plus a fixed allowance."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from local.processes import stop_process
from shared.hashing import MEMORY_COST_BYTES
from tests.factories import PASSWORD, fresh_address, unique_subdomain

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
SLOTS = 4
# What the host may grow beyond its warm size besides the hashes: 50 request threads, their
# buffers, the pool's connections, the allocator's slack. Measured 20-40 MiB on this code.
ALLOWANCE = 100 * MiB
BOUND = SLOTS * MEMORY_COST_BYTES + ALLOWANCE
CONCURRENT = 50
# The local host's own backlog is 5 (issue 11, item 8, another change): raised here so that
# 50 connections at once reach the app rather than being reset.
HOST = """
import socketserver, sys
socketserver.TCPServer.request_queue_size = 128
from function_app import app
from local.host import make_server
server = make_server(app, "127.0.0.1", 0)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def memory(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


@pytest.fixture(scope="module")
def host(database):
    env = {**os.environ, "PASSWORD_HASH_CONCURRENCY": str(SLOTS),
           "PASSWORD_HASH_WAIT_SECONDS": "30", "SIGNUP_LIMIT_PER_ADDRESS": "1000"}
    process = subprocess.Popen([sys.executable, "-c", HOST], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        yield process.pid, port
    finally:
        stop_process(process)


@pytest.fixture
def forget_loopback_counts(admin_sql):
    """The host sees every request come from 127.0.0.1: its signup and failure counts would
    hold against the other tests that use a local host on this database."""
    yield
    from shared.services import throttle
    admin_sql("DELETE FROM sign_in_throttle WHERE key_hash = ANY(%s)",
              ([psycopg2.Binary(throttle.signup_key("127.0.0.1")),
                psycopg2.Binary(throttle.address_key("127.0.0.1"))],))


def post(port: int, path: str, body: dict, address: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json",
                                                      "X-Forwarded-For": address,
                                                      "Connection": "close"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders())
    finally:
        conn.close()


def all_at_once(calls) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def signup_body(subdomain: str) -> dict:
    return {"organization_name": "Lakeside Care", "subdomain": subdomain,
            "email": f"owner@{subdomain}.example", "password": PASSWORD}


def test_fifty_signups_and_fifty_sign_ins_at_once_stay_under_the_bound(host,
                                                                    forget_loopback_counts):
    pid, port = host
    warm = unique_subdomain()  # the first requests import and connect: part of the warm size
    assert post(port, "/api/signup", signup_body(warm), fresh_address())[0] == 201
    assert post(port, "/api/auth/login", {"subdomain": warm, "email": f"owner@{warm}.example",
                                          "password": "not the password"},
                fresh_address())[0] == 401
    warm_size = memory(pid, "VmHWM")

    subdomains = [unique_subdomain() for _ in range(CONCURRENT)]
    signups = all_at_once([lambda s=s: post(port, "/api/signup", signup_body(s), fresh_address())
                           for s in subdomains])
    sign_ins = all_at_once([
        lambda s=s: post(port, "/api/auth/login", {"subdomain": s, "email": f"owner@{s}.example",
                                                   "password": "a wrong password"},
                         fresh_address())
        for s in subdomains])
    peak = memory(pid, "VmHWM")

    print(f"\nhost peak {peak / MiB:.0f} MiB, warm {warm_size / MiB:.0f} MiB, growth "
          f"{(peak - warm_size) / MiB:.0f} MiB, bound {BOUND / MiB:.0f} MiB")
    assert peak - warm_size <= BOUND, (peak / MiB, warm_size / MiB)
    assert [status for status, _ in signups] == [201] * CONCURRENT
    assert [status for status, _ in sign_ins] == [401] * CONCURRENT
