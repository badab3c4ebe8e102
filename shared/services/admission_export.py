"""The admissions list as CSV, with the list's filters: one row per admission, newest referral
first, names rather than ids where people read them."""
from __future__ import annotations

import uuid

from shared import csv_export
from shared.models.admissions import AdmissionFilters
from shared.repositories import admissions

EXPORT_MAX_ROWS = 50_000
BATCH = 1000
COLUMNS = [("case_number", "case_number"), ("referral_received_at", "referral_received_at"),
           ("facility", "facility_name"), ("payer", "payer_name"),
           ("length_of_stay_days", "length_of_stay_days"), ("acuity", "acuity"),
           ("revenue_total", "revenue_total"), ("cost_total", "cost_total"),
           ("margin", "margin"), ("margin_pct", "margin_pct"), ("score", "score"),
           ("recommendation", "recommendation"), ("status", "status"),
           ("decision_reason", "decision_reason"), ("decided_at", "decided_at"),
           ("turnaround_minutes", "turnaround_minutes")]


def export_csv(cur, organization_id: uuid.UUID, query: AdmissionFilters) -> str:
    rows, after = [], None
    while len(rows) < EXPORT_MAX_ROWS:
        batch = admissions.list_page(
            cur, organization_id=organization_id, facility_id=query.facility_id,
            payer_id=query.payer_id, recommendation=query.recommendation, status=query.status,
            received_from=query.received_from, received_to=query.received_to, after=after,
            limit=BATCH)
        rows.extend(batch[:BATCH])
        if len(batch) <= BATCH:
            break
        after = [batch[BATCH - 1]["referral_received_at"], batch[BATCH - 1]["id"]]
    return csv_export.render([name for name, _ in COLUMNS],
                             ([row[key] for _, key in COLUMNS] for row in rows[:EXPORT_MAX_ROWS]))
