"""Signup, sign-in, sign-out, the current user, and what a session is and is not."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.settings import get_settings
from tests.factories import (PASSWORD, at, header, signup, token_digest, unique_subdomain,
                             without_request_id)

SOURCE = "203.0.113.9"  # what the test client sends as X-Forwarded-For


def login(client, org, *, email=None, password=None, subdomain=None):
    return client.post("/api/auth/login", json={
        "subdomain": subdomain or org.subdomain, "email": email or org.email,
        "password": password or org.password})


def assert_unauthorized(response):
    assert response.status == 401, response.body
    assert response.mimetype == "application/problem+json"
    assert header(response, "WWW-Authenticate") == "Bearer"
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert body["request_id"] == header(response, "X-Request-Id")
    return body


def assert_session_shape(body: dict, *, subdomain: str, email: str):
    assert set(body) == {"token", "expires_at", "organization", "user"}
    assert isinstance(body["token"], str) and len(body["token"]) > 40
    organization, user = body["organization"], body["user"]
    uuid.UUID(organization["id"])
    uuid.UUID(user["id"])
    assert organization["subdomain"] == subdomain
    assert organization["tier"] == "trial"
    assert organization["status"] == "trialing"
    assert user["email"] == email
    assert user["role"] == "owner"
    assert user["is_active"] is True
    ttl = timedelta(hours=get_settings().session_ttl_hours)
    expected = datetime.now(timezone.utc) + ttl
    assert abs(at(body["expires_at"]) - expected) < timedelta(minutes=1)
    assert "password" not in str(body).lower()
    assert "argon2" not in str(body)


# --- signup -------------------------------------------------------------------------------

def test_signup_creates_a_trialing_organization_with_its_owner_signed_in(client):
    subdomain = unique_subdomain()
    response = signup(client, subdomain=subdomain, name="Lakeside Care")

    assert response.status == 201, response.body
    body = response.json()
    assert_session_shape(body, subdomain=subdomain, email=f"owner@{subdomain}.example")
    assert body["organization"]["name"] == "Lakeside Care"
    trial = timedelta(days=get_settings().trial_days)
    assert abs(at(body["organization"]["trial_ends_at"])
               - (datetime.now(timezone.utc) + trial)) < timedelta(minutes=1)
    assert get_settings().trial_days == 14


def test_signup_then_me_names_the_owner_and_organization(client, make_org):
    org = make_org(tier=None)
    response = client.get("/api/me", token=org.token)

    assert response.status == 200
    body = response.json()
    assert body["user"]["email"] == org.email
    assert body["user"]["role"] == "owner"
    assert body["organization"]["id"] == str(org.id)
    assert body["organization"]["subdomain"] == org.subdomain
    assert body["organization"]["status"] == "trialing"
    assert body["organization"]["tier"] == "trial"


def test_signup_with_a_taken_subdomain_is_a_conflict(client, org):
    response = signup(client, subdomain=org.subdomain, email="someone@else.example")

    assert response.status == 409
    assert response.mimetype == "application/problem+json"
    body = response.json()
    assert body["status"] == 409
    assert "subdomain" in body["detail"].lower()
    assert body["request_id"] == header(response, "X-Request-Id")


def test_signup_with_a_taken_subdomain_in_other_case_is_a_conflict(client, org, admin_sql):
    response = signup(client, subdomain=org.subdomain.upper(), email="someone@else.example")

    assert response.status == 409
    assert response.json()["status"] == 409
    rows = admin_sql("SELECT count(*) AS n FROM organizations WHERE lower(subdomain) = %s",
                     (org.subdomain,))
    assert rows[0]["n"] == 1
    assert admin_sql("SELECT 1 FROM users WHERE email = %s", ("someone@else.example",)) == []


def test_a_subdomain_is_kept_in_lower_case(client):
    subdomain = unique_subdomain()

    response = signup(client, subdomain=f"  {subdomain.upper()} ",
                      email=f"owner@{subdomain}.example")

    assert response.status == 201, response.body
    assert response.json()["organization"]["subdomain"] == subdomain


def test_the_same_email_may_sign_up_another_organization(client, org):
    response = signup(client, email=org.email)

    assert response.status == 201, response.body
    body = response.json()
    assert body["user"]["email"] == org.email
    assert body["organization"]["id"] != str(org.id)


def test_signup_with_invalid_fields_names_each_one_and_never_echoes_the_password(client):
    response = client.post("/api/signup", json={
        "organization_name": "", "subdomain": "-x", "email": "not-an-email",
        "password": "Zq7#pw"})

    assert response.status == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"organization_name", "subdomain", "email", "password"}
    assert b"Zq7#pw" not in response.body


# --- login --------------------------------------------------------------------------------

def test_login_returns_a_new_session_like_signup(client, make_org):
    org = make_org(tier=None)
    response = login(client, org)

    assert response.status == 200, response.body
    body = response.json()
    # no second step without two-factor sign-in (tests/functions/test_two_factor.py)
    assert body.pop("second_step") is None
    assert_session_shape(body, subdomain=org.subdomain, email=org.email)
    assert body["organization"]["id"] == str(org.id)
    assert body["token"] != org.token
    assert client.get("/api/me", token=body["token"]).status == 200


def test_login_email_is_case_insensitive(client, org):
    response = login(client, org, email=org.email.upper())

    assert response.status == 200, response.body
    assert response.json()["user"]["email"] == org.email


def test_login_subdomain_is_case_insensitive(client, org):
    response = login(client, org, subdomain=org.subdomain.upper())

    assert response.status == 200, response.body
    assert response.json()["organization"]["id"] == str(org.id)


def test_wrong_password_unknown_email_and_unknown_subdomain_answer_identically(client, org):
    wrong_password = login(client, org, password="not the password at all")
    unknown_email = login(client, org, email=f"nobody@{org.subdomain}.example")
    unknown_subdomain = login(client, org, subdomain=unique_subdomain("none"))

    bodies = [assert_unauthorized(r) for r in (wrong_password, unknown_email, unknown_subdomain)]
    assert len({b["request_id"] for b in bodies}) == 3
    assert without_request_id(bodies[0]) == without_request_id(bodies[1])
    assert without_request_id(bodies[1]) == without_request_id(bodies[2])
    assert "errors" not in bodies[0]


def test_a_users_email_does_not_sign_in_to_another_organization(client, org, other_org):
    response = login(client, org, email=other_org.email, password=other_org.password)

    assert_unauthorized(response)


def test_login_with_a_missing_field_is_unprocessable(client, org):
    response = client.post("/api/auth/login", json={"subdomain": org.subdomain,
                                                   "email": org.email})

    assert response.status == 422
    assert [e["field"] for e in response.json()["errors"]] == ["password"]


# --- the session --------------------------------------------------------------------------

def test_logout_revokes_the_session(client, org, admin_sql):
    response = client.post("/api/auth/logout", token=org.token)

    assert response.status == 204
    assert response.body == b""
    assert_unauthorized(client.get("/api/me", token=org.token))
    assert_unauthorized(client.post("/api/auth/logout", token=org.token))
    rows = admin_sql("SELECT revoked_at FROM sessions WHERE token_hash = %s",
                     (token_digest(org.token),))
    assert len(rows) == 1 and rows[0]["revoked_at"] is not None


def test_logout_leaves_the_users_other_sessions_signed_in(client, org):
    second = login(client, org).json()["token"]

    assert client.post("/api/auth/logout", token=org.token).status == 204

    assert client.get("/api/me", token=second).status == 200


def test_an_expired_session_is_refused(client, org, admin_sql):
    admin_sql("UPDATE sessions SET expires_at = now() - interval '1 second' "
              "WHERE token_hash = %s", (token_digest(org.token),))

    body = assert_unauthorized(client.get("/api/me", token=org.token))
    assert "errors" not in body


def test_a_revoked_session_is_refused(client, org, admin_sql):
    admin_sql("UPDATE sessions SET revoked_at = now() WHERE token_hash = %s",
              (token_digest(org.token),))

    assert_unauthorized(client.get("/api/me", token=org.token))


def test_a_deactivated_users_session_is_refused_and_they_cannot_sign_in(client, org,
                                                                          admin_sql):
    admin_sql("UPDATE users SET is_active = false WHERE organization_id = %s",
              (str(org.id),))

    assert_unauthorized(client.get("/api/me", token=org.token))
    assert_unauthorized(login(client, org))


@pytest.mark.parametrize("authorization", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer garbage",
    "Bearer " + "0" * 32 + "." + "x" * 43,
    "Bearer " + uuid.uuid4().hex + "." + secrets.token_urlsafe(32),
    "Bearer not-hex-at-all-not-hex-at-all-12." + secrets.token_urlsafe(32),
])
def test_a_missing_or_garbage_authorization_is_unauthorized(client, database, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get("/api/me", headers=headers)

    body = assert_unauthorized(response)
    assert body["type"].endswith("/unauthorized")


def test_a_token_with_another_organizations_prefix_is_refused(client, org, other_org):
    _, _, secret = org.token.partition(".")
    forged = f"{other_org.id.hex}.{secret}"

    assert_unauthorized(client.get("/api/me", token=forged))
    assert_unauthorized(client.get("/api/facilities", token=forged))


def test_the_token_is_case_sensitive(client, org):
    prefix, _, secret = org.token.partition(".")
    altered = f"{prefix}.{secret.swapcase()}"
    assert altered != org.token

    assert_unauthorized(client.get("/api/me", token=altered))


# --- what is stored -----------------------------------------------------------------------

def test_signup_login_and_logout_are_audited_with_who_where_and_which_request(client,
                                                                              admin_sql):
    subdomain = unique_subdomain()
    signed_up = signup(client, subdomain=subdomain, address=SOURCE)
    assert signed_up.status == 201
    body = signed_up.json()
    organization_id, owner_id = body["organization"]["id"], body["user"]["id"]

    def audit_rows(request_id):
        return admin_sql("""
            SELECT action, object_type, object_id::text, user_id::text,
                   host(source_address) AS source_address, request_id, changes
              FROM audit_logs WHERE organization_id = %s AND request_id = %s
             ORDER BY action""", (organization_id, request_id))

    rows = audit_rows(header(signed_up, "X-Request-Id"))
    assert [r["action"] for r in rows] == ["organization.create", "session.create",
                                           "user.create"]
    assert all(r["user_id"] == owner_id and r["source_address"] == SOURCE for r in rows)
    assert rows[0]["object_id"] == organization_id
    assert rows[0]["changes"] == {"name": "Lakeside Care", "subdomain": subdomain}
    assert rows[2]["object_id"] == owner_id
    assert rows[2]["changes"] == {"role": "owner"}

    logged_in = client.post("/api/auth/login", json={
        "subdomain": subdomain, "email": f"owner@{subdomain}.example", "password": PASSWORD})
    assert logged_in.status == 200
    rows = audit_rows(header(logged_in, "X-Request-Id"))
    assert [(r["action"], r["user_id"], r["source_address"]) for r in rows] == [
        ("session.create", owner_id, SOURCE)]
    session_id = rows[0]["object_id"]
    stored = admin_sql("SELECT id::text FROM sessions WHERE token_hash = %s",
                       (token_digest(logged_in.json()["token"]),))
    assert stored == [{"id": session_id}]

    logged_out = client.post("/api/auth/logout", token=logged_in.json()["token"])
    assert logged_out.status == 204
    rows = audit_rows(header(logged_out, "X-Request-Id"))
    assert [(r["action"], r["object_id"], r["user_id"], r["source_address"]) for r in rows] == [
        ("session.revoke", session_id, owner_id, SOURCE)]


def _audited_address(client, org, admin_sql, forwarded_for: str) -> str | None:
    response = client.post("/api/auth/login", headers={"X-Forwarded-For": forwarded_for},
                           json={"subdomain": org.subdomain, "email": org.email,
                                 "password": org.password})
    assert response.status == 200
    rows = admin_sql("SELECT host(source_address) AS address FROM audit_logs "
                     "WHERE request_id = %s", (header(response, "X-Request-Id"),))
    assert len(rows) == 1
    return rows[0]["address"]


@pytest.mark.parametrize("forwarded_for, address", [
    ("203.0.113.7", "203.0.113.7"),
    ("203.0.113.7:51234", "203.0.113.7"),
    ("198.51.100.1, 203.0.113.7:443", "203.0.113.7"),  # the last hop is the front end's
    ("2001:db8::1", "2001:db8::1"),
    ("not an address", None),
])
def test_the_audited_source_address_is_the_last_forwarded_hop(client, org, admin_sql,
                                                               forwarded_for, address):
    assert _audited_address(client, org, admin_sql, forwarded_for) == address


def test_an_ipv6_client_with_a_port_is_audited_with_its_address(client, org, admin_sql):
    assert _audited_address(client, org, admin_sql, "[2001:db8::1]:51234") == "2001:db8::1"


def test_a_failed_login_writes_nothing(client, org, admin_sql):
    before = admin_sql("SELECT count(*) AS n FROM audit_logs WHERE organization_id = %s",
                       (str(org.id),))[0]["n"]
    sessions_before = admin_sql("SELECT count(*) AS n FROM sessions WHERE organization_id = %s",
                                (str(org.id),))[0]["n"]

    assert login(client, org, password="not the password at all").status == 401

    assert admin_sql("SELECT count(*) AS n FROM audit_logs WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == before
    assert admin_sql("SELECT count(*) AS n FROM sessions WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == sessions_before


def test_the_password_is_stored_only_as_an_argon2id_hash(client, org, admin_sql):
    assert login(client, org).status == 200
    assert client.post("/api/auth/logout", token=org.token).status == 204

    users = admin_sql("SELECT password_hash FROM users WHERE organization_id = %s",
                      (str(org.id),))
    assert len(users) == 1
    assert users[0]["password_hash"].startswith("$argon2id$")
    for table in ("organizations", "users", "sessions", "audit_logs"):
        key = "id" if table == "organizations" else "organization_id"
        rows = admin_sql(f"SELECT row_to_json(t)::text AS row FROM {table} t WHERE {key} = %s",
                         (str(org.id),))
        assert rows, table
        for row in rows:
            assert org.password not in row["row"], table
            assert "password" not in row["row"] or table == "users", table


def test_the_session_token_is_stored_only_as_its_sha256(client, org, admin_sql):
    second = login(client, org).json()["token"]

    for token in (org.token, second):
        rows = admin_sql("SELECT row_to_json(s)::text AS row FROM sessions s "
                         "WHERE token_hash = %s", (token_digest(token),))
        assert len(rows) == 1
        secret = token.partition(".")[2]
        assert secret not in rows[0]["row"]
    everything = admin_sql("SELECT row_to_json(a)::text AS row FROM audit_logs a "
                           "WHERE organization_id = %s", (str(org.id),))
    for row in everything:
        for token in (org.token, second):
            assert token.partition(".")[2] not in row["row"]
