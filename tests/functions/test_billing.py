"""Paying through Stripe: Checkout, the portal and the billing overview, with the real stripe SDK
against the local fake of Stripe (local/stripe_fake.py), and its webhooks delivered, signed,
to the live local host."""
from __future__ import annotations

from tests.factories import add_member, count, header, ok


def checkout(client, org, tier="starter"):
    return client.post("/api/billing/checkout", json={"tier": tier}, token=org.token)


def test_a_trial_owner_checks_out_once_customer_and_reuses_it(client, make_org, stripe_fake,
                                                              admin_sql):
    org = make_org(tier=None)

    first = ok(checkout(client, org))
    second = ok(checkout(client, org, "professional"))

    assert first["url"].startswith(stripe_fake.url + "/checkout/cs_")
    assert second["url"].startswith(stripe_fake.url + "/checkout/cs_") and second != first
    customers = [r for r in stripe_fake.requests if r["path"] == "/v1/customers"]
    assert len(customers) == 1  # created once, then reused
    assert customers[0]["idempotency_key"] == f"customer-{org.id}"
    assert customers[0]["params"]["metadata"]["organization_id"] == str(org.id)
    sessions = [r["params"] for r in stripe_fake.requests if r["path"] == "/v1/checkout/sessions"]
    assert [s["line_items"][0]["price"] for s in sessions] == ["price_starter",
                                                               "price_professional"]
    for session in sessions:
        assert session["mode"] == "subscription"
        assert session["client_reference_id"] == str(org.id)
        assert session["metadata"]["organization_id"] == str(org.id)
        assert session["subscription_data"]["metadata"]["organization_id"] == str(org.id)
        assert session["customer"] == next(iter(stripe_fake.customers))
    actions = [r["action"] for r in admin_sql(
        "SELECT action FROM audit_logs WHERE organization_id = %s AND action LIKE 'billing.%%'"
        " ORDER BY occurred_at", (str(org.id),))]
    assert sorted(actions) == ["billing.checkout", "billing.checkout", "billing.customer_create"]


def test_paying_at_checkout_puts_the_organization_on_the_plan(client, make_org, stripe_fake,
                                                              admin_sql):
    org = make_org(tier=None)
    session_id = ok(checkout(client, org))["url"].rsplit("/", 1)[1]

    stripe_fake.complete_checkout(session_id)

    assert all(d["status"] == 200 for d in stripe_fake.deliveries), stripe_fake.deliveries
    me = ok(client.get("/api/me", token=org.token))
    assert me["organization"]["tier"] == "starter"
    assert me["standing"]["state"] == "active"
    billing = ok(client.get("/api/billing", token=org.token))
    assert billing["payment_state"] == "paid" and billing["subscription_status"] == "active"
    assert billing["renews_at"] is not None
    assert [i["status"] for i in billing["invoices"]] == ["paid"]
    assert billing["invoices"][0]["amount_paid_cents"] == 19900
    # One audit row per applied event, naming it; the owner hears once that the plan is on.
    rows = admin_sql("SELECT changes FROM audit_logs WHERE organization_id = %s"
                     " AND action = 'billing.subscription' ORDER BY occurred_at", (str(org.id),))
    assert rows[0]["changes"]["tier"] == "starter" and rows[0]["changes"]["status"] == "active"
    assert admin_sql("SELECT count(*) AS n FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'plan_active'", (str(org.id),))[0]["n"] == 1
    assert count(admin_sql, "stripe_events", org.id) == 3


def test_the_portal_opens_for_a_customer_only(client, make_org, stripe_fake):
    org = make_org(tier=None)

    before = client.post("/api/billing/portal", token=org.token)
    ok(checkout(client, org))
    after = ok(client.post("/api/billing/portal", token=org.token))

    assert before.status == 409
    assert after["url"].startswith(stripe_fake.url + "/portal/")


