"""Users and invitations: who may list and change users, deactivation signs out, an organization
always keeps an active owner, invitations are single-use links that expire, and another
organization sees none of it."""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import PASSWORD, add_member, fresh_address, header, without_request_id

INVITEE_PASSWORD = "a long and pleasant passphrase"


def login(client, org, email, password=PASSWORD):
    return client.post("/api/auth/login", headers={"X-Forwarded-For": fresh_address()}, json={
        "subdomain": org.subdomain, "email": email, "password": password})


def me(client, token) -> dict:
    response = client.get("/api/me", token=token)
    assert response.status == 200, response.body
    return response.json()["user"]


@pytest.fixture
def member(database):
    """A signed-in user with a role: (token, id, e-mail)."""
    def make(org, role):
        made = add_member(org, role)
        return made.token, made.id, made.email
    return make


def patch_user(client, token, user_id, **fields):
    return client.patch(f"/api/users/{user_id}", token=token, json=fields)


def invite(client, token, email, role="coordinator"):
    return client.post("/api/invitations", token=token, json={"email": email, "role": role})


def invitation_token(admin_sql, org, email) -> str:
    """The token of the newest invitation e-mail queued for this address."""
    rows = admin_sql("""SELECT text_body FROM email_outbox
                         WHERE organization_id = %s AND template = 'invitation'
                           AND to_address = %s ORDER BY created_at DESC LIMIT 1""",
                     (str(org.id), email))
    assert rows, "no invitation e-mail queued"
    return re.search(r"#accept-invitation=(\S+)", rows[0]["text_body"])[1]


def accept(client, token, password=INVITEE_PASSWORD):
    return client.post("/api/invitations/accept", json={"token": token, "password": password})


def new_email(org) -> str:
    return f"invitee-{secrets.token_hex(3)}@{org.subdomain}.example"


def audit_rows(admin_sql, org, action):
    return admin_sql("""SELECT object_id::text, user_id::text, changes FROM audit_logs
                         WHERE organization_id = %s AND action = %s ORDER BY occurred_at""",
                     (str(org.id), action))


# --- listing ------------------------------------------------------------------------------

def test_owners_and_admins_list_the_users(client, org, member):
    admin_token, admin_id, admin_email = member(org, "admin")

    for token in (org.token, admin_token):
        response = client.get("/api/users", token=token)
        assert response.status == 200, response.body
        body = response.json()
        assert {u["email"] for u in body["items"]} == {org.email, admin_email}
        assert body["next_cursor"] is None
        assert all("password" not in str(u).lower() for u in body["items"])


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_may_not_list_users(client, org, member, role):
    response = client.get("/api/users", token=member(org, role)[0])

    assert response.status == 403
    assert response.json()["status"] == 403


