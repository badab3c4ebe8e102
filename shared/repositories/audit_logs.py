"""SQL for the audit log: rows are only ever inserted (the functions' role cannot change them)."""
from __future__ import annotations

import uuid

from psycopg2.extras import Json


def insert(cur, **row) -> None:
    cur.execute(*insert_statement(**row))


def insert_statement(*, organization_id: uuid.UUID, user_id: uuid.UUID | None, action: str,
                     object_type: str, object_id: uuid.UUID | None, source_address: str | None,
                     request_id: str | None, changes: dict) -> tuple[str, dict]:
    """The audit row's INSERT as (query, parameters), to send with the write it records."""
    return ("""
        INSERT INTO audit_logs (organization_id, user_id, action, object_type, object_id,
                                source_address, request_id, changes)
        VALUES (%(organization_id)s, %(user_id)s, %(action)s, %(object_type)s, %(object_id)s,
                %(source_address)s, %(request_id)s, %(changes)s)
    """, {"organization_id": organization_id, "user_id": user_id, "action": action,
          "object_type": object_type, "object_id": object_id, "source_address": source_address,
          "request_id": request_id, "changes": Json(changes)})


def list_page(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID | None,
              action: str | None, object_type: str | None, object_id: uuid.UUID | None,
              since, until, after: list | None, limit: int) -> list[dict]:
    """Up to limit+1 entries, newest first, after the (occurred_at, id) of a cursor. An action
    filter matches the action or the actions under it (admission: admission.accepted ...)."""
    cur.execute("""
        SELECT l.id, l.occurred_at, l.user_id, u.email AS user_email, l.action, l.object_type,
               l.object_id, host(l.source_address) AS source_address, l.request_id, l.changes
          FROM audit_logs l
          LEFT JOIN users u ON u.organization_id = l.organization_id AND u.id = l.user_id
         WHERE l.organization_id = %(organization_id)s
           AND (%(user_id)s::uuid IS NULL OR l.user_id = %(user_id)s)
           AND (%(action)s::text IS NULL OR l.action = %(action)s
                OR starts_with(l.action, %(action)s || '.'))
           AND (%(object_type)s::text IS NULL OR l.object_type = %(object_type)s)
           AND (%(object_id)s::uuid IS NULL OR l.object_id = %(object_id)s)
           AND (%(since)s::date IS NULL
                OR l.occurred_at >= %(since)s::date::timestamp AT TIME ZONE 'UTC')
           AND (%(until)s::date IS NULL
                OR l.occurred_at < (%(until)s::date + 1)::timestamp AT TIME ZONE 'UTC')
           AND (%(after_at)s::timestamptz IS NULL
                OR (l.occurred_at, l.id) < (%(after_at)s::timestamptz, %(after_id)s::uuid))
         ORDER BY l.occurred_at DESC, l.id DESC
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "user_id": user_id, "action": action,
          "object_type": object_type, "object_id": object_id, "since": since, "until": until,
          "after_at": after[0] if after else None, "after_id": after[1] if after else None,
          "limit": limit + 1})
    return cur.fetchall()
