"""The billing timers on real PostgreSQL: the monthly usage reset (twice, late, failing half
way, an admission at the last millisecond of a month) and the daily record of transitions
(trial ended, grace over, the three-day reminder), each once."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from shared import db
from shared.errors import PaymentRequired
from shared.models.facilities import FacilityCreate
from shared.repositories import usage as usage_repository
from shared.services import facilities, subscription, usage
from shared.tenancy import Actor
from tests.factories import ok


def periods(admin_sql, org):
    return admin_sql("SELECT period_start::text AS month, admissions, active_facilities,"
                     " closed_at IS NOT NULL AS closed FROM usage_periods"
                     " WHERE organization_id = %s ORDER BY period_start", (str(org.id),))


def run_count(admin_sql, timer, period=None):
    return admin_sql("SELECT count(*) AS n FROM timer_runs WHERE timer = %s"
                     " AND (%s::text IS NULL OR period = %s)", (timer, period, period))[0]["n"]


@pytest.fixture
def last_month(org, admin_sql):
    """The organization had 7 admissions last month (counted when they were made); its row is
    still open, as on the 1st before the timer runs."""
    start = (datetime.now(timezone.utc).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    admin_sql("INSERT INTO usage_periods (organization_id, period_start, admissions)"
              " VALUES (%s, %s, 7)", (str(org.id), start))
    return start.isoformat()


def test_the_reset_closes_last_month_and_opens_this_one(org, admin_sql, last_month, client):
    usage.reset_month()

    rows = periods(admin_sql, org)
    assert rows[0] == {"month": last_month, "admissions": 7, "active_facilities": 0,
                       "closed": True}
    assert rows[1]["admissions"] == 0 and rows[1]["closed"] is False
    # The organization was made this month: its history starts here, so none is shown.
    assert ok(client.get("/api/usage", token=org.token))["history"] == []


def test_the_reset_twice_or_late_neither_loses_nor_double_counts(org, admin_sql, last_month):
    usage.reset_month(datetime.now(timezone.utc))
    first = periods(admin_sql, org)
    runs = run_count(admin_sql, usage.RESET_TIMER)

    usage.reset_month(datetime.now(timezone.utc))
    first_of_month = datetime.now(timezone.utc).replace(day=1, hour=0, minute=0)
    usage.reset_month(first_of_month + timedelta(days=3, hours=5))  # three days late

    assert periods(admin_sql, org) == first
    assert run_count(admin_sql, usage.RESET_TIMER) == runs


def test_an_admission_begun_in_the_last_millisecond_counts_in_the_old_month(org, admin_sql):
    """Its transaction began in the old month (now() stamps the admission and picks the period)
    and commits after the timer of the 1st has run: it still counts in the old month, and the
    next run closes that month with it."""
    this_month = datetime.now(timezone.utc).date().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    counted, release = threading.Event(), threading.Event()

    def late_admission():
        with db.tenant_transaction(org.id) as cur:
            usage_repository.count_admission(cur, organization_id=org.id)
            counted.set()
            release.wait(10)

    creating = threading.Thread(target=late_admission)
    creating.start()
    counted.wait(10)
    at_midnight = datetime.combine(next_month, datetime.min.time(), timezone.utc)
    usage.reset_month(at_midnight)  # runs while the admission's transaction is open
    release.set()
    creating.join()
    usage.reset_month(at_midnight + timedelta(hours=1))  # run again: picks it up

    rows = {r["month"]: r for r in periods(admin_sql, org)}
    assert rows[this_month.isoformat()]["admissions"] == 1
    assert rows[this_month.isoformat()]["closed"] is True
    assert rows[next_month.isoformat()]["admissions"] == 0


def test_the_create_path_counts_in_the_month_of_its_transaction(org, admin_sql):
    """The period is the transaction's now(), the same instant as created_at."""
    with db.tenant_transaction(org.id) as cur:
        usage_repository.count_admission(cur, organization_id=org.id)
        cur.execute("SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date::text AS m")
        month = cur.fetchone()["m"]
    assert [r["month"] for r in periods(admin_sql, org)] == [month]


