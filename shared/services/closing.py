"""Closing an organization: an owner closes it (password again, and a code when their
two-factor sign-in is on); it is read-only at once for
everyone (shared.tenancy.require_open refuses every write), its Stripe subscription is canceled,
and after the grace period a timer erases every row of it. An owner can reopen it until then.
Closing and reopening go through shared.services.subscription.change, as every change of
standing does: one stored state, one audit row."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone

from shared import db, stripe_api
from shared.errors import Conflict
from shared.models.billing import StandingPublic
from shared.models.closing import CloseIn
from shared.repositories import organizations, plans
from shared.services import email, subscription, two_factor
from shared.services.usage import standing_public
from shared.tenancy import Actor, Caller

log = logging.getLogger(__name__)
GRACE_PERIOD = timedelta(days=30)
ERASE_TIMER = "erase_closed_organizations"
SETTINGS_PATH = "/#settings"


def _day(moment: datetime) -> str:
    return f"{moment:%B %-d, %Y}"


def cancel_subscription(account: dict) -> bool:
    """Cancel the organization's live Stripe subscription now; False when it has none. Stripe's
    webhook then records the cancellation as for any other."""
    if not account["stripe_subscription_id"] or \
            account["subscription_status"] not in subscription.LIVE:
        return False
    client = stripe_api.client()
    with stripe_api.calling("subscription cancel"):
        client.v1.subscriptions.cancel(account["stripe_subscription_id"])
    return True


def close(cur, actor: Actor, caller: Caller, data: CloseIn) -> StandingPublic:
    user = two_factor.reauthenticate(cur, actor, caller, data.password, data.code)
    account = plans.account(cur, organization_id=caller.organization_id, lock=True)
    if account["closed_at"] is not None:  # a request racing another close
        raise Conflict("This organization is already closed.")
    now = datetime.now(timezone.utc)
    deletes_at = now + GRACE_PERIOD
    canceled = account["stripe_subscription_id"] is not None and \
        account["subscription_status"] in subscription.LIVE
    after = subscription.change(cur, actor, account, {"closed_at": now, "deletes_at": deletes_at},
                                action="organization.close",
                                because={"subscription_canceled": canceled})
    subscription.tell_owners(cur, after, "organization_closed", {
        "link": email.link(SETTINGS_PATH), "deletes_at": _day(deletes_at),
        "closed_by": user["email"]})
    # Last: when Stripe fails, the transaction rolls back and nothing is closed.
    cancel_subscription(account)
    return standing_public(after, now)


def reopen(cur, actor: Actor, caller: Caller) -> StandingPublic:
    account = plans.account(cur, organization_id=caller.organization_id, lock=True)
    if account["closed_at"] is None:
        raise Conflict("This organization is not closed.")
    after = subscription.change(cur, actor, account, {"closed_at": None, "deletes_at": None},
                                action="organization.reopen")
    standing = standing_public(after)
    subscription.tell_owners(cur, after, "organization_reopened", {
        "link": email.link("/"), "standing": standing.message or ""})
    return standing


def erase_due(now: datetime | None = None) -> dict[str, int]:
    """Erase every closed organization whose grace period has ended: its Stripe subscription
    canceled if one still lives, then every row of it (erase_organization, in SQL). Each in its
    own tenant transaction; one failure does not stop the others, and is raised at the end so
    the host reports the run as failed (the next run tries again)."""
    now = now or datetime.now(timezone.utc)
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        due = organizations.list_due_for_erasure(cur, now=now)
    counts = {"erased": 0, "rows": 0, "failed": 0}
    for organization_id in due:
        try:
            counts["rows"] += _erase(organization_id, now)
            counts["erased"] += 1
        except Exception:  # noqa: BLE001 - the others go on; this one waits for the next run
            log.exception("%s failed for organization %s", ERASE_TIMER, organization_id)
            counts["failed"] += 1
    log.info("%s: %s", ERASE_TIMER, counts)
    if counts["failed"]:
        raise RuntimeError(f"{ERASE_TIMER} failed for {counts['failed']} organizations")
    return counts


def _erase(organization_id: uuid.UUID, now: datetime) -> int:
    with db.tenant_transaction(organization_id) as cur:
        account = plans.account(cur, organization_id=organization_id, lock=True)
        if account is None or account["deletes_at"] is None or account["deletes_at"] > now:
            return 0  # reopened (or erased) since the list was read
        cancel_subscription(account)
        erased = organizations.erase(cur, organization_id=organization_id)
    log.info("erased organization %s: %s", organization_id, erased)
    return sum(erased.values())
