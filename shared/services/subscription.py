"""Changes to an organization's plan and standing, and what follows each: the stored state, an
audit row, and an e-mail to the owners where they should know. Stripe's subscriptions, the
operator's commands and the daily timer all change the standing through here.

The standing a request sees is decided at that moment (shared.standing); the daily timer only
records the transitions that already happened (a trial that ended, a grace that ran out) and
sends their e-mails, once each."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from shared import audit
from shared.repositories import plans, users
from shared.services import email, maintenance
from shared.services.limits import billing_url
from shared.standing import GRACE, REASONS, TRIAL_REMINDER, days_left, standing_of
from shared.tenancy import Actor

log = logging.getLogger(__name__)
TRANSITIONS_TIMER = "record_account_transitions"
# Stripe's subscription statuses, as our states. Absent ones (incomplete: the first payment is
# not through yet; incomplete_expired: it never went through; paused) leave the standing as it
# is: a trial whose first payment failed is still a trial.
STRIPE_STATES = {"active": "active", "trialing": "active", "past_due": "past_due",
                 "unpaid": "past_due", "canceled": "read_only"}
LIVE = ("active", "trialing", "past_due", "unpaid")


def _day(moment: datetime | None) -> str:
    return f"{moment:%B %-d, %Y}" if moment else "-"


def _limits_text(account: dict) -> str:
    def one(limit, noun):
        return f"unlimited {noun}" if limit is None else f"{limit} {noun}"
    return ", ".join((one(account["max_facilities"], "facilities"),
                      one(account["max_users"], "users"),
                      one(account["max_admissions"], "admissions a month")))


def tell_owners(cur, account: dict, template: str, values: dict[str, str]) -> None:
    for address in users.active_owner_emails(cur, organization_id=account["id"]):
        email.enqueue(cur, account["id"], template, address,
                      {"link": billing_url(), "plan": account["plan_name"], **values})


def change(cur, actor: Actor, account: dict, values: dict, *, action: str,
           because: dict | None = None) -> dict:
    """Store the account's new values (those that differ), with one audit row naming them, and
    the owners' e-mail for a change of tier or standing. Returns the account as it is now."""
    changed = {k: v for k, v in values.items() if account.get(k) != v}
    if not changed:
        return account
    after = plans.update_account(cur, organization_id=account["id"], values=changed)
    audit.record(cur, actor, action=action, object_type="organization", object_id=account["id"],
                 changes={**changed, **(because or {})})
    status = after["status"]
    if after.get("closed_at") is not None:
        return after  # its owners closed it, and were told what follows (shared.services.closing)
    if changed.get("suspended_at"):
        _tell_read_only(cur, after, "suspended")
    elif status == "active" and ("status" in changed or "tier" in changed):
        tell_owners(cur, after, "plan_active", {"limits": _limits_text(after)})
    elif status == "past_due" and "status" in changed:
        grace_ends_at = standing_of(after, datetime.now(timezone.utc)).grace_ends_at
        tell_owners(cur, after, "payment_failed", {"grace_ends_at": _day(grace_ends_at)})
    elif status == "read_only" and "status" in changed:
        _tell_read_only(cur, after, after["read_only_reason"])
    return after


def _tell_read_only(cur, account: dict, reason: str) -> None:
    if reason == "trial_ended":
        tell_owners(cur, account, "trial_ended", {"ends_at": _day(account["trial_ends_at"])})
        return
    action = ("the operator reactivates it." if reason == "suspended"
              else "an owner pays the open invoice or updates the card:" if reason == "grace_ended"
              else "an owner chooses a plan:")
    tell_owners(cur, account, "read_only", {"reason": REASONS[reason], "action": action})


# --- Stripe ------------------------------------------------------------------------------

def tier_of_price(price_id: str | None, prices: dict[str, str]) -> str | None:
    return next((tier for tier, price in prices.items() if price == price_id), None)