def test_a_failure_half_way_leaves_each_organization_whole_and_a_rerun_finishes(
        make_org, admin_sql):
    orgs = [make_org(tier=None) for _ in range(3)]
    broken = orgs[1]
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    admin_sql("DELETE FROM timer_runs WHERE timer = %s AND period = %s",
              (usage.RESET_TIMER, period))
    admin_sql(f"""
        CREATE FUNCTION fail_for_one() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.organization_id = '{broken.id}' THEN RAISE EXCEPTION 'disk full'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER fail_for_one BEFORE INSERT ON usage_periods
            FOR EACH ROW EXECUTE FUNCTION fail_for_one();""")
    try:
        with pytest.raises(RuntimeError, match="failed for 1 organization"):
            usage.reset_month()
        assert periods(admin_sql, broken) == []
        assert all(len(periods(admin_sql, o)) == 1 for o in (orgs[0], orgs[2]))
        assert run_count(admin_sql, usage.RESET_TIMER, period) == 0  # not recorded as done
    finally:
        admin_sql("DROP TRIGGER fail_for_one ON usage_periods; DROP FUNCTION fail_for_one()")

    usage.reset_month()

    assert all(len(periods(admin_sql, o)) == 1 for o in orgs)
    assert run_count(admin_sql, usage.RESET_TIMER, period) == 1


# --- the daily transitions -----------------------------------------------------------------

def emails(admin_sql, org, template):
    return count_where(admin_sql, "email_outbox", org, f"template = '{template}'")


def count_where(admin_sql, table, org, where):
    return admin_sql(f"SELECT count(*) AS n FROM {table} WHERE organization_id = %s AND {where}",
                     (str(org.id),))[0]["n"]


def test_an_ended_trial_is_recorded_once_with_its_audit_row_and_email(make_org, admin_sql):
    org = make_org(tier=None)
    admin_sql("UPDATE organizations SET trial_ends_at = now() - interval '1 hour'"
              " WHERE id = %s", (str(org.id),))

    subscription.record_transitions()
    subscription.record_transitions()

    assert admin_sql("SELECT status, read_only_reason FROM organizations WHERE id = %s",
                     (str(org.id),)) == [{"status": "read_only", "read_only_reason": "trial_ended"}]
    assert count_where(admin_sql, "audit_logs", org, "action = 'organization.standing'") == 1
    assert emails(admin_sql, org, "trial_ended") == 1


def test_a_trial_ending_within_three_days_is_reminded_once(make_org, admin_sql):
    org = make_org(tier=None)
    admin_sql("UPDATE organizations SET trial_ends_at = now() + interval '2 days 1 hour'"
              " WHERE id = %s", (str(org.id),))

    subscription.record_transitions()
    subscription.record_transitions()

    assert emails(admin_sql, org, "trial_ending") == 1
    body = admin_sql("SELECT subject FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'trial_ending'", (str(org.id),))[0]["subject"]
    assert "3 days" in body


def test_a_grace_that_ran_out_is_recorded_as_read_only(org, admin_sql):
    admin_sql("UPDATE organizations SET tier = 'starter', status = 'past_due',"
              " past_due_since = now() - interval '8 days' WHERE id = %s", (str(org.id),))

    subscription.record_transitions()

    assert admin_sql("SELECT status, read_only_reason FROM organizations WHERE id = %s",
                     (str(org.id),)) == [{"status": "read_only", "read_only_reason": "grace_ended"}]
    assert emails(admin_sql, org, "read_only") == 1


def test_a_suspended_organization_cannot_create_but_reads(org, client):
    from shared.services import operator
    operator.suspend(org.subdomain, "alice", reason="unpaid contract")
    actor = Actor(org.id, None, None, "test")

    with db.tenant_transaction(org.id) as cur:
        with pytest.raises(PaymentRequired) as refused:
            facilities.create_facility(cur, actor, FacilityCreate(name="X", bed_count=5))

    assert "suspended" in refused.value.detail
    assert ok(client.get("/api/usage", token=org.token))["standing"]["reason"] == "suspended"
