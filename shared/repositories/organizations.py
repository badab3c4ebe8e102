"""SQL for organizations. The table's own id is its tenant key."""
from __future__ import annotations

import uuid
from datetime import datetime

COLUMNS = "id, name, subdomain, tier, status, trial_ends_at, created_at"


def insert(cur, *, organization_id: uuid.UUID, name: str, subdomain: str,
           trial_ends_at: datetime) -> dict:
    cur.execute(f"""
        INSERT INTO organizations (id, name, subdomain, trial_ends_at)
        VALUES (%(id)s, %(name)s, %(subdomain)s, %(trial_ends_at)s)
        RETURNING {COLUMNS}
    """, {"id": organization_id, "name": name, "subdomain": subdomain,
          "trial_ends_at": trial_ends_at})
    return cur.fetchone()


def get(cur, *, organization_id: uuid.UUID) -> dict | None:
    cur.execute(f"SELECT {COLUMNS} FROM organizations WHERE id = %(id)s",
                {"id": organization_id})
    return cur.fetchone()


def find_id_by_subdomain(cur, *, subdomain: str) -> uuid.UUID | None:
    """Cross-tenant: only inside dangerously_cross_tenant_transaction (the sign-in lookup)."""
    cur.execute("SELECT id FROM organizations WHERE lower(subdomain) = lower(%(subdomain)s)",
                {"subdomain": subdomain})
    row = cur.fetchone()
    return row["id"] if row else None


def list_ids(cur) -> list[uuid.UUID]:
    """Cross-tenant: every organization's id, for timers that then work one tenant at a time."""
    cur.execute("SELECT id FROM organizations ORDER BY id")
    return [row["id"] for row in cur.fetchall()]
