"""Stripe's webhook: verified on the raw body, each event once, in any order; the organization's
tier and standing follow the subscription. Events are signed exactly as Stripe signs them
(local.stripe_fake.sign); the subscription they name lives in the local fake of Stripe, which
the webhook re-reads."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from local.stripe_fake import event, sign
from tests.factories import ok


def post_event(client, fake, evt, *, secret=None, timestamp=None, signature=None):
    payload = json.dumps(evt).encode()
    header = signature if signature is not None else sign(
        payload, secret or fake.webhook_secret, timestamp)
    headers = {"content-type": "application/json"}
    if header:
        headers["stripe-signature"] = header
    return client.post("/api/stripe/webhook", body=payload, headers=headers)


@pytest.fixture
def subscribed(client, make_org, stripe_fake):
    """A trial organization with a Stripe customer and an active Starter subscription in the
    fake, whose events have not been delivered (the tests deliver them, in their own order)."""
    org = make_org(tier=None)
    url = ok(client.post("/api/billing/checkout", json={"tier": "starter"},
                         token=org.token))["url"]
    stripe_fake.webhook_url = None  # keep Stripe's own deliveries out of these tests
    subscription = stripe_fake.complete_checkout(url.rsplit("/", 1)[1])
    return org, subscription


def standing(client, org):
    return ok(client.get("/api/me", token=org.token))["standing"]


def stored(admin_sql, org):
    return admin_sql("SELECT tier, status, read_only_reason, past_due_since, "
                     "stripe_subscription_id, subscription_status FROM organizations "
                     "WHERE id = %s", (str(org.id),))[0]


def grace_began_days_ago(admin_sql, org, days):
    """Move the stored start of the grace back. The new value is computed here, not in SQL:
    Citus refuses a timestamp's arithmetic on a column (a STABLE function) in an UPDATE, and
    this file also runs on Citus (tests/citus)."""
    began = stored(admin_sql, org)["past_due_since"]
    admin_sql("UPDATE organizations SET past_due_since = %s WHERE id = %s",
              (began - timedelta(days=days), str(org.id)))


def test_a_valid_event_changes_the_plan(client, stripe_fake, subscribed, admin_sql):
    org, subscription = subscribed

    response = post_event(client, stripe_fake,
                          event("customer.subscription.created", subscription))

    assert response.status == 200 and response.json()["handled"] is True
    assert stored(admin_sql, org)["tier"] == "starter"
    assert standing(client, org)["state"] == "active"


@pytest.mark.parametrize("how", ["forged", "other secret", "stale", "missing", "garbage"])
def test_an_unverified_event_is_a_400_and_changes_nothing(client, stripe_fake, subscribed,
                                                          admin_sql, how):
    org, subscription = subscribed
    evt = event("customer.subscription.created", subscription)
    before = stored(admin_sql, org)
    kwargs = {"forged": {"signature": f"t={int(time.time())},v1={'0' * 64}"},
              "other secret": {"secret": "whsec_someone_else"},
              "stale": {"timestamp": int(time.time()) - 301},
              "missing": {"signature": ""},
              "garbage": {"signature": "nonsense"}}[how]

    response = post_event(client, stripe_fake, evt, **kwargs)

    assert response.status == 400
    assert response.mimetype == "application/problem+json"
    assert stored(admin_sql, org) == before
    assert admin_sql("SELECT count(*) AS n FROM stripe_events WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == 0


def test_a_tampered_body_does_not_verify(client, stripe_fake, subscribed):
    _, subscription = subscribed
    payload = json.dumps(event("customer.subscription.created", subscription)).encode()
    header = sign(payload, stripe_fake.webhook_secret)

    response = client.post("/api/stripe/webhook", body=payload.replace(b"active", b"paused"),
                           headers={"stripe-signature": header})

    assert response.status == 400


def test_the_same_event_twice_is_applied_once(client, stripe_fake, subscribed, admin_sql):
    org, subscription = subscribed
    evt = event("customer.subscription.created", subscription)

    first = post_event(client, stripe_fake, evt)
    again = post_event(client, stripe_fake, evt)

    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert admin_sql("SELECT count(*) AS n FROM audit_logs WHERE organization_id = %s"
                     " AND action = 'billing.subscription'", (str(org.id),))[0]["n"] == 1


def test_updated_before_created_ends_active(client, stripe_fake, subscribed, admin_sql):
    org, subscription = subscribed
    created = event("customer.subscription.created", {**subscription, "status": "incomplete"},
                    created=int(time.time()) - 5)
    updated = event("customer.subscription.updated", subscription, created=int(time.time()))

    post_event(client, stripe_fake, updated)
    late = post_event(client, stripe_fake, created)

    assert late.status == 200
    assert stored(admin_sql, org)["status"] == "active"
    assert admin_sql("SELECT applied FROM stripe_events WHERE event_id = %s",
                     (created["id"],)) == [{"applied": False}]


def test_an_old_update_after_a_newer_one_changes_nothing(client, stripe_fake, subscribed,
                                                         admin_sql):
    org, subscription = subscribed
    now = int(time.time())
    post_event(client, stripe_fake, event("customer.subscription.created", subscription,
                                          created=now - 60))
    stripe_fake.change_price(subscription["id"], "price_professional")
    newer = event("customer.subscription.updated", stripe_fake.subscriptions[subscription["id"]],
                  created=now)
    older = event("customer.subscription.updated", subscription, created=now - 30)

    post_event(client, stripe_fake, newer)
    post_event(client, stripe_fake, older)

    assert stored(admin_sql, org)["tier"] == "professional"
    assert admin_sql("SELECT applied FROM stripe_events WHERE event_id = %s",
                     (older["id"],)) == [{"applied": False}]  # skipped, not re-read


def test_cancelation_makes_the_organization_read_only_and_keeps_its_data(
        client, stripe_fake, subscribed, admin_sql):
    org, subscription = subscribed
    post_event(client, stripe_fake, event("customer.subscription.created", subscription))
    ok(client.get("/api/facilities", token=org.token))
    canceled = stripe_fake.cancel(subscription["id"])

    post_event(client, stripe_fake, event("customer.subscription.deleted", canceled))

    assert standing(client, org)["state"] == "read_only"
    assert standing(client, org)["reason"] == "canceled"
    refused = client.post("/api/facilities", json={"name": "New", "bed_count": 10},
                          token=org.token)
    assert refused.status == 402
    assert ok(client.get("/api/usage", token=org.token))  # reads still work
    assert admin_sql("SELECT count(*) AS n FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'read_only'", (str(org.id),))[0]["n"] == 1


def test_payment_failed_then_grace_over_then_paid(client, stripe_fake, subscribed, admin_sql):
    org, subscription = subscribed
    post_event(client, stripe_fake, event("customer.subscription.created", subscription))
    stripe_fake.fail_payment(subscription["id"])
    failed_invoice = next(i for i in stripe_fake.invoices.values() if i["status"] == "open")

    post_event(client, stripe_fake, event("invoice.payment_failed", failed_invoice))

    past_due = standing(client, org)
    assert past_due["state"] == "past_due" and past_due["can_create"] is True
    assert past_due["days_left"] == 7
    assert admin_sql("SELECT count(*) AS n FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'payment_failed'", (str(org.id),))[0]["n"] == 1

    # Eight days later (moved back in the stored dates): the grace is over, on the request.
    grace_began_days_ago(admin_sql, org, 8)
    over = standing(client, org)
    assert over["state"] == "read_only" and over["reason"] == "grace_ended"
    response = client.post("/api/facilities", json={"name": "Late", "bed_count": 10},
                           token=org.token)
    assert response.status == 402 and response.json()["reason"] == "grace_ended"

    stripe_fake.pay_invoice(subscription["id"])
    post_event(client, stripe_fake, event("invoice.paid", failed_invoice))

    assert standing(client, org)["state"] == "active"
    assert stored(admin_sql, org)["past_due_since"] is None


def test_an_event_type_we_do_not_handle_is_acknowledged(client, stripe_fake, subscribed,
                                                        admin_sql):
    org, subscription = subscribed

    response = post_event(client, stripe_fake,
                          event("customer.subscription.trial_will_end", subscription))

    assert response.status == 200 and response.json() == {
        "received": True, "handled": False, "duplicate": False}
    assert stored(admin_sql, org)["subscription_status"] is None


def test_an_event_for_no_organization_of_ours_is_acknowledged(client, stripe_fake):
    stranger = {"id": "sub_stranger", "object": "subscription", "status": "active",
                "customer": "cus_nobody", "metadata": {}}

    response = post_event(client, stripe_fake,
                          event("customer.subscription.updated", stranger))

    assert response.status == 200 and response.json()["handled"] is False


def test_a_failure_while_applying_answers_5xx_and_applies_nothing(client, stripe_fake,
                                                                  subscribed, admin_sql):
    org, subscription = subscribed
    evt = event("customer.subscription.updated", subscription)
    stripe_fake.stop()  # the re-read of the subscription fails

    response = post_event(client, stripe_fake, evt)

    assert response.status >= 500
    assert stored(admin_sql, org)["subscription_status"] is None
    assert admin_sql("SELECT count(*) AS n FROM stripe_events WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == 0
    stripe_fake.start()  # on its port again; Stripe retries, and the same event now applies
    retried = post_event(client, stripe_fake, evt)
    assert retried.status == 200 and retried.json()["duplicate"] is False
    assert stored(admin_sql, org)["subscription_status"] == "active"


def test_a_trial_ends_between_two_requests(client, make_org, admin_sql):
    org = make_org(tier=None)
    admin_sql("UPDATE organizations SET trial_ends_at = now() + interval '2 seconds'"
              " WHERE id = %s", (str(org.id),))
    body = {"name": "Before", "bed_count": 10}

    before = client.post("/api/facilities", json=body, token=org.token)
    time.sleep(2.1)
    after = client.post("/api/facilities", json={**body, "name": "After"}, token=org.token)

    assert before.status == 201
    assert after.status == 402
    problem = after.json()
    assert problem["state"] == "read_only" and problem["reason"] == "trial_ended"
    assert problem["tier"] == "trial" and problem["billing_url"].endswith("/#billing")
    assert "read-only" in problem["detail"]
    assert ok(client.get("/api/facilities", token=org.token))["items"][0]["name"] == "Before"
    assert admin_sql("SELECT status FROM organizations WHERE id = %s",
                     (str(org.id),)) == [{"status": "trialing"}]  # nothing had to notice


def test_stripe_retries_after_the_grace_keep_it_read_only_and_say_so_once(
        client, stripe_fake, subscribed, admin_sql):
    org, subscription = subscribed
    post_event(client, stripe_fake, event("customer.subscription.created", subscription))
    stripe_fake.fail_payment(subscription["id"])
    invoice = next(i for i in stripe_fake.invoices.values() if i["status"] == "open")
    post_event(client, stripe_fake, event("invoice.payment_failed", invoice))
    grace_began_days_ago(admin_sql, org, 8)
    from shared.services import subscription as subscriptions
    subscriptions.record_transitions()

    post_event(client, stripe_fake, event("invoice.payment_failed", invoice))  # Stripe retries
    subscriptions.record_transitions()

    assert stored(admin_sql, org)["status"] == "read_only"
    sent = admin_sql("SELECT template, count(*) AS n FROM email_outbox WHERE organization_id = %s"
                     " AND template IN ('payment_failed', 'read_only') GROUP BY template",
                     (str(org.id),))
    assert {r["template"]: r["n"] for r in sent} == {"payment_failed": 1, "read_only": 1}


def test_a_first_payment_that_never_went_through_leaves_the_trial_running(
        client, stripe_fake, subscribed, admin_sql):
    org, subscription = subscribed
    expired = {**subscription, "status": "incomplete_expired"}
    stripe_fake.subscriptions[subscription["id"]]["status"] = "incomplete_expired"

    post_event(client, stripe_fake, event("customer.subscription.updated", expired))

    assert standing(client, org)["state"] == "trialing"
    assert stored(admin_sql, org)["subscription_status"] == "incomplete_expired"


def test_a_price_that_is_no_plans_fails_so_stripe_retries(client, stripe_fake, subscribed,
                                                          admin_sql):
    org, subscription = subscribed
    stripe_fake.subscriptions[subscription["id"]]["items"]["data"][0]["price"]["id"] = "price_old"

    response = post_event(client, stripe_fake,
                          event("customer.subscription.updated", subscription))

    assert response.status == 500
    assert stored(admin_sql, org)["subscription_status"] is None
    assert admin_sql("SELECT count(*) AS n FROM stripe_events WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == 0


def test_an_enterprise_contract_is_not_undone_by_stripe(client, stripe_fake, subscribed,
                                                        admin_sql):
    org, subscription = subscribed
    from shared.errors import Conflict
    from shared.services import operator
    post_event(client, stripe_fake, event("customer.subscription.created", subscription))
    with pytest.raises(Conflict, match="cancel it"):
        operator.set_enterprise(org.subdomain, "dana")  # Stripe still bills it
    canceled = stripe_fake.cancel(subscription["id"])
    post_event(client, stripe_fake, event("customer.subscription.deleted", canceled))
    operator.set_enterprise(org.subdomain, "dana", max_users=500)

    post_event(client, stripe_fake, event("customer.subscription.updated", canceled))

    row = admin_sql("SELECT tier, status, contract_max_users FROM organizations WHERE id = %s",
                    (str(org.id),))[0]
    assert row == {"tier": "enterprise", "status": "active", "contract_max_users": 500}


def test_a_second_live_subscription_does_not_take_over(client, stripe_fake, subscribed,
                                                       admin_sql, caplog):
    org, subscription = subscribed
    post_event(client, stripe_fake, event("customer.subscription.created", subscription))
    second = {**subscription, "id": "sub_second", "items": {"data": [
        {**subscription["items"]["data"][0], "price": {"id": "price_professional"}}]}}
    stripe_fake.subscriptions["sub_second"] = second  # a second checkout, paid in another tab

    response = post_event(client, stripe_fake, event("customer.subscription.created", second))

    assert response.status == 200
    assert stored(admin_sql, org)["stripe_subscription_id"] == subscription["id"]
    assert stored(admin_sql, org)["tier"] == "starter"
    assert "second live stripe subscription" in caplog.text


def test_the_tier_changing_while_a_create_waits_is_no_404(client, make_org, database):
    """A create waits for the organization's row while another transaction changes the tier;
    it then reads the new plan (and is let in by its larger limit)."""
    import threading

    import psycopg2
    from psycopg2.extensions import make_dsn
    org = make_org(tier=None)
    created_one = client.post("/api/facilities", json={"name": "One", "bed_count": 5},
                              token=org.token)
    holder = psycopg2.connect(make_dsn(database.admin_dsn, dbname=database.database))
    with holder.cursor() as cur:
        cur.execute("UPDATE organizations SET tier = 'professional', status = 'active'"
                    " WHERE id = %s", (str(org.id),))
        results = []
        waiting = threading.Thread(target=lambda: results.append(client.post(
            "/api/facilities", json={"name": "Two", "bed_count": 5}, token=org.token)))
        waiting.start()
        time.sleep(0.5)
        holder.commit()
    waiting.join()
    holder.close()

    assert created_one.status == 201
    assert results[0].status == 201, results[0].body
