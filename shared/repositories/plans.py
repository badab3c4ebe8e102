"""SQL for plans and an organization's account: its plan, its limits (a contract's where one is
set), its standing's stored state and its Stripe subscription."""
from __future__ import annotations

import uuid

ACCOUNT = """
    SELECT o.id, o.name, o.subdomain, o.tier, o.status, o.trial_ends_at, o.past_due_since,
           o.read_only_reason, o.suspended_at, o.suspended_reason, o.created_at,
           o.stripe_customer_id, o.stripe_subscription_id, o.subscription_status,
           o.current_period_end, o.cancel_at_period_end, o.subscription_event_at,
           o.trial_reminder_for, o.closed_at, o.deletes_at,
           o.contract_max_facilities, o.contract_max_users, o.contract_max_admissions_per_month,
           p.name AS plan_name, p.monthly_price_cents, p.self_serve, p.rank,
           coalesce(o.contract_max_facilities, p.max_facilities) AS max_facilities,
           coalesce(o.contract_max_users, p.max_users) AS max_users,
           coalesce(o.contract_max_admissions_per_month, p.max_admissions_per_month)
               AS max_admissions
      FROM organizations o
      JOIN plans p ON p.tier = o.tier
     WHERE o.id = %(id)s
"""


def account(cur, *, organization_id: uuid.UUID, lock: bool = False) -> dict | None:
    """The organization with its plan and limits. `lock` first holds the organization's row
    until the transaction ends, so that counting and creating are one step for concurrent
    requests (FOR NO KEY UPDATE: rows that merely reference the organization are not blocked).
    The lock is its own statement: locking through the join would, after waiting for a
    transaction that changed the tier, recheck the row against the old plan and find nothing;
    the read after it sees what that transaction committed."""
    if lock:
        cur.execute("SELECT 1 FROM organizations WHERE id = %(id)s FOR NO KEY UPDATE",
                    {"id": organization_id})
    cur.execute(ACCOUNT, {"id": organization_id})
    return cur.fetchone()


def list_plans(cur) -> list[dict]:
    cur.execute("""
        SELECT tier, name, max_facilities, max_users,
               max_admissions_per_month AS max_admissions, monthly_price_cents, self_serve
          FROM plans ORDER BY rank
    """)
    return cur.fetchall()


def update_account(cur, *, organization_id: uuid.UUID, values: dict) -> dict:
    """Set the subscription and standing columns named (from a fixed list, values bound)."""
    allowed = ("tier", "status", "trial_ends_at", "past_due_since", "read_only_reason",
               "suspended_at", "suspended_reason", "stripe_customer_id",
               "stripe_subscription_id", "subscription_status", "current_period_end",
               "cancel_at_period_end", "subscription_event_at", "trial_reminder_for",
               "contract_max_facilities", "contract_max_users",
               "contract_max_admissions_per_month", "closed_at", "deletes_at")
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"not account columns: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = %({name})s" for name in values)
    cur.execute(f"""
        UPDATE organizations SET {assignments}, updated_at = now() WHERE id = %(id)s
    """, {**values, "id": organization_id})
    return account(cur, organization_id=organization_id)


def keep_customer(cur, *, organization_id: uuid.UUID, customer_id: str) -> str:
    """Store the organization's Stripe customer unless one is stored; the one stored."""
    cur.execute("""
        UPDATE organizations
           SET stripe_customer_id = coalesce(stripe_customer_id, %(customer)s),
               updated_at = now()
         WHERE id = %(id)s
        RETURNING stripe_customer_id
    """, {"id": organization_id, "customer": customer_id})
    return cur.fetchone()["stripe_customer_id"]


def find_id_by_stripe_customer(cur, *, customer_id: str) -> uuid.UUID | None:
    """Cross-tenant: only inside dangerously_cross_tenant_transaction (the Stripe webhook, for
    an event that carries no organization id)."""
    cur.execute("SELECT id FROM organizations WHERE stripe_customer_id = %(customer)s",
                {"customer": customer_id})
    row = cur.fetchone()
    return row["id"] if row else None