def test_only_owners_pay(client, make_org, stripe_fake):
    org = make_org(tier=None)
    admin = add_member(org, "admin")

    assert checkout(client, org.__class__(**{**org.__dict__, "token": admin.token})).status == 403
    assert client.post("/api/billing/portal", token=admin.token).status == 403
    assert ok(client.get("/api/billing", token=admin.token))["standing"]["tier"] == "trial"
    assert not [r for r in stripe_fake.requests if r["method"] == "POST"]


def test_a_tier_not_sold_through_checkout_is_refused(client, make_org, stripe_fake):
    org = make_org(tier=None)

    for tier in ("enterprise", "trial", "gold"):
        response = checkout(client, org, tier)
        assert response.status == 422, response.body
        assert response.json()["errors"][0]["field"] == "tier"


def test_an_enterprise_organization_does_not_check_out(client, org, stripe_fake):
    assert checkout(client, org).status == 409


def test_without_stripe_settings_billing_answers_503_and_the_rest_works(client, make_org):
    org = make_org(tier=None)

    for response in (checkout(client, org), client.post("/api/billing/portal", token=org.token),
                     client.post("/api/stripe/webhook", body=b"{}",
                                 headers={"stripe-signature": "t=1,v1=00"})):
        assert response.status == 503
        assert response.mimetype == "application/problem+json"
        assert "not configured" in response.json()["detail"]
        assert header(response, "Retry-After") == "1"
    billing = ok(client.get("/api/billing", token=org.token))
    assert billing["billing_configured"] is False and billing["invoices"] == []
    assert [p["tier"] for p in billing["plans"]] == ["trial", "starter", "professional",
                                                     "enterprise"]
    assert ok(client.get("/api/usage", token=org.token))["standing"]["state"] == "trialing"


def test_stripe_unreachable_is_a_503_and_nothing_is_stored(client, make_org, stripe_fake,
                                                           admin_sql):
    org = make_org(tier=None)
    stripe_fake.stop()

    response = checkout(client, org)

    assert response.status == 503 and header(response, "Retry-After") == "1"
    assert admin_sql("SELECT stripe_customer_id FROM organizations WHERE id = %s",
                     (str(org.id),)) == [{"stripe_customer_id": None}]


def test_the_customer_is_kept_when_the_checkout_then_fails(client, make_org, stripe_fake,
                                                          admin_sql, monkeypatch):
    org = make_org(tier=None)
    monkeypatch.setenv("STRIPE_PRICE_STARTER", "price_withdrawn")  # Stripe refuses the session
    from shared.settings import get_settings
    get_settings.cache_clear()

    failed = checkout(client, org)
    monkeypatch.setenv("STRIPE_PRICE_STARTER", "price_starter")
    get_settings.cache_clear()
    retried = checkout(client, org)

    assert failed.status == 503 and retried.status == 200
    assert len(stripe_fake.customers) == 1
    assert admin_sql("SELECT stripe_customer_id FROM organizations WHERE id = %s",
                     (str(org.id),)) == [{"stripe_customer_id": next(iter(stripe_fake.customers))}]


def test_a_second_checkout_is_refused_while_stripe_bills_a_subscription(client, make_org,
                                                                         stripe_fake):
    """Paid, but the webhook has not arrived yet: Stripe's own list says there is one."""
    org = make_org(tier=None)
    stripe_fake.webhook_url = None
    stripe_fake.complete_checkout(ok(checkout(client, org))["url"].rsplit("/", 1)[1])

    again = checkout(client, org, "professional")

    assert again.status == 409 and "billing portal" in again.json()["detail"]
    assert len(stripe_fake.checkout_sessions) == 1


def test_another_organizations_billing_is_never_seen(client, make_org, stripe_fake):
    paying, other = make_org(tier=None), make_org(tier=None)
    stripe_fake.complete_checkout(ok(checkout(client, paying))["url"].rsplit("/", 1)[1])

    theirs = ok(client.get("/api/billing", token=other.token))

    assert theirs["standing"]["tier"] == "trial" and theirs["invoices"] == []
    assert theirs["has_customer"] is False
