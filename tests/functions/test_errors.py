"""Errors: problem+json everywhere, request ids, the database going away, unexpected
exceptions, and the one log line per request."""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
import uuid

import pytest

from local.environment import settings_environment
from shared import db
from shared.problems import problem_response
from shared.settings import get_settings
from tests.conftest import use_database
from tests.factories import header

PROBLEM_KEYS = {"type", "title", "status", "detail", "request_id"}


def assert_problem(response, status: int) -> dict:
    assert response.status == status, response.body
    assert response.mimetype == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    assert body["request_id"] == header(response, "X-Request-Id")
    return body


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/nothing-here"),
    ("POST", "/api/nothing/here/either"),
    ("DELETE", "/api/signup/extra"),
    ("GET", "/api"),
    ("GET", "/api/facilities/a/b"),
])
def test_an_unknown_route_is_a_not_found_problem(client, database, method, path):
    body = assert_problem(client.request(method, path), 404)

    assert body["type"].endswith("/not-found")
    assert "openapi.json" in body["detail"]


def test_every_problem_carries_its_request_id_in_a_header(client, org, make_user,
                                                          make_facility):
    viewer = make_user(org, "viewer")
    facility = make_facility(org, name="Taken")
    problems = {
        400: client.post("/api/facilities", body=b"{", token=org.token),
        401: client.get("/api/me"),
        403: client.post("/api/facilities", json={"name": "x", "bed_count": 1}, token=viewer),
        404: client.get(f"/api/facilities/{uuid.uuid4()}", token=org.token),
        409: client.post("/api/facilities", json={"name": facility["name"], "bed_count": 1},
                         token=org.token),
        422: client.post("/api/facilities", json={"bed_count": 0}, token=org.token),
    }

    request_ids = set()
    for status, response in problems.items():
        body = assert_problem(response, status)
        request_ids.add(body["request_id"])
    assert len(request_ids) == len(problems)


def test_successful_answers_carry_a_fresh_request_id_and_are_not_cached(client, org):
    first = client.get("/api/me", token=org.token)
    second = client.get("/api/me", token=org.token)

    assert first.status == second.status == 200
    assert header(first, "X-Request-Id") and header(second, "X-Request-Id")
    assert header(first, "X-Request-Id") != header(second, "X-Request-Id")
    assert header(first, "Cache-Control") == "no-store"


def test_the_request_id_is_made_here_and_a_client_sent_one_is_ignored(client, org, admin_sql):
    # The id lands in audit rows and log lines: a client must not be able to choose it.
    chosen = "chosen-by-the-client"

    response = client.post("/api/facilities", json={"name": "Request id", "bed_count": 10},
                           token=org.token, headers={"X-Request-Id": chosen})

    assert response.status == 201, response.body
    request_id = header(response, "X-Request-Id")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id
    rows = admin_sql("SELECT request_id FROM audit_logs WHERE organization_id = %s"
                     " AND object_id = %s", (str(org.id), response.json()["id"]))
    assert rows == [{"request_id": request_id}]
    assert admin_sql("SELECT 1 FROM audit_logs WHERE request_id = %s", (chosen,)) == []


def test_health_answers_when_the_database_is_up(client, database):
    response = client.get("/api/health")

    assert response.status == 200
    assert response.mimetype == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_database_that_does_not_answer_gives_a_quick_503(client, org, database):
    token = org.token
    closed = {"DB_HOST": "127.0.0.1", "DB_PORT": str(_closed_port())}
    try:
        with settings_environment(closed):
            db.close_pool()
            limit = get_settings().db_connect_timeout_seconds + 2

            for call in (lambda: client.get("/api/health"),
                         lambda: client.get("/api/me", token=token),
                         lambda: client.get("/api/facilities", token=token),
                         lambda: client.post("/api/auth/login", json={
                             "subdomain": org.subdomain, "email": org.email,
                             "password": org.password})):
                started = time.monotonic()
                response = call()
                assert time.monotonic() - started < limit
                body = assert_problem(response, 503)
                assert body["type"].endswith("/unavailable")
                assert header(response, "Retry-After") == "1"
                shown = json.dumps({k: v for k, v in body.items() if k != "request_id"})
                assert "127.0.0.1" not in shown and os.environ["DB_PORT"] not in shown
    finally:
        use_database(database)

    assert client.get("/api/health").status == 200
    assert client.get("/api/me", token=token).status == 200


def test_an_unexpected_exception_is_a_generic_500_without_internals(caplog):
    caplog.set_level(logging.ERROR, logger="snf.request")

    response = problem_response(RuntimeError("secret connection string"), "rid-123")

    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    body = json.loads(response.get_body())
    assert body == {"type": "https://snf-admissions.example/problems/internal",
                    "title": "Internal Server Error", "status": 500,
                    "detail": "Internal Server Error", "request_id": "rid-123"}
    assert b"secret" not in response.get_body()
    assert b"RuntimeError" not in response.get_body()
    assert response.headers.get("X-Request-Id") == "rid-123"
    # ...while the log keeps the traceback, tied to the request id.
    logged = [r for r in caplog.records if r.name == "snf.request"]
    assert any("rid-123" in r.getMessage() and r.exc_info for r in logged)


def test_one_log_line_per_request_names_the_request_id_and_never_the_body(client, org,
                                                                          caplog):
    caplog.set_level(logging.INFO, logger="snf.request")
    secret = "a very private passphrase 0xC0FFEE"

    response = client.post("/api/auth/login", json={
        "subdomain": org.subdomain, "email": org.email, "password": secret})

    assert response.status == 401
    request_id = header(response, "X-Request-Id")
    lines = [r.getMessage() for r in caplog.records
             if r.name == "snf.request" and request_id in r.getMessage()]
    assert len(lines) == 1
    line = lines[0]
    assert "POST /api/auth/login -> 401" in line
    assert secret not in line and "0xC0FFEE" not in line
    assert org.email not in line
    for record in caplog.records:
        assert secret not in record.getMessage()


def test_the_log_line_leaves_out_the_query_string_and_names_the_organization(client, org,
                                                                             caplog):
    caplog.set_level(logging.INFO, logger="snf.request")

    response = client.get("/api/facilities?limit=7&cursor=PRIVATEVALUE", token=org.token)

    request_id = header(response, "X-Request-Id")
    lines = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert len(lines) == 1
    assert "GET /api/facilities -> 422" in lines[0]
    assert "PRIVATEVALUE" not in lines[0]
    assert f"organization_id={org.id}" in lines[0]
