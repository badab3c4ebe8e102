"""The standing rules alone (shared.standing): decided from the stored state and its dates at
the moment of asking."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from shared.standing import GRACE, days_left, standing_of

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def org(status="trialing", **fields):
    return {"status": status, "trial_ends_at": None, "past_due_since": None,
            "read_only_reason": None, "suspended_at": None, **fields}


def test_a_trial_is_read_only_the_second_it_ends():
    ends = NOW + timedelta(seconds=1)
    assert standing_of(org(trial_ends_at=ends), NOW).state == "trialing"
    over = standing_of(org(trial_ends_at=ends), ends)
    assert (over.state, over.reason, over.can_create) == ("read_only", "trial_ended", False)


def test_past_due_works_for_seven_days_then_is_read_only():
    since = NOW - GRACE + timedelta(seconds=1)
    during = standing_of(org("past_due", past_due_since=since), NOW)
    after = standing_of(org("past_due", past_due_since=since), NOW + timedelta(seconds=1))
    assert (during.state, during.can_create, during.grace_ends_at) == (
        "past_due", True, since + GRACE)
    assert (after.state, after.reason) == ("read_only", "grace_ended")


def test_suspension_wins_over_any_state():
    for status in ("trialing", "active", "past_due", "read_only"):
        standing = standing_of(org(status, trial_ends_at=NOW + timedelta(days=3),
                                   past_due_since=NOW, suspended_at=NOW), NOW)
        assert (standing.state, standing.reason) == ("read_only", "suspended")


def test_closing_wins_over_any_state_even_suspension():
    for status in ("trialing", "active", "past_due", "read_only"):
        for suspended_at in (None, NOW):
            standing = standing_of(org(status, trial_ends_at=NOW + timedelta(days=3),
                                       past_due_since=NOW, suspended_at=suspended_at,
                                       closed_at=NOW), NOW)
            assert (standing.state, standing.reason, standing.can_create) == (
                "read_only", "closed", False)


def test_active_and_canceled():
    assert standing_of(org("active"), NOW).state == "active"
    canceled = standing_of(org("read_only", read_only_reason="canceled"), NOW)
    assert (canceled.state, canceled.reason) == ("read_only", "canceled")


def test_days_left_round_up():
    assert days_left(NOW + timedelta(hours=30), NOW) == 2
    assert days_left(NOW + timedelta(days=14), NOW) == 14
    assert days_left(NOW - timedelta(hours=1), NOW) == 0
    assert days_left(None, NOW) is None


@given(offset=st.integers(min_value=-10**7, max_value=10**7))
def test_a_trial_can_create_exactly_until_its_end(offset):
    ends = NOW + timedelta(seconds=offset)
    assert standing_of(org(trial_ends_at=ends), NOW).can_create is (offset > 0)
