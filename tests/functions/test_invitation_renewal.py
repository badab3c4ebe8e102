"""Inviting an address that already has an unanswered invitation renews that invitation: one row,
a new link (the old one stops working), the new role, seven more days, an audit row of its own;
it needs no new place on the plan unless it had expired. Another organization's invitation to
the same address is its own."""
from __future__ import annotations

import secrets
import statistics
import time
from datetime import datetime, timedelta, timezone

import psycopg2.errors
import pytest

from tests.functions.test_users import (accept, audit_rows, invitation_token, invite,
                                        new_email)


def expiry(body: dict) -> datetime:
    return datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))


def invitation_rows(admin_sql, org, email) -> list[dict]:
    return admin_sql("SELECT id::text, role, revoked_at FROM invitations "
                     "WHERE organization_id = %s AND email = %s", (str(org.id), email))


def test_inviting_an_open_address_again_renews_the_invitation(client, org, admin_sql):
    email = new_email(org)
    first = invite(client, org.token, email, "viewer").json()
    old_link = invitation_token(admin_sql, org, email)
    admin_sql("UPDATE invitations SET expires_at = now() + interval '1 day' WHERE id = %s",
              (first["id"],))

    response = invite(client, org.token, email, "coordinator")

    assert response.status == 201, response.body
    renewed = response.json()
    assert renewed["id"] == first["id"] and renewed["role"] == "coordinator"
    assert expiry(renewed) - datetime.now(timezone.utc) > timedelta(days=6, hours=23)
    assert invitation_rows(admin_sql, org, email) == [
        {"id": first["id"], "role": "coordinator", "revoked_at": None}]
    new_link = invitation_token(admin_sql, org, email)
    assert new_link != old_link
    assert accept(client, old_link).status == 401
    accepted = accept(client, new_link)
    assert accepted.status == 201, accepted.body
    assert accepted.json()["user"]["role"] == "coordinator"
    assert [r["object_id"] for r in audit_rows(admin_sql, org, "invitation.renew")] == [first["id"]]
    assert admin_sql("SELECT count(*) AS n FROM email_outbox WHERE organization_id = %s "
                     "AND to_address = %s", (str(org.id), email))[0]["n"] == 2


def test_the_address_matches_whatever_its_case(client, org, admin_sql):
    email = new_email(org)
    first = invite(client, org.token, email).json()

    again = invite(client, org.token, email.upper())

    assert again.status == 201 and again.json()["id"] == first["id"]
    assert len(invitation_rows(admin_sql, org, email)) == 1


def test_renewing_needs_no_new_place_on_a_full_plan(client, make_org, admin_sql):
    trial = make_org("Full Trial", tier=None)  # 5 users: the owner and four invitations
    emails = [new_email(trial) for _ in range(4)]
    for email in emails:
        assert invite(client, trial.token, email).status == 201

    assert invite(client, trial.token, emails[0]).status == 201
    assert invite(client, trial.token, new_email(trial)).status == 402


def test_an_expired_invitation_is_revived_if_there_is_room(client, make_org, admin_sql):
    trial = make_org("Revived Trial", tier=None)
    emails = [new_email(trial) for _ in range(4)]
    ids = [invite(client, trial.token, email).json()["id"] for email in emails]
    admin_sql("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = %s",
              (ids[0],))

    revived = invite(client, trial.token, emails[0])
    assert revived.status == 201 and revived.json()["id"] == ids[0]
    assert accept(client, invitation_token(admin_sql, trial, emails[0])).status == 201

    # Now the place it took back is counted: the owner, one user, three open invitations.
    admin_sql("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = %s",
              (ids[1],))
    assert invite(client, trial.token, new_email(trial)).status == 201
    assert invite(client, trial.token, emails[1]).status == 402


def test_a_withdrawn_invitation_is_not_renewed_but_replaced(client, org, admin_sql):
    email = new_email(org)
    first = invite(client, org.token, email).json()
    assert client.delete(f"/api/invitations/{first['id']}", token=org.token).status == 204

    second = invite(client, org.token, email).json()

    assert second["id"] != first["id"]
    assert len(invitation_rows(admin_sql, org, email)) == 2
    assert len(audit_rows(admin_sql, org, "invitation.create")) == 2


def test_another_organizations_invitation_to_the_same_address_is_left_alone(
        client, org, other_org, admin_sql):
    email = "shared-person@elsewhere.example"
    theirs = invite(client, other_org.token, email).json()
    their_link = invitation_token(admin_sql, other_org, email)

    ours = invite(client, org.token, email)
    invite(client, org.token, email)

    assert ours.status == 201 and ours.json()["id"] != theirs["id"]
    assert len(invitation_rows(admin_sql, other_org, email)) == 1
    assert audit_rows(admin_sql, other_org, "invitation.renew") == []
    assert accept(client, their_link).status == 201


def test_the_database_holds_at_most_one_unanswered_invitation_per_address(client, org,
                                                                          admin_sql):
    email = new_email(org)
    invite(client, org.token, email)

    with pytest.raises(psycopg2.errors.UniqueViolation):
        admin_sql("""INSERT INTO invitations (organization_id, email, role, token_hash,
                                              invited_by, expires_at)
                     SELECT organization_id, upper(email), role, '\\x00', invited_by, expires_at
                       FROM invitations WHERE organization_id = %s AND email = %s""",
                  (str(org.id), email))


def test_a_used_and_a_made_up_invitation_link_get_the_same_answer_in_the_same_time(
        client, org, admin_sql):
    # A used link's address now has an account; a made-up one names nobody. Both answers are
    # the same 401 after the same password hash, so neither tells whether an address joined.
    email = new_email(org)
    assert invite(client, org.token, email).status == 201
    used = invitation_token(admin_sql, org, email)
    assert accept(client, used).status == 201
    made_up = f"{org.id.hex}.{secrets.token_urlsafe(32)}"

    answers = {}

    def attempt(name, token):
        started = time.perf_counter()
        response = accept(client, token)
        answers.setdefault(name, []).append((time.perf_counter() - started, response))

    for i in range(40):  # interleaved, so that the machine's load falls on both alike
        pairs = [("used", used), ("made up", made_up)]
        for name, token in (pairs if i % 2 == 0 else pairs[::-1]):
            attempt(name, token)

    bodies = {name: {(r.status, r.json()["detail"]) for _, r in runs}
              for name, runs in answers.items()}
    assert bodies["used"] == bodies["made up"] == {
        (401, "This link is not valid any more. Ask for a new invitation.")}
    used_median, made_up_median = (statistics.median(t for t, _ in answers[name])
                                   for name in ("used", "made up"))
    print(f"\ninvitation accept medians of 40: used {used_median * 1000:.1f} ms, "
          f"made up {made_up_median * 1000:.1f} ms")
    assert max(used_median / made_up_median, made_up_median / used_median) <= 1.2
