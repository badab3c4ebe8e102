"""SQL for the Stripe events applied: each id once per organization."""
from __future__ import annotations

import uuid
from datetime import datetime


def seen(cur, *, organization_id: uuid.UUID, event_id: str) -> bool:
    cur.execute("""
        SELECT 1 FROM stripe_events
         WHERE organization_id = %(organization_id)s AND event_id = %(event_id)s
    """, {"organization_id": organization_id, "event_id": event_id})
    return cur.fetchone() is not None


def insert(cur, *, organization_id: uuid.UUID, event_id: str, event_type: str,
           created_at: datetime, applied: bool) -> None:
    """Record the event in the transaction that applies it; the primary key refuses a second
    one (a concurrent redelivery then fails and is retried, and finds it seen)."""
    cur.execute("""
        INSERT INTO stripe_events (organization_id, event_id, event_type, event_created_at,
                                   applied)
        VALUES (%(organization_id)s, %(event_id)s, %(event_type)s, %(created_at)s, %(applied)s)
    """, {"organization_id": organization_id, "event_id": event_id, "event_type": event_type,
          "created_at": created_at, "applied": applied})
