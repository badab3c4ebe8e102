"""Closing an organization: read-only at once, reopenable, erased by the timer after the grace
period (every row of it in every table, counted from the catalog before and after, another
organization's untouched), its Stripe subscription canceled. On real PostgreSQL."""
from __future__ import annotations

import secrets

import re
import time
from datetime import datetime, timedelta, timezone

from shared.models.business_weights import DEFAULTS
from shared.services import closing, organization_export
from tests.factories import (PASSWORD, add_member, configured_facility, created, enroll,
                             fresh_address, ok, org_payers, referral)


def close(client, org, password=PASSWORD):
    return client.post("/api/organization/close", token=org.token, json={"password": password})


def tenant_tables(admin_sql) -> list[str]:
    rows = admin_sql("""
        SELECT DISTINCT c.relname::text AS name FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND a.attname = 'organization_id' AND NOT a.attisdropped ORDER BY 1""")
    return [r["name"] for r in rows]


def rows_per_table(admin_sql, organization_id) -> dict[str, int]:
    counts = {table: admin_sql(f"SELECT count(*) AS n FROM {table} WHERE organization_id = %s",
                               (str(organization_id),))[0]["n"]
              for table in tenant_tables(admin_sql)}
    counts["organizations"] = admin_sql("SELECT count(*) AS n FROM organizations WHERE id = %s",
                                        (str(organization_id),))[0]["n"]
    return counts


def past_grace(admin_sql, org) -> None:
    admin_sql("UPDATE organizations SET deletes_at = now() - interval '1 second'"
              " WHERE id = %s", (str(org.id),))


def test_the_password_is_asked_again(client, org, admin_sql):
    response = close(client, org, password="not the password at all")

    assert response.status == 422, response.body
    assert {e["field"] for e in response.json()["errors"]} == {"password"}
    assert admin_sql("SELECT closed_at FROM organizations WHERE id = %s",
                     (str(org.id),))[0]["closed_at"] is None


def test_a_closed_organization_is_read_only_at_once_and_says_when_it_goes(client, org,
                                                                          admin_sql):
    coordinator = add_member(org, "coordinator")
    before = datetime.now(timezone.utc)

    standing = ok(close(client, org))

    assert standing["state"] == "read_only" and standing["reason"] == "closed"
    deletes_at = datetime.fromisoformat(standing["deletes_at"])
    assert timedelta(days=30) <= deletes_at - before < timedelta(days=30, minutes=1)
    closed_at = admin_sql("SELECT closed_at FROM organizations WHERE id = %s",
                          (str(org.id),))[0]["closed_at"]
    assert before <= closed_at <= datetime.now(timezone.utc)
    # every write refused, for every role, with a problem that says why and until when
    for token, method, path, body in (
            (org.token, "POST", "/api/facilities", {"name": "New", "bed_count": 10}),
            (org.token, "PATCH", "/api/organization", {"name": "Renamed"}),
            (coordinator.token, "POST", "/api/admissions/evaluate", {})):
        refused = client.request(method, path, json=body, token=token)
        assert refused.status == 409, (path, refused.body)
        problem = refused.json()
        assert refused.mimetype == "application/problem+json"
        assert problem["state"] == "closed"
        assert problem["detail"] == (
            f"This organization was closed and is read-only; its data will be deleted on "
            f"{deletes_at:%B %-d, %Y}. An owner can export the data or reopen the organization "
            "until then.")
        assert datetime.fromisoformat(problem["closed_at"]) == closed_at
        assert datetime.fromisoformat(problem["deletes_at"]) == deletes_at
    # reads work, and sign-in, so that an owner can export or reopen
    assert client.get("/api/facilities", token=coordinator.token).status == 200
    assert ok(client.get("/api/me", token=org.token))["standing"]["reason"] == "closed"
    assert client.post("/api/auth/login", headers={"X-Forwarded-For": fresh_address()}, json={
        "subdomain": org.subdomain, "email": org.email, "password": PASSWORD}).status == 200
    # audited, and the owners told
    assert [r["action"] for r in admin_sql(
        "SELECT action FROM audit_logs WHERE organization_id = %s AND action LIKE"
        " 'organization.%%' ORDER BY occurred_at", (str(org.id),))][-1] == "organization.close"
    mail = admin_sql("SELECT text_body FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'organization_closed'", (str(org.id),))
    assert len(mail) == 1 and f"{deletes_at:%B %-d, %Y}" in mail[0]["text_body"]


def test_an_owner_reopens_it_during_the_grace_period(client, org, admin_sql):
    ok(close(client, org))

    reopened = ok(client.post("/api/organization/reopen", token=org.token))

    assert reopened["state"] == "active" and reopened["deletes_at"] is None
    created(client.post("/api/facilities", token=org.token, json={"name": "Back", "bed_count": 5}))
    again = client.post("/api/organization/reopen", token=org.token)
    assert again.status == 409, again.body
    assert admin_sql("SELECT closed_at, deletes_at FROM organizations WHERE id = %s",
                     (str(org.id),)) == [{"closed_at": None, "deletes_at": None}]
    # and the timer, had it been due, finds nothing to erase
    assert closing.erase_due()["erased"] == 0


def test_an_invitation_into_a_closed_organization_is_refused(client, org, admin_sql):
    created(client.post("/api/invitations", token=org.token,
                        json={"email": f"late@{org.subdomain}.example", "role": "viewer"}))
    text = admin_sql("SELECT text_body FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'invitation'", (str(org.id),))[0]["text_body"]
    ok(close(client, org))

    response = client.post("/api/invitations/accept", json={
        "token": re.search(r"#accept-invitation=(\S+)", text)[1],
        "password": "a long enough new passphrase"})

    assert response.status == 409, response.body


