"""SQL for the audit log: rows are only ever inserted (the functions' role cannot change them)."""
from __future__ import annotations

import uuid

from psycopg2.extras import Json


def insert(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID | None, action: str,
           object_type: str, object_id: uuid.UUID | None, source_address: str | None,
           request_id: str | None, changes: dict) -> None:
    cur.execute("""
        INSERT INTO audit_logs (organization_id, user_id, action, object_type, object_id,
                                source_address, request_id, changes)
        VALUES (%(organization_id)s, %(user_id)s, %(action)s, %(object_type)s, %(object_id)s,
                %(source_address)s, %(request_id)s, %(changes)s)
    """, {"organization_id": organization_id, "user_id": user_id, "action": action,
          "object_type": object_type, "object_id": object_id, "source_address": source_address,
          "request_id": request_id, "changes": Json(changes)})
