"""Reading the audit log: a page at a time, or every matching entry as CSV."""
from __future__ import annotations

import uuid
from datetime import datetime

from shared import csv_export, paging
from shared.models.audit_log import AuditEntry, AuditFilters, AuditLogQuery
from shared.models.common import Page
from shared.repositories import audit_logs

EXPORT_MAX_ROWS = 50_000  # a year of a busy organization; more is narrowed by dates
EXPORT_COLUMNS = ["occurred_at", "user_email", "user_id", "action", "object_type", "object_id",
                  "source_address", "request_id", "changes"]


def _filters(query: AuditFilters) -> dict:
    return {"user_id": query.user_id, "action": query.action, "object_type": query.object_type,
            "object_id": query.object_id, "since": query.since, "until": query.until}


def list_entries(cur, organization_id: uuid.UUID, query: AuditLogQuery) -> Page[AuditEntry]:
    rows = audit_logs.list_page(cur, organization_id=organization_id, **_filters(query),
                                after=paging.decode_cursor(query.cursor,
                                                           (datetime.fromisoformat, uuid.UUID)),
                                limit=query.limit)
    rows, next_cursor = paging.page(rows, query.limit, ("occurred_at", "id"))
    return Page[AuditEntry](items=rows, next_cursor=next_cursor)


def export_csv(cur, organization_id: uuid.UUID, query: AuditFilters) -> str:
    """Every entry the filters match, newest first, up to EXPORT_MAX_ROWS."""
    rows, after = [], None
    while len(rows) < EXPORT_MAX_ROWS:
        batch = audit_logs.list_page(cur, organization_id=organization_id, **_filters(query),
                                     after=after, limit=1000)
        rows.extend(batch[:1000])
        if len(batch) <= 1000:
            break
        after = [batch[999]["occurred_at"], batch[999]["id"]]
    return csv_export.render(EXPORT_COLUMNS, ([row[c] for c in EXPORT_COLUMNS]
                                              for row in rows[:EXPORT_MAX_ROWS]))
