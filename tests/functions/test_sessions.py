"""Sessions a user can see and end; owners and admins end all of a user's. On real PostgreSQL,
through the registered functions."""
from __future__ import annotations

import threading

import psycopg2
from psycopg2.extensions import make_dsn

from tests.factories import PASSWORD, add_member, fresh_address, ok

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")


def sign_in(client, org, *, agent: str, address: str) -> str:
    return ok(client.post("/api/auth/login", headers={"User-Agent": agent,
                                                        "X-Forwarded-For": address},
                          json={"subdomain": org.subdomain, "email": org.email,
                                "password": PASSWORD}))["token"]


def my_sessions(client, token) -> list[dict]:
    return ok(client.get("/api/me/sessions", token=token))["items"]


def test_a_user_sees_each_session_with_its_browser_and_coarse_network(client, org):
    laptop = sign_in(client, org, agent=FIREFOX, address="198.51.100.77")
    phone = sign_in(client, org, agent=SAFARI, address="2001:db8:abcd:12:1::9")

    listed = {s["browser"]: s for s in my_sessions(client, laptop)}

    assert listed["Firefox on Windows"]["source_network"] == "198.51.100.0/24"
    assert listed["Firefox on Windows"]["current"] is True
    assert listed["Safari on iPhone"]["source_network"] == "2001:db8:abcd::/48"
    assert listed["Safari on iPhone"]["current"] is False
    assert all(s["created_at"] and s["last_used_at"] and s["expires_at"]
               for s in listed.values())
    # the signup's session is there too: three in all, the phone's among them
    assert len(my_sessions(client, phone)) == 3


def test_ending_another_session_signs_it_out_and_is_audited(client, org, admin_sql):
    laptop = sign_in(client, org, agent=FIREFOX, address=fresh_address())
    phone = sign_in(client, org, agent=SAFARI, address=fresh_address())
    phone_id = next(s["id"] for s in my_sessions(client, phone) if s["current"])

    response = client.delete(f"/api/me/sessions/{phone_id}", token=laptop)

    assert response.status == 204, response.body
    assert client.get("/api/me", token=phone).status == 401
    assert client.get("/api/me", token=laptop).status == 200
    assert phone_id not in {s["id"] for s in my_sessions(client, laptop)}
    rows = admin_sql("SELECT user_id::text FROM audit_logs WHERE action = 'session.revoke'"
                     " AND object_id = %s", (phone_id,))
    assert len(rows) == 1
    # ended once: a second time there is no such live session
    assert client.delete(f"/api/me/sessions/{phone_id}", token=laptop).status == 404


def test_someone_elses_session_is_not_found_in_the_organization_or_another(client, org,
                                                                             other_org):
    colleague = add_member(org, "admin")
    stranger_id = my_sessions(client, other_org.token)[0]["id"]
    colleague_id = my_sessions(client, colleague.token)[0]["id"]

    for session_id in (stranger_id, colleague_id):
        response = client.delete(f"/api/me/sessions/{session_id}", token=org.token)
        assert response.status == 404, response.body
    assert client.get("/api/me", token=colleague.token).status == 200
    assert client.get("/api/me", token=other_org.token).status == 200


def test_an_admin_ends_every_session_of_a_user(client, org, admin_sql):
    admin = add_member(org, "admin")
    coordinator = add_member(org, "coordinator")
    second = ok(client.post("/api/auth/login", headers={"X-Forwarded-For": fresh_address()},
                            json={"subdomain": org.subdomain, "email": coordinator.email,
                                  "password": PASSWORD}))["token"]

    ended = ok(client.delete(f"/api/users/{coordinator.id}/sessions", token=admin.token))

    assert ended == {"ended": 2}
    assert client.get("/api/me", token=coordinator.token).status == 401
    assert client.get("/api/me", token=second).status == 401
    assert client.get("/api/me", token=admin.token).status == 200
    rows = admin_sql("SELECT user_id::text, changes FROM audit_logs"
                     " WHERE action = 'user.sessions_revoke' AND object_id = %s",
                     (coordinator.id,))
    assert [(r["user_id"], r["changes"]) for r in rows] == [(admin.id, {"sessions_ended": 2})]