class UnknownPrice(RuntimeError):
    """A live subscription's price is no plan's: the settings are wrong. The webhook fails, so
    Stripe delivers the event again once they are fixed, rather than a paying customer's
    organization lapsing into read-only."""


def stripe_values(account: dict, subscription: dict, prices: dict[str, str],
                  event_at: datetime) -> dict | None:
    """What the organization's stored account becomes under this subscription as Stripe has it
    now (status and price); None when it does not concern the organization's subscription: an
    old, ended one, or a second live one while the current one lives (Stripe bills both: the
    log says so, and the current one goes on deciding the plan)."""
    current = account["stripe_subscription_id"]
    status = subscription["status"]
    if current and current != subscription["id"] and (
            status not in LIVE or account["subscription_status"] in LIVE):
        if status in LIVE:
            log.error("organization %s has a second live stripe subscription %s besides %s",
                      account["id"], subscription["id"], current)
        return None
    item = ((subscription.get("items") or {}).get("data") or [{}])[0]
    period_end = item.get("current_period_end")  # on the items since API version 2025-03-31
    values = {"stripe_subscription_id": subscription["id"], "subscription_status": status,
              "stripe_customer_id": account["stripe_customer_id"] or subscription.get("customer"),
              "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
              "current_period_end": (datetime.fromtimestamp(period_end, timezone.utc)
                                     if period_end else None),
              "subscription_event_at": event_at}
    state = STRIPE_STATES.get(status)
    if account["tier"] == "enterprise":
        return values  # a contract decides the plan; a leftover subscription only shows
    price_id = (item.get("price") or {}).get("id")
    tier = tier_of_price(price_id, prices)
    if tier is None and state in ("active", "past_due"):
        raise UnknownPrice(f"stripe price {price_id} of subscription {subscription['id']} is no "
                           "plan's: check the STRIPE_PRICE_* settings")
    now = datetime.now(timezone.utc)
    if state == "active":
        values.update(tier=tier, status="active", past_due_since=None, read_only_reason=None)
    elif state == "past_due":
        since = account["past_due_since"] or event_at
        values.update(tier=tier, past_due_since=since)
        if now >= since + GRACE:  # Stripe's retries after the grace keep it read-only
            values.update(status="read_only", read_only_reason="grace_ended")
        else:
            values.update(status="past_due", read_only_reason=None)
    elif state == "read_only" and account["status"] != "trialing":
        values.update(status="read_only", read_only_reason="canceled", past_due_since=None)
    return values


# --- the daily timer ---------------------------------------------------------------------

def record_transitions(now: datetime | None = None) -> dict[str, int]:
    """Record the trials that ended and the graces that ran out, and remind trials ending
    within three days; each once, whenever the timer runs (late or twice)."""
    now = now or datetime.now(timezone.utc)

    def transition(cur, organization_id: uuid.UUID) -> dict[str, int]:
        outcome = _transition(cur, organization_id, now)
        return {outcome: 1} if outcome else {}

    return maintenance.each_organization(TRANSITIONS_TIMER, now.date().isoformat(), transition)


def _transition(cur, organization_id: uuid.UUID, now: datetime) -> str | None:
    account = plans.account(cur, organization_id=organization_id, lock=True)
    standing = standing_of(account, now)
    actor = Actor(organization_id, None, None, f"timer:{TRANSITIONS_TIMER}")
    if standing.state == "read_only" and account["status"] != "read_only" \
            and standing.reason in ("trial_ended", "grace_ended"):
        change(cur, actor, account, {"status": "read_only", "read_only_reason": standing.reason},
               action="organization.standing")
        return "read_only"
    ends = account["trial_ends_at"]
    if standing.state == "trialing" and ends is not None and ends - now <= TRIAL_REMINDER \
            and account["trial_reminder_for"] != ends:
        tell_owners(cur, account, "trial_ending", {"ends_at": _day(ends),
                                                   "days_left": str(days_left(ends, now))})
        plans.update_account(cur, organization_id=organization_id,
                             values={"trial_reminder_for": ends})
        return "reminded"
    return None