def _everything(client, org, admin_sql) -> None:
    """Rows in as many of the organization's tables as the API writes."""
    place = configured_facility(client, org, org_payers(client, org))
    admission = created(client.post("/api/admissions", token=org.token, json=referral(place)))
    ok(client.post(f"/api/admissions/{admission['id']}/decision", token=org.token,
                   json={"decision": "accepted"}))
    created(client.post("/api/invitations", token=org.token,
                        json={"email": f"new@{org.subdomain}.example", "role": "viewer"}))
    created(client.post("/api/facilities", token=org.token,  # an idempotency key
                        headers={"Idempotency-Key": secrets.token_hex(8)},
                        json={"name": "Keyed facility", "bed_count": 10}))
    assert client.post("/api/auth/password-reset", json={
        "subdomain": org.subdomain, "email": org.email}).status == 202
    assert client.post("/api/organization/exports", token=org.token).status == 202
    organization_export.build_due()
    member = add_member(org, "viewer")
    enroll(client, member.token)  # a two-factor secret and recovery codes
    assert ok(client.post("/api/auth/login", json={  # a sign-in challenge
        "subdomain": org.subdomain, "email": member.email, "password": PASSWORD}))["second_step"]
    ok(client.request("PUT", "/api/business-weights", token=org.token,
                      json=DEFAULTS.model_dump(mode="json")))


def test_the_timer_erases_every_row_of_it_in_every_table_and_nothing_else(client, make_org,
                                                                          admin_sql):
    leaving, staying = make_org("Leaving"), make_org("Staying")
    for org in (leaving, staying):
        _everything(client, org, admin_sql)
    for org in (leaving, staying):  # and an export being built: its first chunk written
        assert client.post("/api/organization/exports", token=org.token).status == 202
    organization_export.build_due(budget=organization_export.Budget(rows=2))
    ok(close(client, leaving))
    before = rows_per_table(admin_sql, leaving.id)
    staying_before = rows_per_table(admin_sql, staying.id)
    # the tables the API writes are all filled, so the erasure has something to prove
    empty = {table for table, n in before.items() if n == 0}
    assert empty <= {"legacy_id_map", "stripe_events"}, empty

    assert closing.erase_due()["erased"] == 0  # not yet: the grace period runs
    assert rows_per_table(admin_sql, leaving.id) == before

    past_grace(admin_sql, leaving)
    counts = closing.erase_due()

    assert counts["erased"] == 1 and counts["rows"] == sum(before.values())
    assert rows_per_table(admin_sql, leaving.id) == {table: 0 for table in before}
    assert rows_per_table(admin_sql, staying.id) == staying_before
    assert client.get("/api/me", token=leaving.token).status == 401
    assert client.get("/api/me", token=staying.token).status == 200


def test_the_database_refuses_to_erase_an_open_or_early_organization(client, org, admin_sql):
    from psycopg2.errors import RaiseException

    from shared import db
    from shared.repositories import organizations
    for step in ("open", "closed"):
        try:
            with db.tenant_transaction(org.id) as cur:
                organizations.erase(cur, organization_id=org.id)
        except RaiseException as refused:
            assert "not closed past its grace period" in str(refused), step
        else:
            raise AssertionError(f"an {step} organization was erased")
        if step == "open":
            ok(close(client, org))
    assert rows_per_table(admin_sql, org.id)["organizations"] == 1


def test_closing_cancels_the_stripe_subscription(client, make_org, stripe_fake, admin_sql):
    org = make_org(tier=None)
    response = client.post("/api/billing/checkout", token=org.token, json={"tier": "starter"})
    stripe_fake.complete_checkout(ok(response)["url"].rsplit("/", 1)[1])
    subscription_id = next(iter(stripe_fake.subscriptions))
    assert ok(client.get("/api/me", token=org.token))["standing"]["state"] == "active"

    standing = ok(close(client, org))

    assert standing["reason"] == "closed"
    assert stripe_fake.subscriptions[subscription_id]["status"] == "canceled"
    deadline = time.monotonic() + 10  # Stripe's webhook comes after its answer
    while admin_sql("SELECT subscription_status FROM organizations WHERE id = %s",
                    (str(org.id),))[0]["subscription_status"] != "canceled":
        assert time.monotonic() < deadline, stripe_fake.deliveries
        time.sleep(0.05)
    assert ok(client.get("/api/me", token=org.token))["standing"]["reason"] == "closed"
    changes = admin_sql("SELECT changes FROM audit_logs WHERE organization_id = %s"
                        " AND action = 'organization.close'", (str(org.id),))[0]["changes"]
    assert changes["subscription_canceled"] is True
    # the owners were told by the closing e-mail, not again as for a lapsed subscription
    assert [r["template"] for r in admin_sql(
        "SELECT template FROM email_outbox WHERE organization_id = %s AND template IN"
        " ('organization_closed', 'read_only') ORDER BY created_at", (str(org.id),))] == [
        "organization_closed"]
    # erased later: nothing left to cancel, nothing asked of Stripe again
    past_grace(admin_sql, org)
    cancels = [r for r in stripe_fake.requests if r["method"] == "DELETE"]
    assert closing.erase_due()["erased"] == 1
    assert [r for r in stripe_fake.requests if r["method"] == "DELETE"] == cancels
