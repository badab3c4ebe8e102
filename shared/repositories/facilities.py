"""SQL for facilities."""
from __future__ import annotations

import uuid

COLUMNS = ("id, name, bed_count, state, locality, wage_index, target_occupancy_pct, "
           "current_census, is_active, created_at, updated_at")
WRITABLE = ("name", "bed_count", "state", "locality", "wage_index", "target_occupancy_pct",
            "current_census")


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


def get(cur, *, organization_id: uuid.UUID, id: uuid.UUID,
        for_update: bool = False) -> dict | None:
    cur.execute(f"""
        SELECT {COLUMNS} FROM facilities
         WHERE organization_id = %(organization_id)s AND id = %(id)s
         {"FOR UPDATE" if for_update else ""}
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()


def insert(cur, *, organization_id: uuid.UUID, values: dict) -> dict:
    cur.execute(f"""
        INSERT INTO facilities (organization_id, name, bed_count, state, locality, wage_index,
                                target_occupancy_pct, current_census)
        VALUES (%(organization_id)s, %(name)s, %(bed_count)s, %(state)s, %(locality)s,
                %(wage_index)s, %(target_occupancy_pct)s, %(current_census)s)
        RETURNING {COLUMNS}
    """, {"organization_id": organization_id, **values})
    return cur.fetchone()


def update(cur, *, organization_id: uuid.UUID, id: uuid.UUID, values: dict) -> dict:
    """Set the given writable fields (names from WRITABLE only, values bound)."""
    assignments = ", ".join(f"{name} = %({name})s" for name in values if name in WRITABLE)
    cur.execute(f"""
        UPDATE facilities SET {assignments}, updated_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(id)s
        RETURNING {COLUMNS}
    """, {**values, "organization_id": organization_id, "id": id})
    return cur.fetchone()


def deactivate(cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> dict | None:
    cur.execute(f"""
        UPDATE facilities SET is_active = false, updated_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(id)s AND is_active
        RETURNING {COLUMNS}
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()


def list_active(cur, *, organization_id: uuid.UUID, limit: int = 500) -> list[dict]:
    """The active facilities in name order (placement comparison)."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM facilities
         WHERE organization_id = %(organization_id)s AND is_active
         ORDER BY name, id
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "limit": limit})
    return cur.fetchall()
