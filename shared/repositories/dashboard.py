"""Aggregate SQL for the dashboard: one pass over the organization's admissions since a month,
by month overall and by month and facility (GROUPING SETS), served by the index on
(organization_id, referral_received_at)."""
from __future__ import annotations

import uuid
from datetime import date


# Accepted, then admitted or not: each was accepted.
ACCEPTED = ("accepted", "admitted", "not_admitted")


def monthly_figures(cur, *, organization_id: uuid.UUID, since: date) -> list[dict]:
    """Rows with facility_id NULL are the organization's totals of the month."""
    cur.execute("""
        SELECT date_trunc('month', referral_received_at AT TIME ZONE 'UTC')::date AS month,
               facility_id, GROUPING(facility_id) = 1 AS overall,
               count(*) AS referrals,
               count(*) FILTER (WHERE status <> 'pending') AS decided,
               count(*) FILTER (WHERE status IN %(accepted)s) AS accepted,
               count(*) FILTER (WHERE status = 'declined') AS declined,
               round(avg(margin_pct), 2) AS average_margin_pct,
               -- Of the accepted: the margin over the net revenue (margin + cost), and the plain
               -- average of their percentages.
               round(100 * sum(margin) FILTER (WHERE status IN %(accepted)s)
                     / NULLIF(sum(margin + cost_total) FILTER (WHERE status IN %(accepted)s), 0),
                     2) AS accepted_margin_pct,
               round(avg(margin_pct) FILTER (WHERE status IN %(accepted)s), 2)
                   AS accepted_average_margin_pct,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY turnaround_minutes)
                   AS median_turnaround_minutes
          FROM admissions
         WHERE organization_id = %(organization_id)s
           AND referral_received_at >= %(since)s::timestamp AT TIME ZONE 'UTC'
         GROUP BY GROUPING SETS ((1), (1, facility_id))
    """, {"organization_id": organization_id, "since": since, "accepted": ACCEPTED})
    return cur.fetchall()


def monthly_payer_mix(cur, *, organization_id: uuid.UUID, since: date) -> list[dict]:
    cur.execute("""
        SELECT date_trunc('month', a.referral_received_at AT TIME ZONE 'UTC')::date AS month,
               a.facility_id, GROUPING(a.facility_id) = 1 AS overall, p.payer_type,
               count(*) AS referrals
          FROM admissions a
          JOIN payers p ON p.organization_id = a.organization_id AND p.id = a.payer_id
         WHERE a.organization_id = %(organization_id)s
           AND a.referral_received_at >= %(since)s::timestamp AT TIME ZONE 'UTC'
         GROUP BY GROUPING SETS ((1, p.payer_type), (1, a.facility_id, p.payer_type))
    """, {"organization_id": organization_id, "since": since})
    return cur.fetchall()


def facility_names(cur, *, organization_id: uuid.UUID, ids: list[uuid.UUID]) -> dict:
    cur.execute("""
        SELECT id, name FROM facilities
         WHERE organization_id = %(organization_id)s AND id = ANY(%(ids)s)
    """, {"organization_id": organization_id, "ids": ids})
    return {row["id"]: row["name"] for row in cur.fetchall()}
