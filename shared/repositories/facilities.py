"""SQL for facilities."""
from __future__ import annotations

import uuid

from shared.repositories.records import Table

COLUMNS = ("id, name, bed_count, state, locality, wage_index, target_occupancy_pct, "
           "current_census, is_active, created_at, updated_at")
WRITABLE = ("name", "bed_count", "state", "locality", "wage_index", "target_occupancy_pct",
            "current_census")
TABLE = Table("facilities", COLUMNS, insertable=WRITABLE, writable=WRITABLE)
get, insert, update, deactivate = TABLE.get, TABLE.insert, TABLE.update, TABLE.deactivate


def list_page(cur, *, organization_id: uuid.UUID, include_inactive: bool,
              after: list[str] | None, limit: int) -> list[dict]:
    """Up to limit+1 facilities in name order, after the (name, id) of a cursor."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM facilities
         WHERE organization_id = %(organization_id)s
           AND (is_active OR %(include_inactive)s)
           AND (%(after_name)s::text IS NULL OR (name, id) > (%(after_name)s, %(after_id)s::uuid))
         ORDER BY name, id
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "include_inactive": include_inactive,
          "after_name": after[0] if after else None, "after_id": after[1] if after else None,
          "limit": limit + 1})
    return cur.fetchall()






def list_active(cur, *, organization_id: uuid.UUID, limit: int = 500) -> list[dict]:
    """The active facilities in name order (placement comparison)."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM facilities
         WHERE organization_id = %(organization_id)s AND is_active
         ORDER BY name, id
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "limit": limit})
    return cur.fetchall()
