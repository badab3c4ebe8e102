"""SQL for admissions and their case numbers."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from psycopg2.extras import Json

from shared.db import joined

SUMMARY = ("id, case_number, facility_id, payer_id, length_of_stay_days, acuity, "
           "referral_received_at, revenue_total, cost_total, margin, margin_pct, score, "
           "recommendation, status, decision_reason, decided_at, turnaround_minutes, created_at")
# What an insert returns: all but the evaluation, which its caller has (`insert`).
INSERT_RETURNS = (SUMMARY + ", rate_id, required_services, medication_cost_per_day, pdpm_groups, "
                  "note, decided_by, outcome_at, outcome_by, created_by")
DETAIL = INSERT_RETURNS + ", evaluation"
# Qualified for the joins that add the facility's and payer's names.
LISTED = ", ".join(f"a.{column}" for column in SUMMARY.split(", "))
QUALIFIED_DETAIL = ", ".join(f"a.{column}" for column in DETAIL.split(", "))
INSERTED = ("case_number", "facility_id", "payer_id", "rate_id", "length_of_stay_days", "acuity",
            "required_services", "medication_cost_per_day", "pdpm_groups",
            "referral_received_at", "note", "revenue_total", "cost_total", "margin",
            "margin_pct", "score", "recommendation", "evaluation", "created_by")


# The next number of the organization's year (%(organization_id)s, %(year)s). The upsert takes
# the counter row's lock, so concurrent admissions get consecutive numbers; a rolled-back one
# gives its number back. usage.count_admission sends it with the month's count.
NEXT_CASE_SEQUENCE = """
        INSERT INTO case_number_counters (organization_id, year, last_value)
        VALUES (%(organization_id)s, %(year)s, 1)
        ON CONFLICT (organization_id, year)
        DO UPDATE SET last_value = case_number_counters.last_value + 1
        RETURNING last_value
"""



def insert(cur, *, organization_id: uuid.UUID, values: dict,
           before: tuple[str, dict] | None = None) -> dict:
    """Insert the admission (`values` with its `id`, made by the caller so that its audit row
    can name it beforehand, and its `evaluation` as JSON text); `before`, a statement sent
    first in the same round trip. The row comes back without the evaluation: the caller has
    it, and reading its JSON back would only parse what was just written."""
    bound = {**values,
             "pdpm_groups": Json(values["pdpm_groups"]) if values["pdpm_groups"] else None}
    statement = (f"""
        INSERT INTO admissions (organization_id, id, {", ".join(INSERTED)})
        VALUES (%(organization_id)s, %(id)s, {", ".join(f"%({c})s" for c in INSERTED)})
        RETURNING {INSERT_RETURNS}
    """, {"organization_id": organization_id, **bound})
    cur.execute(joined(cur, *([before] if before else []), statement))
    return cur.fetchone()


def get(cur, *, organization_id: uuid.UUID, id: uuid.UUID, for_update: bool = False) -> dict | None:
    """The admission with its facility's and payer's names."""
    cur.execute(f"""
        SELECT {QUALIFIED_DETAIL}, f.name AS facility_name, p.name AS payer_name
          FROM admissions a
          JOIN facilities f ON f.organization_id = a.organization_id AND f.id = a.facility_id
          JOIN payers p ON p.organization_id = a.organization_id AND p.id = a.payer_id
         WHERE a.organization_id = %(organization_id)s AND a.id = %(id)s
         {"FOR UPDATE OF a" if for_update else ""}
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()


def list_page(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID | None,
              payer_id: uuid.UUID | None, recommendation: str | None, status: str | None,
              received_from: date | None, received_to: date | None, after: list | None,
              limit: int) -> list[dict]:
    """Up to limit+1 admissions, newest referral first, after the (received, id) of a cursor.
    The page is cut from admissions alone, then named: joined first, the planner (its estimate
    of an organization's rows taken from the table's average once other organizations hold a
    million) read every admission of the organization through the facility index and sorted
    them, instead of reading the page's rows in index order (bench/tenant_scale.py: history
    with 1,000,000 other admissions 1.14x -> about 1.05x)."""
    cur.execute(f"""
        SELECT a.*, f.name AS facility_name, p.name AS payer_name
          FROM (SELECT {LISTED}
                  FROM admissions a
                WHERE a.organization_id = %(organization_id)s
                  AND (%(facility_id)s::uuid IS NULL OR a.facility_id = %(facility_id)s)
                  AND (%(payer_id)s::uuid IS NULL OR a.payer_id = %(payer_id)s)
                  AND (%(recommendation)s::text IS NULL OR a.recommendation = %(recommendation)s)
                  AND (%(status)s::text IS NULL OR a.status = %(status)s)
                  AND (%(received_from)s::date IS NULL
                       OR a.referral_received_at
                          >= %(received_from)s::date::timestamp AT TIME ZONE 'UTC')
                  AND (%(received_to)s::date IS NULL
                       OR a.referral_received_at
                          < (%(received_to)s::date + 1)::timestamp AT TIME ZONE 'UTC')
                  AND (%(after_at)s::timestamptz IS NULL
                       OR (a.referral_received_at, a.id)
                          < (%(after_at)s::timestamptz, %(after_id)s::uuid))
                ORDER BY a.referral_received_at DESC, a.id DESC
                LIMIT %(limit)s) a
          JOIN facilities f ON f.organization_id = %(organization_id)s AND f.id = a.facility_id
          JOIN payers p ON p.organization_id = %(organization_id)s AND p.id = a.payer_id
         ORDER BY a.referral_received_at DESC, a.id DESC
    """, {"organization_id": organization_id, "facility_id": facility_id, "payer_id": payer_id,
          "recommendation": recommendation, "status": status, "received_from": received_from,
          "received_to": received_to, "after_at": after[0] if after else None,
          "after_id": after[1] if after else None, "limit": limit + 1})
    return cur.fetchall()


