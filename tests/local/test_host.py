"""The local host over real HTTP, and the timer functions run by name."""
from __future__ import annotations

import http.client
import json
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from local.host import WEB_DIR, make_server
from tests.factories import PASSWORD, token_digest, unique_subdomain


@pytest.fixture(scope="module")
def server(database, app):
    """The local host on a free port, serving in a thread; shut down afterwards."""
    http_server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    host, port = http_server.server_address[:2]
    yield f"http://{host}:{port}"
    http_server.shutdown()
    http_server.server_close()
    thread.join(timeout=5)
    assert not thread.is_alive()


def fetch(url: str, *, method: str = "GET", data: bytes | None = None,
          headers: dict | None = None):
    """(status, headers, body) of a real HTTP request, error statuses included."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def raw_get(base: str, path: str):
    """A GET with the path sent exactly as given (urllib would not normalize it either, but
    http.client makes that certain)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_health_over_http_is_json(server):
    status, headers, body = fetch(server + "/api/health")

    assert status == 200
    assert headers.get_content_type() == "application/json"
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert headers["X-Request-Id"]
    assert int(headers["Content-Length"]) == len(body)


def test_an_unknown_api_route_over_http_is_a_problem(server):
    status, headers, body = fetch(server + "/api/no/such/thing?x=1")

    assert status == 404
    assert headers.get_content_type() == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 404
    assert problem["request_id"] == headers["X-Request-Id"]


def test_signup_over_http_creates_the_organization(server, admin_sql):
    subdomain = unique_subdomain("http")
    payload = json.dumps({"organization_name": "Over HTTP", "subdomain": subdomain,
                          "email": f"owner@{subdomain}.example", "password": PASSWORD})

    status, headers, body = fetch(server + "/api/signup", method="POST", data=payload.encode(),
                                  headers={"Content-Type": "application/json"})

    assert status == 201, body
    session = json.loads(body)
    assert session["organization"]["subdomain"] == subdomain
    status, _, me = fetch(server + "/api/me",
                          headers={"Authorization": f"Bearer {session['token']}"})
    assert status == 200
    assert json.loads(me)["user"]["email"] == f"owner@{subdomain}.example"
    # The host passes the peer address on as the function's source address.
    rows = admin_sql("SELECT host(source_address) AS address FROM audit_logs "
                     "WHERE request_id = %s", (headers["X-Request-Id"],))
    assert rows and {r["address"] for r in rows} == {"127.0.0.1"}


def test_a_client_sent_forwarded_for_does_not_become_the_source_address(server, admin_sql):
    subdomain = unique_subdomain("xff")
    payload = json.dumps({"organization_name": "Spoof", "subdomain": subdomain,
                          "email": f"owner@{subdomain}.example", "password": PASSWORD})

    status, headers, _ = fetch(server + "/api/signup", method="POST", data=payload.encode(),
                               headers={"X-Forwarded-For": "198.51.100.77"})

    assert status == 201
    rows = admin_sql("SELECT host(source_address) AS address FROM audit_logs "
                     "WHERE request_id = %s", (headers["X-Request-Id"],))
    assert {r["address"] for r in rows} == {"127.0.0.1"}


def test_the_root_serves_the_frontend_or_a_plain_404(server):
    index = WEB_DIR / "index.html"

    status, headers, body = fetch(server + "/")

    if index.is_file():
        assert status == 200
        assert headers.get_content_type() == "text/html"
        assert body == index.read_bytes()
    else:
        assert status == 404
        assert body == b"not found"


def test_the_frontend_is_served_with_the_static_web_apps_security_headers(server):
    config = json.loads((WEB_DIR / "staticwebapp.config.json").read_text())

    for path in ("/", "/app.js", "/styles.css"):
        status, headers, _ = fetch(server + path)
        assert status == 200
        for name, value in config["globalHeaders"].items():
            assert headers[name] == value, (path, name)


def test_a_missing_static_file_is_a_404(server):
    status, _, body = fetch(server + f"/no-such-file-{secrets.token_hex(4)}.js")

    assert status == 404
    assert body == b"not found"


@pytest.mark.parametrize("path", ["/../README.md", "/../../README.md", "/web/../../README.md",
                                  "/..%2fREADME.md", "/../local/host.py", "//etc/passwd",
                                  "/../.local/demo-login.json"])
def test_a_path_traversal_does_not_escape_web(server, path):
    status, body = raw_get(server, path)

    assert status == 404
    assert body == b"not found"


# --- what the host itself refuses ----------------------------------------------------------

