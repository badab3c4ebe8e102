"""Usage against the plan: this month's admissions, active facilities and users, the last
twelve months; and the monthly timer that closes the finished month and opens the new one."""
from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime, timezone

from shared.models.billing import Meter, StandingPublic, UsageCurrent, UsageOut, UsagePeriod
from shared.repositories import plans, usage
from shared.services import maintenance
from shared.standing import REASONS, days_left, standing_of

RESET_TIMER = "monthly_usage_reset"
HISTORY_MONTHS = 12


def standing_public(account: dict, now: datetime | None = None) -> StandingPublic:
    now = now or datetime.now(timezone.utc)
    standing = standing_of(account, now)
    until = standing.trial_ends_at if standing.state == "trialing" else standing.grace_ends_at
    left = days_left(until, now)
    message = None
    if standing.state == "trialing" and standing.trial_ends_at is None:
        message = "Trial. Choose a plan in billing."  # no end recorded: the operator's to set
    elif standing.state == "trialing":
        message = (f"Trial: {left} day{'s' if left != 1 else ''} left. "
                   f"Choose a plan to keep creating after {standing.trial_ends_at:%B %-d}.")
    elif standing.state == "past_due":
        message = (f"A payment failed. Everything works until {standing.grace_ends_at:%B %-d}; "
                   "update the card or pay the invoice in billing.")
    elif standing.reason == "closed":
        message = (f"Closed: read-only, and deleted on {account['deletes_at']:%B %-d, %Y}. "
                   "An owner can export the data or reopen it in Settings.")
    elif standing.state == "read_only":
        action = ("Contact support to reactivate it." if standing.reason == "suspended"
                  else "Choose a plan in billing to create again.")
        message = f"{REASONS[standing.reason]}: read-only. Your data is kept. {action}"
    return StandingPublic(tier=account["tier"], plan=account["plan_name"], state=standing.state,
                          reason=standing.reason, trial_ends_at=account["trial_ends_at"],
                          grace_ends_at=standing.grace_ends_at, days_left=left,
                          can_create=standing.can_create, message=message,
                          deletes_at=account.get("deletes_at"))


def _meter(used: int, limit: int | None) -> Meter:
    percent = None if not limit else round(100 * used / limit, 1)
    return Meter(used=used, limit=limit, percent=percent)


def _months_back(start: date, count: int) -> list[date]:
    months, year, month = [], start.year, start.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(date(year, month, 1))
    return months


def get_usage(cur, organization_id: uuid.UUID) -> UsageOut:
    account = plans.account(cur, organization_id=organization_id)
    now = usage.current(cur, organization_id=organization_id)
    start = now["period_start"]
    stored = {row["period_start"]: row for row in usage.history(
        cur, organization_id=organization_id, before=start, limit=HISTORY_MONTHS)}
    first = account["created_at"].astimezone(timezone.utc).date().replace(day=1)
    history = [UsagePeriod(period_start=month, admissions=row["admissions"] if row else 0,
                           active_facilities=row["active_facilities"] if row else None,
                           active_users=row["active_users"] if row else None,
                           closed=bool(row and row["closed_at"]))
               for month in _months_back(start, HISTORY_MONTHS) if month >= first
               for row in (stored.get(month),)]
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return UsageOut(
        standing=standing_public(account),
        current=UsageCurrent(
            period_start=start, period_end=end,
            admissions=_meter(now["admissions"], account["max_admissions"]),
            facilities=_meter(now["facilities"], account["max_facilities"]),
            users=_meter(now["users"], account["max_users"]),
            open_invitations=now["open_invitations"]),
        history=history)


def reset_month(today: datetime | None = None) -> dict[str, int]:
    """Close every organization's finished months (keeping their totals and the facilities and
    users active at the close) and open this month. Each organization in its own transaction,
    all of it or none; running twice or days late finds nothing left to do, and admissions are
    counted when created, so none is lost or counted twice. The run is recorded once every
    organization is done; a failure leaves it unrecorded, and raised, for the next run."""
    today = today or datetime.now(timezone.utc)
    period = today.astimezone(timezone.utc).date().replace(day=1)

    def roll(cur, organization_id: uuid.UUID) -> dict[str, int]:
        return {"closed": usage.close_before(cur, organization_id=organization_id,
                                             period_start=period),
                "opened": int(usage.open_period(cur, organization_id=organization_id,
                                                period_start=period))}

    return maintenance.each_organization(RESET_TIMER, f"{period:%Y-%m}", roll)