def test_the_user_list_pages_in_email_order_without_gaps_or_repeats(client, org, admin_sql):
    for i in range(7):
        admin_sql("""INSERT INTO users (organization_id, email, password_hash, role)
                     VALUES (%s, %s, 'not-a-hash', 'viewer')""",
                  (str(org.id), f"user-{i}-{secrets.token_hex(2)}@{org.subdomain}.example"))
    expected = [r["email"] for r in admin_sql(
        "SELECT email FROM users WHERE organization_id = %s ORDER BY email, id", (str(org.id),))]

    seen, cursor, pages = [], None, 0
    while True:
        path = "/api/users?limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(path, token=org.token)
        assert response.status == 200, response.body
        body = response.json()
        assert len(body["items"]) <= 3
        seen += [u["email"] for u in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert len(expected) == 8 and pages == 3


def test_a_forged_cursor_is_unprocessable(client, org):
    response = client.get("/api/users?cursor=not-a-cursor", token=org.token)

    assert response.status == 422
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


# --- changing users -----------------------------------------------------------------------

def test_an_admin_changes_a_users_role_and_it_is_audited(client, org, member, admin_sql):
    admin_token, admin_id, _ = member(org, "admin")
    viewer_token, viewer_id, _ = member(org, "viewer")

    response = patch_user(client, admin_token, viewer_id, role="coordinator")

    assert response.status == 200, response.body
    assert response.json()["role"] == "coordinator"
    assert me(client, viewer_token)["role"] == "coordinator"  # the session stays, the role moves
    assert audit_rows(admin_sql, org, "user.update") == [
        {"object_id": viewer_id, "user_id": admin_id, "changes": {"role": "coordinator"}}]


def test_deactivating_a_user_signs_them_out_and_keeps_them_out(client, org, member):
    viewer_token, viewer_id, viewer_email = member(org, "viewer")
    second = login(client, org, viewer_email).json()["token"]

    response = patch_user(client, org.token, viewer_id, is_active=False)

    assert response.status == 200, response.body
    assert response.json()["is_active"] is False
    assert client.get("/api/me", token=viewer_token).status == 401
    assert client.get("/api/me", token=second).status == 401
    assert login(client, org, viewer_email).status == 401
    listed = client.get("/api/users", token=org.token).json()["items"]
    assert viewer_id not in {u["id"] for u in listed}
    everyone = client.get("/api/users?include_inactive=true", token=org.token).json()["items"]
    assert viewer_id in {u["id"] for u in everyone}


def test_a_reactivated_user_signs_in_again_but_old_sessions_stay_ended(client, org, member):
    viewer_token, viewer_id, viewer_email = member(org, "viewer")
    assert patch_user(client, org.token, viewer_id, is_active=False).status == 200

    response = patch_user(client, org.token, viewer_id, is_active=True)

    assert response.status == 200, response.body
    assert response.json()["is_active"] is True
    assert client.get("/api/me", token=viewer_token).status == 401
    assert login(client, org, viewer_email).status == 200


def test_the_last_active_owner_can_be_neither_demoted_nor_deactivated(client, org, admin_sql):
    owner_id = me(client, org.token)["id"]

    demote = patch_user(client, org.token, owner_id, role="admin")
    deactivate = patch_user(client, org.token, owner_id, is_active=False)

    assert demote.status == 409 and deactivate.status == 409
    assert "owner" in demote.json()["detail"].lower()
    assert admin_sql("SELECT role, is_active FROM users WHERE id = %s", (owner_id,)) == [
        {"role": "owner", "is_active": True}]
    assert client.get("/api/me", token=org.token).status == 200


def test_an_owner_can_step_down_once_another_owner_exists(client, org, member):
    owner_id = me(client, org.token)["id"]
    admin_token, admin_id, _ = member(org, "admin")
    assert patch_user(client, org.token, admin_id, role="owner").json()["role"] == "owner"

    response = patch_user(client, org.token, owner_id, role="admin")

    assert response.status == 200, response.body
    assert response.json()["role"] == "admin"
    # now the former admin is the last owner
    assert patch_user(client, admin_token, admin_id, role="viewer").status == 409
    assert patch_user(client, admin_token, admin_id, is_active=False).status == 409


def test_an_owner_may_be_deactivated_while_another_owner_remains(client, org, member):
    owner_id = me(client, org.token)["id"]
    second_token, second_id, _ = member(org, "owner")

    response = patch_user(client, second_token, owner_id, is_active=False)

    assert response.status == 200, response.body
    assert client.get("/api/me", token=org.token).status == 401


def test_an_admin_can_neither_make_an_owner_nor_change_one(client, org, member, admin_sql):
    admin_token, _, _ = member(org, "admin")
    _, viewer_id, _ = member(org, "viewer")
    owner_id = me(client, org.token)["id"]
    _, second_owner_id, _ = member(org, "owner")

    responses = [patch_user(client, admin_token, viewer_id, role="owner"),
                 patch_user(client, admin_token, owner_id, role="admin"),
                 patch_user(client, admin_token, second_owner_id, is_active=False)]

    assert [r.status for r in responses] == [403, 403, 403]
    # Each says what the admin tried (tester: demoting an owner said "make someone an owner").
    assert [r.json()["detail"] for r in responses] == [
        "Only an owner can make someone an owner.",
        "Only an owner can change or deactivate an owner.",
        "Only an owner can change or deactivate an owner."]
    roles = admin_sql("SELECT id::text, role, is_active FROM users WHERE organization_id = %s",
                      (str(org.id),))
    state = {r["id"]: (r["role"], r["is_active"]) for r in roles}
    assert state[viewer_id] == ("viewer", True)
    assert state[owner_id] == ("owner", True)
    assert state[second_owner_id] == ("owner", True)


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_may_not_change_users(client, org, member, role):
    token, _, _ = member(org, role)
    _, viewer_id, _ = member(org, "viewer")

    assert patch_user(client, token, viewer_id, role="admin").status == 403


def test_a_user_update_with_null_or_unknown_fields_is_unprocessable(client, org, member):
    _, viewer_id, _ = member(org, "viewer")

    for body, field in (({"role": None}, "role"), ({"is_active": None}, "is_active"),
                        ({"role": "emperor"}, "role"), ({"email": "x@y.example"}, "email")):
        response = client.patch(f"/api/users/{viewer_id}", token=org.token, json=body)
        assert response.status == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_missing_user_is_not_found(client, org):
    assert patch_user(client, org.token, uuid.uuid4(), role="viewer").status == 404
    assert patch_user(client, org.token, "not-a-uuid", role="viewer").status == 404


# --- invitations --------------------------------------------------------------------------

def test_an_invitation_is_created_and_emailed_with_a_link_holding_the_token(client, org,
                                                                            member, admin_sql):
    admin_token, admin_id, admin_email = member(org, "admin")
    email = new_email(org)

    response = invite(client, admin_token, email, "coordinator")

    assert response.status == 201, response.body
    body = response.json()
    assert (body["email"], body["role"], body["accepted_at"], body["revoked_at"]) == (
        email, "coordinator", None, None)
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(timezone.utc) + timedelta(days=7))) < timedelta(minutes=1)
    mails = admin_sql("""SELECT subject, text_body, html_body, status FROM email_outbox
                          WHERE organization_id = %s AND template = 'invitation'
                            AND to_address = %s""", (str(org.id), email))
    assert len(mails) == 1 and mails[0]["status"] == "pending"
    assert admin_email in mails[0]["subject"]
    token = invitation_token(admin_sql, org, email)
    assert token.startswith(org.id.hex + ".")
    assert token in mails[0]["html_body"]
    stored = admin_sql("SELECT token_hash, row_to_json(i)::text AS row FROM invitations i "
                       "WHERE id = %s", (body["id"],))
    assert bytes(stored[0]["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert token.partition(".")[2] not in stored[0]["row"]
    assert audit_rows(admin_sql, org, "invitation.create") == [
        {"object_id": body["id"], "user_id": admin_id, "changes": {"role": "coordinator"}}]


def test_inviting_someone_already_in_the_organization_is_a_conflict(client, org, member,
                                                                     admin_sql):
    _, _, viewer_email = member(org, "viewer")

    for email in (org.email, viewer_email.upper()):
        response = invite(client, org.token, email)
        assert response.status == 409, email
    assert admin_sql("SELECT count(*) AS n FROM invitations WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == 0


def test_only_an_owner_invites_an_owner(client, org, member):
    admin_token, _, _ = member(org, "admin")

    assert invite(client, admin_token, new_email(org), "owner").status == 403
    assert invite(client, org.token, new_email(org), "owner").status == 201
    assert invite(client, admin_token, new_email(org), "admin").status == 201


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_may_not_invite(client, org, member, role):
    token, _, _ = member(org, role)

    assert invite(client, token, new_email(org), "viewer").status == 403
    assert client.get("/api/invitations", token=token).status == 403


def test_the_invitation_list_shows_only_open_invitations(client, org, other_org, admin_sql):
    kept, revoked, expired, accepted = (new_email(org) for _ in range(4))
    ids = {email: invite(client, org.token, email).json()["id"]
           for email in (kept, revoked, expired, accepted)}
    assert client.delete(f"/api/invitations/{ids[revoked]}", token=org.token).status == 204
    admin_sql("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = %s",
              (ids[expired],))
    assert accept(client, invitation_token(admin_sql, org, accepted)).status == 201

    response = client.get("/api/invitations", token=org.token)

    assert response.status == 200, response.body
    assert [(i["id"], i["email"]) for i in response.json()["items"]] == [(ids[kept], kept)]
    assert client.get("/api/invitations", token=other_org.token).json() == {"items": []}


def test_a_withdrawn_invitation_cannot_be_accepted(client, org, admin_sql):
    email = new_email(org)
    invitation = invite(client, org.token, email).json()
    token = invitation_token(admin_sql, org, email)

    response = client.delete(f"/api/invitations/{invitation['id']}", token=org.token)

    assert response.status == 204
    assert accept(client, token).status == 401
    assert admin_sql("SELECT count(*) AS n FROM users WHERE lower(email) = %s",
                     (email,))[0]["n"] == 0
    assert len(audit_rows(admin_sql, org, "invitation.revoke")) == 1


def test_withdrawing_a_missing_invitation_is_not_found(client, org):
    assert client.delete(f"/api/invitations/{uuid.uuid4()}", token=org.token).status == 404


def test_accepting_creates_the_user_with_the_invited_role_and_signs_them_in(client, org,
                                                                            admin_sql):
    email = new_email(org)
    invite(client, org.token, email, "coordinator")

    response = accept(client, invitation_token(admin_sql, org, email))

    assert response.status == 201, response.body
    body = response.json()
    assert body["user"]["email"] == email
    assert body["user"]["role"] == "coordinator"
    assert body["organization"]["id"] == str(org.id)
    assert me(client, body["token"])["id"] == body["user"]["id"]
    assert client.get("/api/users", token=body["token"]).status == 403  # a coordinator
    assert login(client, org, email, INVITEE_PASSWORD).status == 200
    actions = {r["object_id"] for r in audit_rows(admin_sql, org, "user.create")}
    assert body["user"]["id"] in actions


def test_an_invitation_link_works_once(client, org, admin_sql):
    email = new_email(org)
    invite(client, org.token, email)
    token = invitation_token(admin_sql, org, email)
    assert accept(client, token).status == 201

    again = accept(client, token, password="yet another long passphrase")

    assert again.status == 401
    assert header(again, "WWW-Authenticate") == "Bearer"
    assert login(client, org, email, "yet another long passphrase").status == 401


def test_concurrent_acceptances_of_one_link_make_one_user(client, org, admin_sql):
    email = new_email(org)
    invite(client, org.token, email)
    token = invitation_token(admin_sql, org, email)
    barrier = threading.Barrier(4)
    statuses = []

    def attempt():
        barrier.wait()
        statuses.append(accept(client, token).status)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [201, 401, 401, 401]
    assert admin_sql("SELECT count(*) AS n FROM users WHERE organization_id = %s "
                     "AND email = %s", (str(org.id), email))[0]["n"] == 1


def test_an_expired_invitation_cannot_be_accepted(client, org, admin_sql):
    email = new_email(org)
    invitation = invite(client, org.token, email).json()
    admin_sql("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = %s",
              (invitation["id"],))

    assert accept(client, invitation_token(admin_sql, org, email)).status == 401


@pytest.mark.parametrize("token", [
    "garbage-garbage-garbage-garbage",
    "0" * 32 + "." + "x" * 43,
    uuid.uuid4().hex + "." + secrets.token_urlsafe(32),
])
def test_a_garbage_invitation_token_is_unauthorized(client, database, token):
    response = accept(client, token)

    assert response.status == 401
    assert response.mimetype == "application/problem+json"


def test_a_weak_password_is_refused_and_the_link_still_works(client, org, admin_sql):
    email = new_email(org)
    invite(client, org.token, email)
    token = invitation_token(admin_sql, org, email)

    short = accept(client, token, password="too short")
    personal = accept(client, token, password=f"i am {email.split('@')[0]} indeed")

    for response in (short, personal):
        assert response.status == 422, response.body
        assert {e["field"] for e in response.json()["errors"]} == {"password"}
    assert accept(client, token).status == 201


def test_accepting_when_the_email_joined_meanwhile_is_a_conflict(client, org, admin_sql):
    email = new_email(org)
    invite(client, org.token, email)
    token = invitation_token(admin_sql, org, email)
    add_member(org, "viewer", email=email)  # joined meanwhile some other way (one per address)

    assert accept(client, token).status == 409


# --- across organizations -----------------------------------------------------------------

def test_another_organizations_admin_cannot_change_a_user_here(client, org, other_org, member,
                                                               admin_sql):
    _, viewer_id, _ = member(org, "viewer")

    foreign = patch_user(client, other_org.token, viewer_id, role="admin")
    missing = patch_user(client, other_org.token, uuid.uuid4(), role="admin")

    assert foreign.status == 404 and missing.status == 404
    assert without_request_id(foreign.json()) == without_request_id(missing.json())
    assert admin_sql("SELECT role FROM users WHERE id = %s", (viewer_id,)) == [
        {"role": "viewer"}]


def test_another_organization_cannot_withdraw_an_invitation_here(client, org,
                                                                        other_org, admin_sql):
    email = new_email(org)
    invitation = invite(client, org.token, email).json()

    foreign = client.delete(f"/api/invitations/{invitation['id']}", token=other_org.token)
    missing = client.delete(f"/api/invitations/{uuid.uuid4()}", token=other_org.token)

    assert foreign.status == 404
    assert without_request_id(foreign.json()) == without_request_id(missing.json())
    assert admin_sql("SELECT revoked_at FROM invitations WHERE id = %s",
                     (invitation["id"],)) == [{"revoked_at": None}]


def test_an_invitation_token_with_another_organizations_prefix_is_refused(client, org,
                                                                          other_org, admin_sql):
    email = new_email(org)
    invite(client, org.token, email)
    token = invitation_token(admin_sql, org, email)
    secret = token.partition(".")[2]

    for prefix in (other_org.id.hex, uuid.uuid4().hex):
        assert accept(client, f"{prefix}.{secret}").status == 401
    assert admin_sql("SELECT count(*) AS n FROM users WHERE lower(email) = %s",
                     (email,))[0]["n"] == 0
    assert accept(client, token).status == 201  # the genuine link is untouched
