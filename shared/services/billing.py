"""Paying for a plan through Stripe: Checkout for Starter and Professional, the customer portal
for changes, card updates and cancelation, and what the organization's billing looks like. The
plan and standing follow the subscription through the webhook (shared.services.stripe_webhook),
never through these calls."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from shared import audit, stripe_api
from shared.errors import Conflict, NotFound, Unprocessable
from shared.models.billing import BillingOut, CheckoutIn, InvoicePublic, PlanPublic, RedirectOut
from shared.repositories import plans, users
from shared.services.limits import billing_url
from shared.services.usage import standing_public
from shared.settings import get_settings
from shared.standing import standing_of
from shared.tenancy import Actor

PAYMENT_STATES = {"active": "paid", "trialing": "paid", "past_due": "past_due",
                  "unpaid": "past_due", "canceled": "canceled", "incomplete_expired": "canceled"}


def _account(cur, organization_id: uuid.UUID, *, lock: bool = False) -> dict:
    account = plans.account(cur, organization_id=organization_id, lock=lock)
    if account is None:
        raise NotFound("No organization with this id.")
    return account


def _customer(cur, actor: Actor, account: dict, client) -> str:
    """The organization's Stripe customer, created once: the idempotency key makes a retry
    after a lost answer return the same customer, and the locked row keeps two clicks from
    making two."""
    if account["stripe_customer_id"]:
        return account["stripe_customer_id"]
    owner = users.get(cur, organization_id=actor.organization_id, user_id=actor.user_id)
    with stripe_api.calling("customer create"):
        customer = client.v1.customers.create(
            params={"name": account["name"], "email": owner["email"],
                    "metadata": {"organization_id": str(account["id"]),
                                 "subdomain": account["subdomain"]}},
            options={"idempotency_key": f"customer-{account['id']}"})
    plans.update_account(cur, organization_id=account["id"],
                         values={"stripe_customer_id": customer.id})
    audit.record(cur, actor, action="billing.customer_create", object_type="organization",
                 object_id=account["id"], changes={"stripe_customer_id": customer.id})
    return customer.id


def checkout(cur, actor: Actor, data: CheckoutIn) -> RedirectOut:
    """A Stripe Checkout page for the tier's subscription."""
    settings = stripe_api.require_configured()
    account = _account(cur, actor.organization_id, lock=True)
    standing = standing_of(account, datetime.now(timezone.utc))
    if standing.reason == "suspended":
        raise Conflict("This organization is suspended. Contact support to reactivate it.")
    if account["tier"] == "enterprise":
        raise Conflict("This organization is on an Enterprise contract; its plan is changed "
                       "by contract, not here.")
    if account["tier"] == data.tier and standing.state in ("active", "past_due"):
        raise Conflict(f"This organization is on the {account['plan_name']} plan already. "
                       "Change or cancel it in the billing portal.")
    if account["stripe_subscription_id"] and account["subscription_status"] in (
            "active", "trialing", "past_due", "unpaid"):
        raise Conflict("This organization has a subscription; change its plan in the billing "
                       "portal.")
    price = settings.stripe_prices.get(data.tier)
    if price is None:
        raise Unprocessable.for_fields({"tier": "is not for sale here"})
    client = stripe_api.client()
    customer = _customer(cur, actor, account, client)
    metadata = {"organization_id": str(account["id"]), "tier": data.tier}
    with stripe_api.calling("checkout session create"):
        session = client.v1.checkout.sessions.create(params={
            "mode": "subscription", "customer": customer,
            "client_reference_id": str(account["id"]),
            "line_items": [{"price": price, "quantity": 1}],
            "metadata": metadata, "subscription_data": {"metadata": metadata},
            "success_url": billing_url() + "?checkout=success",
            "cancel_url": billing_url() + "?checkout=canceled"})
    audit.record(cur, actor, action="billing.checkout", object_type="organization",
                 object_id=account["id"], changes={"tier": data.tier})
    return RedirectOut(url=session.url)


def portal(cur, actor: Actor) -> RedirectOut:
    """A Stripe customer-portal session (short-lived: one per click)."""
    stripe_api.require_configured()
    account = _account(cur, actor.organization_id)
    if not account["stripe_customer_id"]:
        raise Conflict("There is nothing to manage yet: choose a plan first.")
    client = stripe_api.client()
    with stripe_api.calling("portal session create"):
        session = client.v1.billing_portal.sessions.create(params={
            "customer": account["stripe_customer_id"], "return_url": billing_url()})
    audit.record(cur, actor, action="billing.portal", object_type="organization",
                 object_id=account["id"])
    return RedirectOut(url=session.url)


def _invoices(customer_id: str) -> list[InvoicePublic]:
    client = stripe_api.client()
    with stripe_api.calling("invoice list"):
        listed = client.v1.invoices.list(params={"customer": customer_id, "limit": 12})
    return [InvoicePublic(id=i["id"], number=i.get("number"), status=i.get("status"),
                          amount_due_cents=i.get("amount_due") or 0,
                          amount_paid_cents=i.get("amount_paid") or 0,
                          currency=i.get("currency") or "usd",
                          created_at=datetime.fromtimestamp(i["created"], timezone.utc),
                          hosted_invoice_url=i.get("hosted_invoice_url"),
                          invoice_pdf=i.get("invoice_pdf"))
            for i in (invoice.to_dict() for invoice in listed.data)]


def overview(cur, organization_id: uuid.UUID) -> BillingOut:
    """The plan, standing, renewal, payment state and invoices. Without Stripe settings it
    still shows the plan and standing (and says billing is not configured)."""
    account = _account(cur, organization_id)
    configured = get_settings().billing_configured
    invoices = (_invoices(account["stripe_customer_id"])
                if configured and account["stripe_customer_id"] else [])
    return BillingOut(
        standing=standing_public(account),
        plans=[PlanPublic.model_validate(p) for p in plans.list_plans(cur)],
        billing_configured=configured, has_customer=bool(account["stripe_customer_id"]),
        subscription_status=account["subscription_status"],
        renews_at=account["current_period_end"],
        cancel_at_period_end=account["cancel_at_period_end"],
        payment_state=PAYMENT_STATES.get(account["subscription_status"] or "", "none"),
        invoices=invoices)
