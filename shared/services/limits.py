"""The plan's limits on everything that counts: facilities and users by their active count,
admissions per calendar month (UTC). Each check and the create it guards are one step for
concurrent requests, so fifty creates at one below the limit let exactly one in. Over the
limit, or read-only, the answer is a 402 naming the plan, the limit or state, the usage and
what to do. Evaluating without saving never counts."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from shared.errors import Conflict, NotFound, PaymentRequired
from shared.repositories import plans, usage
from shared.services.email import link
from shared.standing import REASONS, standing_of

BILLING_PATH = "/#billing"
NOUNS = {"facilities": ("active facility", "active facilities"),
         "users": ("user", "users"),
         "admissions": ("admission a month", "admissions a month")}


def billing_url() -> str:
    return link(BILLING_PATH)


def _account(cur, organization_id: uuid.UUID, *, lock: bool) -> dict:
    account = plans.account(cur, organization_id=organization_id, lock=lock)
    if account is None:
        raise NotFound("No organization with this id.")
    return account


def require_writable(account: dict) -> None:
    """402 when the organization is read-only: reads and exports still work."""
    standing = standing_of(account, datetime.now(timezone.utc))
    if standing.can_create:
        return
    if standing.reason == "closed":  # not a matter of payment (an invitation to it, a timer)
        raise Conflict(f"{account['name']} was closed and is read-only; its data will be "
                       f"deleted on {account['deletes_at']:%B %-d, %Y} unless an owner reopens "
                       "it.", extensions={"state": "closed"})
    if standing.reason == "suspended":
        action = "Contact support to reactivate it."
    elif standing.reason == "grace_ended":
        action = f"An owner can pay the open invoice or update the card at {billing_url()}."
    else:
        action = f"An owner can choose a plan at {billing_url()}."
    raise PaymentRequired(
        f"{REASONS[standing.reason]}: {account['name']} is read-only. Everything can still be "
        f"read and exported; nothing new can be created. {action}",
        extensions={"tier": account["tier"], "plan": account["plan_name"],
                    "state": standing.state, "reason": standing.reason,
                    "billing_url": billing_url()})


def _over_limit(account: dict, resource: str, limit: int, used: int) -> PaymentRequired:
    one, many = NOUNS[resource]
    if account["tier"] == "enterprise":
        action = "Contact us to raise your contract's limit."
    else:
        action = f"An owner can upgrade the plan at {billing_url()}."
    in_use = "used this month" if resource == "admissions" else "in use"
    return PaymentRequired(
        f"The {account['plan_name']} plan allows {limit} {one if limit == 1 else many}; "
        f"{used} {in_use}. {action}",
        extensions={"tier": account["tier"], "plan": account["plan_name"],
                    "state": standing_of(account, datetime.now(timezone.utc)).state,
                    "resource": resource, "limit": limit, "usage": used,
                    "billing_url": billing_url()})


def make_room(cur, organization_id: uuid.UUID, resource: str, *,
              count_invitations: bool = False) -> None:
    """Before creating (or reactivating) a facility or a user: 402 unless one more fits. The
    organization's row stays locked until the transaction ends, so concurrent creates count
    one after the other. An open invitation holds a user's place when inviting."""
    account = _account(cur, organization_id, lock=True)
    require_writable(account)
    limit = account[f"max_{resource}"]
    if limit is None:
        return
    now = usage.current(cur, organization_id=organization_id)
    used = now[resource] + (now["open_invitations"] if count_invitations else 0)
    if used >= limit:
        raise _over_limit(account, resource, limit, used)


def count_admission(cur, organization_id: uuid.UUID, case_year: int | None = None) -> dict:
    """Count a new admission in this month, or 402; returns the account (its subdomain names
    the case number) with, given a `case_year`, the admission's `case_sequence` in it. Counted
    first, in the statement that reads the account: a refusal rolls the count back with the
    transaction."""
    account = usage.count_admission(cur, organization_id=organization_id, case_year=case_year)
    if account is None:
        raise NotFound("No organization with this id.")
    require_writable(account)
    if account["counted"] is None:
        raise _over_limit(account, "admissions", account["max_admissions"],
                          account["previously_counted"])
    return account