def raw_exchange(base: str, data: bytes, timeout: float = 5) -> tuple[int, dict, bytes]:
    """Send these exact bytes, read the answer to the end: (status, headers, body). A timeout
    here is the failure it tests for (a request the host never answers)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), response.read()


def assert_problem(status: int, headers: dict, body: bytes, expected: int) -> dict:
    assert status == expected, body
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == expected
    assert problem["request_id"] == headers["X-Request-Id"]
    return problem


@pytest.mark.parametrize("value", ["-1", "abc", "1e3", "+5", "0x10", " ", "\u0661"])
def test_a_malformed_content_length_is_a_400_problem_not_a_hang(server, value):
    request = (f"POST /api/signup HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n"
               f"Content-Type: application/json\r\n\r\n{{}}").encode()

    status, headers, body = raw_exchange(server, request)

    problem = assert_problem(status, headers, body, 400)
    assert "Content-Length" in problem["detail"]
    assert headers["Connection"] == "close"


def test_two_different_content_lengths_are_a_400_problem(server):
    request = (b"POST /api/signup HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
               b"Content-Length: 20\r\n\r\n{}")

    assert_problem(*raw_exchange(server, request), 400)


def test_a_chunked_body_is_a_411_problem(server):
    request = (b"POST /api/signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"2\r\n{}\r\n0\r\n\r\n")

    assert_problem(*raw_exchange(server, request), 411)


def test_a_body_over_the_host_limit_is_a_413_problem_before_it_is_read(server):
    from local.host import HOST_BODY_LIMIT

    request = (f"POST /api/signup HTTP/1.1\r\nHost: x\r\n"
               f"Content-Length: {HOST_BODY_LIMIT + 1}\r\n\r\n").encode()

    assert_problem(*raw_exchange(server, request), 413)


@pytest.mark.parametrize("request_line", [b"abc", b"GET", b"GET /", b"GET / HTTP/1.1 extra",
                                          b"GET / HTTP/x"])
def test_a_request_line_that_cannot_be_read_is_a_400_problem(server, request_line):
    status, headers, body = raw_exchange(server, request_line + b"\r\n\r\n")

    problem = assert_problem(status, headers, body, 400)
    assert request_line.decode() not in problem["detail"]  # the request line is not echoed


@pytest.mark.parametrize("path, allowed", [("/api/health", "GET"),
                                           ("/api/facilities/0b6c3f2e-7a51-4c1e-9d8e-2f3a4b5c6d7e", "DELETE, GET, PATCH"),
                                           ("/", "GET, HEAD"),
                                           ("/app.js", "GET, HEAD")])
@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "BREW"])
def test_a_method_no_function_takes_is_the_functions_405_problem(server, method, path, allowed):
    status, headers, body = raw_exchange(server, f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())

    problem = assert_problem(status, headers, body, 405)
    assert problem["type"].endswith("/method-not-allowed")
    assert headers["Allow"] == allowed


def test_the_functions_answer_a_wrong_method_with_the_same_405(server):
    status, headers, body = raw_exchange(server, b"PUT /api/health HTTP/1.1\r\nHost: x\r\n"
                                                 b"Content-Length: 0\r\n\r\n")

    problem = assert_problem(status, headers, body, 405)
    assert problem["type"].endswith("/method-not-allowed") and headers["Allow"] == "GET"


def test_a_client_that_hangs_up_mid_body_leaves_the_host_serving(server):
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /api/signup HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")

    status, _, body = fetch(server + "/api/health")

    assert status == 200, body


def test_a_burst_of_connections_before_any_is_accepted_is_queued_and_answered(database, app):
    """A burst that arrives while the server is busy waits in the listen backlog: with
    socketserver's default of 5, most of 200 connections would be dropped or reset."""
    http_server = make_server(app, "127.0.0.1", 0)
    host, port = http_server.server_address[:2]
    burst, answers = [], []
    try:
        connecting = time.monotonic() + 3
        for _ in range(200):  # not accepting yet: the kernel completes them into the backlog
            try:
                burst.append(socket.create_connection(
                    (host, port), timeout=max(0.01, connecting - time.monotonic())))
            except OSError as exc:
                answers.append(type(exc).__name__)
        thread = threading.Thread(target=http_server.serve_forever, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        for sock in burst:
            try:
                sock.sendall(b"GET /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                response = http.client.HTTPResponse(sock)
                response.begin()
                response.read()
                answers.append(response.status)
            except OSError as exc:  # reset, refused, or never answered before the deadline
                answers.append(type(exc).__name__)
    finally:
        for sock in burst:
            sock.close()
        http_server.shutdown()
        http_server.server_close()

    assert answers == [200] * 200


# --- timers -------------------------------------------------------------------------------

def test_purge_old_records_forgets_only_sessions_that_ended_over_a_week_ago(app, client, org,
                                                                                admin_sql):
    from azure.functions.timer import TimerRequest

    from shared.routing import timer_functions

    owner = admin_sql("SELECT id FROM users WHERE organization_id = %s", (str(org.id),))[0]["id"]
    ended = {
        "revoked 8 days ago": ("now() - interval '9 days'", "now() + interval '1 day'",
                               "now() - interval '8 days'"),
        "expired 8 days ago": ("now() - interval '9 days'", "now() - interval '8 days'",
                               "NULL"),
    }
    recent = {
        "revoked yesterday": ("now() - interval '2 days'", "now() + interval '1 day'",
                              "now() - interval '1 day'"),
        "expired yesterday": ("now() - interval '2 days'", "now() - interval '1 day'",
                              "NULL"),
    }
    hashes = {}
    for label, (created, expires, revoked) in {**ended, **recent}.items():
        hashes[label] = token_digest(secrets.token_urlsafe(32))
        admin_sql(f"""
            INSERT INTO sessions (organization_id, user_id, token_hash, created_at,
                                  expires_at, revoked_at)
            VALUES (%s, %s, %s, {created}, {expires}, {revoked})""",
                  (str(org.id), owner, hashes[label]))

    timers = {t.name: t for t in timer_functions(app)}
    assert timers["purge_old_records"].schedule == "0 30 3 * * *"
    timers["purge_old_records"].function(TimerRequest(past_due=False))

    def exists(digest):
        return bool(admin_sql("SELECT 1 FROM sessions WHERE token_hash = %s", (digest,)))

    for label in ended:
        assert not exists(hashes[label]), label
    for label in recent:
        assert exists(hashes[label]), label
    assert exists(token_digest(org.token))
    assert client.get("/api/me", token=org.token).status == 200  # the live one still works

    timers["purge_old_records"].function(TimerRequest(past_due=True))  # idempotent
    assert exists(token_digest(org.token)) and exists(hashes["revoked yesterday"])
