"""SQL for usage: admissions counted per calendar month (UTC) in `usage_periods`, facilities
and users by their active rows. The month is the transaction's `now()`, the same instant that
stamps the admission's created_at, so the count and the rows always agree."""
from __future__ import annotations

import uuid
from datetime import date

from shared.repositories import admissions

CURRENT_PERIOD = "date_trunc('month', now() AT TIME ZONE 'UTC')::date"


# What counting an admission needs of the account: its standing (shared.standing), the
# admission limit and the words of a refusal. Not plans.ACCOUNT's thirty columns: every saved
# admission sends this statement, and each column is planned, sent and decoded (about 60 us of
# the limit check's 350 us, bench/limit_check.py).
COUNTING_ACCOUNT = """
    SELECT o.id, o.name, o.subdomain, o.tier, o.status, o.trial_ends_at, o.past_due_since,
           o.read_only_reason, o.suspended_at, o.closed_at, o.deletes_at, p.name AS plan_name,
           coalesce(o.contract_max_admissions_per_month, p.max_admissions_per_month)
               AS max_admissions
      FROM organizations o
      JOIN plans p ON p.tier = o.tier
     WHERE o.id = %(id)s
"""


def count_admission(cur, *, organization_id: uuid.UUID,
                    case_year: int | None = None) -> dict | None:
    """Count one admission in the current month, in the statement that reads the account (one
    round trip). The account's COUNTING_ACCOUNT columns (None when there is no organization),
    with `counted`: the month's new count, or None when that is over the plan's limit, and
    `previously_counted`; with a `case_year`, also `case_sequence`, the admission's number in
    that year (admissions.NEXT_CASE_SEQUENCE, in the same statement: no trip of its own). Over
    the limit the caller refuses, which rolls the count and the number back with its
    transaction. Concurrent creates queue on the period's row and each sees the count the one
    before it left. (The limit is not a condition of the ON CONFLICT: Citus refuses a subquery
    there on a distributed table.)"""
    numbered = case_year is not None
    cur.execute(f"""
        WITH account AS ({COUNTING_ACCOUNT}),
        counted AS (
            INSERT INTO usage_periods (organization_id, period_start, admissions)
            SELECT id, {CURRENT_PERIOD}, 1 FROM account
            ON CONFLICT (organization_id, period_start) DO UPDATE
               SET admissions = usage_periods.admissions + 1
            RETURNING admissions)
        {f", numbered AS ({admissions.NEXT_CASE_SEQUENCE})" if numbered else ""}
        SELECT account.*,
               CASE WHEN account.max_admissions IS NULL
                      OR counted.admissions <= account.max_admissions
                    THEN counted.admissions END AS counted,
               counted.admissions - 1 AS previously_counted
               {", numbered.last_value AS case_sequence" if numbered else ""}
          FROM account CROSS JOIN counted {"CROSS JOIN numbered" if numbered else ""}
    """, {"id": organization_id, "organization_id": organization_id, "year": case_year})
    return cur.fetchone()


def current(cur, *, organization_id: uuid.UUID) -> dict:
    """This month's start and admissions, with the active facilities and users and the open
    invitations (each holds a user's place until it is accepted, revoked or expires)."""
    cur.execute(f"""
        SELECT {CURRENT_PERIOD} AS period_start,
               coalesce((SELECT admissions FROM usage_periods
                          WHERE organization_id = %(organization_id)s
                            AND period_start = {CURRENT_PERIOD}), 0) AS admissions,
               (SELECT count(*) FROM facilities
                 WHERE organization_id = %(organization_id)s AND is_active) AS facilities,
               (SELECT count(*) FROM users
                 WHERE organization_id = %(organization_id)s AND is_active) AS users,
               (SELECT count(*) FROM invitations
                 WHERE organization_id = %(organization_id)s AND accepted_at IS NULL
                   AND revoked_at IS NULL AND expires_at > now()) AS open_invitations
    """, {"organization_id": organization_id})
    return cur.fetchone()


def history(cur, *, organization_id: uuid.UUID, before: date, limit: int) -> list[dict]:
    """The periods before `before`, newest first."""
    cur.execute("""
        SELECT period_start, admissions, active_facilities, active_users, closed_at
          FROM usage_periods
         WHERE organization_id = %(organization_id)s AND period_start < %(before)s
         ORDER BY period_start DESC
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "before": before, "limit": limit})
    return cur.fetchall()


def close_before(cur, *, organization_id: uuid.UUID, period_start: date) -> int:
    """Close the organization's open periods that began before `period_start`, keeping the
    facilities and users active now beside their admissions; closed ones are left as they
    are, so a second run changes nothing. An admission whose transaction began in a closed
    month still adds to that month's row."""
    cur.execute("""
        UPDATE usage_periods
           SET closed_at = now(),
               active_facilities = (SELECT count(*) FROM facilities
                                     WHERE organization_id = %(organization_id)s AND is_active),
               active_users = (SELECT count(*) FROM users
                                WHERE organization_id = %(organization_id)s AND is_active)
         WHERE organization_id = %(organization_id)s AND period_start < %(period_start)s
           AND closed_at IS NULL
    """, {"organization_id": organization_id, "period_start": period_start})
    return cur.rowcount


def open_period(cur, *, organization_id: uuid.UUID, period_start: date) -> bool:
    """Open the period (no admissions yet) unless it exists; whether it was opened now."""
    cur.execute("""
        INSERT INTO usage_periods (organization_id, period_start)
        VALUES (%(organization_id)s, %(period_start)s)
        ON CONFLICT (organization_id, period_start) DO NOTHING
    """, {"organization_id": organization_id, "period_start": period_start})
    return cur.rowcount == 1


def record_run(cur, *, timer: str, period: str, organizations: int) -> bool:
    """Cross-tenant (scope 'timer runs'): that a scheduled run finished; False if it had."""
    cur.execute("""
        INSERT INTO timer_runs (timer, period, organizations)
        VALUES (%(timer)s, %(period)s, %(organizations)s)
        ON CONFLICT (timer, period) DO NOTHING
    """, {"timer": timer, "period": period, "organizations": organizations})
    return cur.rowcount == 1
