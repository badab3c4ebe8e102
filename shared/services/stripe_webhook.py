"""Stripe's events: verified on the raw body, each applied once, in any order.

The signature is checked before anything is parsed (forged, missing or older than the
tolerance -> 400, nothing changed). An event is applied in one transaction of its
organization, together with the row that records its id, so a redelivery changes nothing. An
event older than the last one applied changes nothing either; and every event that concerns a
subscription re-reads the subscription from Stripe and applies its state as it is now, so
`updated` before `created`, or a stale `updated` after a newer one, end the same way. A
failure answers 500, Stripe retries, and nothing is half applied."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from shared import db, stripe_api
from shared.errors import BadRequest
from shared.models.billing import WebhookOut
from shared.repositories import plans, stripe_events
from shared.services import subscription
from shared.settings import get_settings
from shared.tenancy import Actor

log = logging.getLogger(__name__)
HANDLED = ("checkout.session.completed", "customer.subscription.created",
           "customer.subscription.updated", "customer.subscription.deleted",
           "invoice.paid", "invoice.payment_failed")


def verified_event(raw_body: bytes, signature: str | None) -> dict:
    """The event, if Stripe signed these exact bytes recently; else 400."""
    settings = stripe_api.require_configured()
    import stripe  # heavy: only webhook requests pay for it
    if not signature:
        raise BadRequest("The Stripe-Signature header is missing.")
    try:
        event = stripe.Webhook.construct_event(
            raw_body, signature, settings.stripe_webhook_secret,
            tolerance=settings.stripe_webhook_tolerance_seconds)
    except stripe.SignatureVerificationError:
        raise BadRequest("The Stripe-Signature does not match the body, or is too old.") from None
    except ValueError:
        raise BadRequest("The body is not a Stripe event.") from None
    return event.to_dict()


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _subscription_id(event_type: str, obj: dict) -> str | None:
    if event_type.startswith("customer.subscription."):
        return obj.get("id")
    if event_type.startswith("invoice."):  # older API versions, then basil's `parent`
        details = ((obj.get("parent") or {}).get("subscription_details") or {})
        return obj.get("subscription") or details.get("subscription")
    return obj.get("subscription")


def _organization_of(obj: dict) -> uuid.UUID | None:
    """The organization an event's object belongs to: the id we gave Stripe at checkout, else
    the organization whose Stripe customer it names."""
    details = ((obj.get("parent") or {}).get("subscription_details") or {})
    for candidate in (obj.get("client_reference_id"), (obj.get("metadata") or {}).get(
            "organization_id"), (details.get("metadata") or {}).get("organization_id")):
        found = _uuid(candidate)
        if found:
            return found
    customer = obj.get("customer")
    if not isinstance(customer, str):
        return None
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        return plans.find_id_by_stripe_customer(cur, customer_id=customer)


def handle(raw_body: bytes, signature: str | None, *, source_address: str | None,
           request_id: str) -> WebhookOut:
    event = verified_event(raw_body, signature)
    if event.get("type") not in HANDLED:
        return WebhookOut(handled=False)
    obj = event["data"]["object"]
    organization_id = _organization_of(obj)
    if organization_id is None:
        log.warning("stripe event %s (%s) names no organization of ours", event["id"],
                    event["type"])
        return WebhookOut(handled=False)
    with db.tenant_transaction(organization_id) as cur:
        account = plans.account(cur, organization_id=organization_id, lock=True)
        if account is None:
            log.warning("stripe event %s names an unknown organization", event["id"])
            return WebhookOut(handled=False)
        if stripe_events.seen(cur, organization_id=organization_id, event_id=event["id"]):
            return WebhookOut(handled=True, duplicate=True)
        customer = obj.get("customer")
        if account["stripe_customer_id"] and customer and customer != account["stripe_customer_id"]:
            log.warning("stripe event %s is for another customer than the organization's",
                        event["id"])
            return WebhookOut(handled=False)
        event_at = datetime.fromtimestamp(event["created"], timezone.utc)
        actor = Actor(organization_id, None, source_address, request_id)
        applied = _apply(cur, actor, account, event, obj, event_at)
        stripe_events.insert(cur, organization_id=organization_id, event_id=event["id"],
                             event_type=event["type"], created_at=event_at, applied=applied)
    return WebhookOut(handled=True)


def _apply(cur, actor: Actor, account: dict, event: dict, obj: dict,
           event_at: datetime) -> bool:
    if account["subscription_event_at"] and event_at < account["subscription_event_at"]:
        return False  # older than what was applied: Stripe delivered it late
    subscription_id = _subscription_id(event["type"], obj)
    if not subscription_id:
        return False  # e.g. a one-off invoice: nothing about the plan
    if event["type"] == "customer.subscription.deleted":
        current = obj  # final: Stripe may not return a deleted subscription
    else:
        client = stripe_api.client()
        with stripe_api.calling("subscription retrieve"):
            current = client.v1.subscriptions.retrieve(subscription_id).to_dict()
    values = subscription.stripe_values(account, current, get_settings().stripe_prices, event_at)
    if values is None:
        return False
    subscription.change(cur, actor, account, values, action="billing.subscription",
                        because={"stripe_event": event["type"]})
    return True