def test_only_an_owner_ends_an_owners_sessions(client, org):
    admin = add_member(org, "admin")
    owner = add_member(org, "owner")

    refused = client.delete(f"/api/users/{owner.id}/sessions", token=admin.token)
    assert refused.status == 403, refused.body
    assert client.get("/api/me", token=owner.token).status == 200

    assert ok(client.delete(f"/api/users/{owner.id}/sessions", token=org.token)) == {"ended": 1}
    assert client.get("/api/me", token=owner.token).status == 401


def test_another_organizations_user_is_not_found(client, org, other_org):
    stranger = add_member(other_org, "viewer")

    response = client.delete(f"/api/users/{stranger.id}/sessions", token=org.token)

    assert response.status == 404, response.body
    assert client.get("/api/me", token=stranger.token).status == 200


def test_last_use_is_written_at_most_once_a_minute(client, org, admin_sql):
    token = sign_in(client, org, agent=FIREFOX, address=fresh_address())
    session_id = next(s["id"] for s in my_sessions(client, token) if s["current"])

    def last_used():
        return admin_sql("SELECT last_used_at FROM sessions WHERE id = %s",
                         (session_id,))[0]["last_used_at"]

    admin_sql("UPDATE sessions SET last_used_at = now() - interval '5 minutes' WHERE id = %s",
              (session_id,))
    stale = last_used()
    ok(client.get("/api/me", token=token))
    fresh = last_used()
    assert fresh > stale
    ok(client.get("/api/me", token=token))
    assert last_used() == fresh  # within the minute: no write


def _last_used(admin_sql, session_id):
    return admin_sql("SELECT last_used_at FROM sessions WHERE id = %s",
                     (session_id,))[0]["last_used_at"]


def test_a_session_last_used_over_a_minute_ago_is_written(client, org, admin_sql):
    # Between one and two minutes: the use is noted, to the minute, not to the second minute.
    token = sign_in(client, org, agent=FIREFOX, address=fresh_address())
    session_id = next(s["id"] for s in my_sessions(client, token) if s["current"])
    admin_sql("UPDATE sessions SET last_used_at = now() - interval '90 seconds' WHERE id = %s",
              (session_id,))
    stale = _last_used(admin_sql, session_id)

    ok(client.get("/api/me", token=token))

    assert _last_used(admin_sql, session_id) > stale


def test_a_session_with_no_recorded_use_works_and_gets_one(client, org, admin_sql):
    # Sessions opened before last_used_at existed (migration 0032) have none.
    token = sign_in(client, org, agent=FIREFOX, address=fresh_address())
    session_id = next(s["id"] for s in my_sessions(client, token) if s["current"])
    admin_sql("UPDATE sessions SET last_used_at = NULL WHERE id = %s", (session_id,))

    ok(client.get("/api/me", token=token))

    assert _last_used(admin_sql, session_id) is not None


def test_a_session_used_within_the_minute_is_not_written_to(client, org, database):
    # No write per request: while another transaction holds the sessions table against writes
    # (SHARE mode conflicts only with writers), a request of a session just used goes through.
    # One that wrote its use, even a write that changes no row, would wait for the lock.
    token = sign_in(client, org, agent=FIREFOX, address=fresh_address())
    answered: list[int] = []
    request = threading.Thread(
        target=lambda: answered.append(client.get("/api/me", token=token).status))
    blocker = psycopg2.connect(make_dsn(database.admin_dsn, dbname=database.database))
    try:
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE sessions IN SHARE MODE")
            request.start()
            request.join(timeout=10)
            assert answered == [200]
    finally:
        blocker.rollback()
        blocker.close()
        request.join()
