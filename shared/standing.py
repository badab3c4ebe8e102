"""An organization's standing: trialing -> active (paid) -> past_due (7 days of grace) ->
read_only (trial over, grace over, canceled, suspended by the operator, or closed by an owner:
then every write is refused, see shared.tenancy.require_open, until it is reopened or erased).

Decided from the stored state and its dates at the moment of asking, never from what a timer
last wrote: a trial is over the second its end passes. Pure: no database, no clock of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

GRACE = timedelta(days=7)
TRIAL_REMINDER = timedelta(days=3)

REASONS = {
    "trial_ended": "The trial ended",
    "grace_ended": "The payment is over 7 days late",
    "canceled": "The subscription was canceled",
    "suspended": "The organization is suspended",
    "closed": "The organization was closed",
}


@dataclass(frozen=True)
class Standing:
    state: str                      # trialing | active | past_due | read_only
    reason: str | None              # why read_only: trial_ended | grace_ended | canceled |
                                    # suspended | closed
    trial_ends_at: datetime | None
    grace_ends_at: datetime | None

    @property
    def can_create(self) -> bool:
        """Whether anything that counts against a limit may be created."""
        return self.state != "read_only"


def standing_of(organization: dict, now: datetime) -> Standing:
    """The standing of an organization row (status, trial_ends_at, past_due_since,
    read_only_reason, suspended_at) at `now`."""
    status = organization["status"]
    trial_ends_at = organization.get("trial_ends_at")
    past_due_since = organization.get("past_due_since")
    grace_ends_at = past_due_since + GRACE if status == "past_due" and past_due_since else None
    if organization.get("closed_at") is not None:  # an owner's decision outranks billing's
        return Standing("read_only", "closed", trial_ends_at, None)
    if organization.get("suspended_at") is not None:
        return Standing("read_only", "suspended", trial_ends_at, grace_ends_at)
    if status == "trialing":
        if trial_ends_at is not None and now >= trial_ends_at:
            return Standing("read_only", "trial_ended", trial_ends_at, None)
        return Standing("trialing", None, trial_ends_at, None)
    if status == "past_due":
        if grace_ends_at is not None and now >= grace_ends_at:
            return Standing("read_only", "grace_ended", None, grace_ends_at)
        return Standing("past_due", None, None, grace_ends_at)
    if status == "read_only":
        return Standing("read_only", organization.get("read_only_reason") or "canceled",
                        trial_ends_at, None)
    return Standing("active", None, None, None)


def days_left(until: datetime | None, now: datetime) -> int | None:
    """Whole days left, rounded up (a trial ending in 30 hours has 2 days left)."""
    if until is None:
        return None
    seconds = (until - now).total_seconds()
    return max(0, -int(-seconds // 86400))
