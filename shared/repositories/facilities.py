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
list_page = TABLE.list_by_name


def list_active(cur, *, organization_id: uuid.UUID, limit: int = 500) -> list[dict]:
    """The active facilities in name order (placement comparison)."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM facilities
         WHERE organization_id = %(organization_id)s AND is_active
         ORDER BY name, id
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "limit": limit})
    return cur.fetchall()