def decide(cur, *, organization_id: uuid.UUID, id: uuid.UUID, status: str,
           reason: str | None, user_id: uuid.UUID, at: datetime) -> dict:
    """Record accepted or declined: who, when, and the turnaround from the referral."""
    cur.execute(f"""
        UPDATE admissions a
           SET status = %(status)s, decision_reason = %(reason)s, decided_at = %(at)s,
               decided_by = %(user_id)s, updated_at = now(),
               turnaround_minutes = GREATEST(0, floor(
                   extract(epoch FROM %(at)s - a.referral_received_at) / 60))::integer
          FROM facilities f, payers p
         WHERE a.organization_id = %(organization_id)s AND a.id = %(id)s
           AND f.organization_id = a.organization_id AND f.id = a.facility_id
           AND p.organization_id = a.organization_id AND p.id = a.payer_id
        RETURNING {QUALIFIED_DETAIL}, f.name AS facility_name, p.name AS payer_name
    """, {"organization_id": organization_id, "id": id, "status": status, "reason": reason,
          "user_id": user_id, "at": at})
    return cur.fetchone()


def record_outcome(cur, *, organization_id: uuid.UUID, id: uuid.UUID, status: str,
                   reason: str | None, user_id: uuid.UUID, at: datetime) -> dict:
    """Record admitted or not admitted after an acceptance."""
    cur.execute(f"""
        UPDATE admissions a
           SET status = %(status)s, decision_reason = COALESCE(%(reason)s, a.decision_reason),
               outcome_at = %(at)s, outcome_by = %(user_id)s, updated_at = now()
          FROM facilities f, payers p
         WHERE a.organization_id = %(organization_id)s AND a.id = %(id)s
           AND f.organization_id = a.organization_id AND f.id = a.facility_id
           AND p.organization_id = a.organization_id AND p.id = a.payer_id
        RETURNING {QUALIFIED_DETAIL}, f.name AS facility_name, p.name AS payer_name
    """, {"organization_id": organization_id, "id": id, "status": status, "reason": reason,
          "user_id": user_id, "at": at})
    return cur.fetchone()


def reopen(cur, *, organization_id: uuid.UUID, id: uuid.UUID, status: str) -> dict:
    """Undo the last step: an outcome back to accepted, a decision back to pending, with the
    who, when and reason of the step undone cleared (the audit log keeps them)."""
    cur.execute(f"""
        UPDATE admissions a
           SET status = %(status)s, updated_at = now(),
               outcome_at = NULL, outcome_by = NULL,
               decision_reason = CASE WHEN %(status)s = 'pending' THEN NULL END,
               decided_at = CASE WHEN %(status)s = 'pending' THEN NULL ELSE a.decided_at END,
               decided_by = CASE WHEN %(status)s = 'pending' THEN NULL ELSE a.decided_by END,
               turnaround_minutes = CASE WHEN %(status)s = 'pending' THEN NULL
                                         ELSE a.turnaround_minutes END
          FROM facilities f, payers p
         WHERE a.organization_id = %(organization_id)s AND a.id = %(id)s
           AND f.organization_id = a.organization_id AND f.id = a.facility_id
           AND p.organization_id = a.organization_id AND p.id = a.payer_id
        RETURNING {QUALIFIED_DETAIL}, f.name AS facility_name, p.name AS payer_name
    """, {"organization_id": organization_id, "id": id, "status": status})
    return cur.fetchone()


def get_by_case_number(cur, *, organization_id: uuid.UUID, case_number: str) -> dict | None:
    """An admission of the organization by its case number (for an interrupted stay)."""
    cur.execute(f"""
        SELECT {DETAIL} FROM admissions
         WHERE organization_id = %(organization_id)s AND case_number = %(case_number)s
    """, {"organization_id": organization_id, "case_number": case_number})
    return cur.fetchone()
