"""What the operator does to an organization from the command line (python -m ops): list
them with their plan, standing and usage; put one on an Enterprise contract; extend a trial;
suspend and reactivate. Each change goes through the same rules as Stripe's (shared.services.
subscription) and writes an audit row naming the operator."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shared import db
from shared.errors import Conflict, NotFound
from shared.repositories import organizations, plans, usage
from shared.services import subscription
from shared.services.subscription import LIVE
from shared.standing import standing_of
from shared.tenancy import Actor


def _find(subdomain: str) -> uuid.UUID:
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        organization_id = organizations.find_id_by_subdomain(cur, subdomain=subdomain)
    if organization_id is None:
        raise NotFound(f"No organization has the subdomain {subdomain!r}.")
    return organization_id


def _change(subdomain: str, operator: str, action: str, values_of) -> dict:
    """Apply `values_of(account)` to the organization's account, as the operator."""
    organization_id = _find(subdomain)
    with db.tenant_transaction(organization_id) as cur:
        account = plans.account(cur, organization_id=organization_id, lock=True)
        actor = Actor(organization_id, None, None, f"operator:{operator}")
        return subscription.change(cur, actor, account, values_of(account), action=action,
                                   because={"operator": operator})


def list_organizations() -> list[dict]:
    """Every organization with its tier, standing now, and usage now."""
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        organization_ids = organizations.list_ids(cur)
    now = datetime.now(timezone.utc)
    listed = []
    for organization_id in organization_ids:
        with db.tenant_transaction(organization_id) as cur:
            account = plans.account(cur, organization_id=organization_id)
            current = usage.current(cur, organization_id=organization_id)
        standing = standing_of(account, now)
        listed.append({
            "subdomain": account["subdomain"], "name": account["name"], "tier": account["tier"],
            "state": standing.state, "reason": standing.reason,
            "trial_ends_at": account["trial_ends_at"],
            "admissions": (current["admissions"], account["max_admissions"]),
            "facilities": (current["facilities"], account["max_facilities"]),
            "users": (current["users"], account["max_users"])})
    return sorted(listed, key=lambda row: row["subdomain"])


def set_enterprise(subdomain: str, operator: str, *, max_facilities: int | None = None,
                   max_users: int | None = None, max_admissions: int | None = None) -> dict:
    """Enterprise by contract: active, with the contract's limits (None: no limit). Not while
    Stripe bills the organization: the contract would be paid twice."""
    def values(account):
        if account["subscription_status"] in LIVE:
            raise Conflict("This organization pays a Stripe subscription: cancel it (billing "
                           "portal or Stripe's dashboard) before setting a contract.")
        return {"tier": "enterprise", "status": "active", "past_due_since": None,
                "read_only_reason": None, "contract_max_facilities": max_facilities,
                "contract_max_users": max_users,
                "contract_max_admissions_per_month": max_admissions}
    return _change(subdomain, operator, "organization.enterprise", values)


def extend_trial(subdomain: str, operator: str, *, days: int) -> dict:
    """Give a trialing organization (or one whose trial ended) `days` more from the later of
    now and its trial's end."""
    def values(account):
        if account["tier"] != "trial" or account["status"] not in ("trialing", "read_only") or (
                account["status"] == "read_only" and account["read_only_reason"] != "trial_ended"):
            raise Conflict("Only a trial can be extended; this organization is on "
                           f"{account['plan_name']} ({account['status']}).")
        start = max(datetime.now(timezone.utc),
                    account["trial_ends_at"] or datetime.now(timezone.utc))
        return {"status": "trialing", "read_only_reason": None,
                "trial_ends_at": start + timedelta(days=days)}
    return _change(subdomain, operator, "organization.trial_extend", values)


def suspend(subdomain: str, operator: str, *, reason: str) -> dict:
    """Read-only until reactivated, whatever the plan; nothing is deleted."""
    return _change(subdomain, operator, "organization.suspend", lambda account: {
        "suspended_at": account["suspended_at"] or datetime.now(timezone.utc),
        "suspended_reason": reason})


def reactivate(subdomain: str, operator: str) -> dict:
    return _change(subdomain, operator, "organization.reactivate", lambda account: {
        "suspended_at": None, "suspended_reason": None})
