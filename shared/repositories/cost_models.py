"""SQL for cost models."""
from __future__ import annotations

import uuid

from psycopg2.extras import Json
from pydantic_core import to_jsonable_python

COLUMNS = ("id, facility_id, fixed_daily_cost, nursing_hours_per_day, nursing_wage_hourly, "
           "therapy_cost_per_day, service_costs, default_medication_cost_per_day, "
           "supported_services, is_active, created_at, updated_at")
WRITABLE = ("fixed_daily_cost", "nursing_hours_per_day", "nursing_wage_hourly",
            "therapy_cost_per_day", "service_costs", "default_medication_cost_per_day",
            "supported_services")
JSON_FIELDS = ("nursing_hours_per_day", "service_costs")


def _bind(values: dict) -> dict:
    return {k: Json(to_jsonable_python(v)) if k in JSON_FIELDS else v for k, v in values.items()}


def list_page(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID | None,
              include_inactive: bool, after: list | None, limit: int) -> list[dict]:
    """Up to limit+1 cost models, newest first, after the (created_at, id) of a cursor."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM cost_models
         WHERE organization_id = %(organization_id)s
           AND (%(facility_id)s::uuid IS NULL OR facility_id = %(facility_id)s)
           AND (is_active OR %(include_inactive)s)
           AND (%(after_at)s::timestamptz IS NULL
                OR (created_at, id) < (%(after_at)s::timestamptz, %(after_id)s::uuid))
         ORDER BY created_at DESC, id DESC
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "facility_id": facility_id,
          "include_inactive": include_inactive, "after_at": after[0] if after else None,
          "after_id": after[1] if after else None, "limit": limit + 1})
    return cur.fetchall()


def get(cur, *, organization_id: uuid.UUID, id: uuid.UUID, for_update: bool = False) -> dict | None:
    cur.execute(f"""
        SELECT {COLUMNS} FROM cost_models
         WHERE organization_id = %(organization_id)s AND id = %(id)s
         {"FOR UPDATE" if for_update else ""}
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()


def active_for_facility(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID) -> dict | None:
    cur.execute(f"""
        SELECT {COLUMNS} FROM cost_models
         WHERE organization_id = %(organization_id)s AND facility_id = %(facility_id)s
           AND is_active
    """, {"organization_id": organization_id, "facility_id": facility_id})
    return cur.fetchone()


def insert(cur, *, organization_id: uuid.UUID, values: dict) -> dict:
    fields = ("facility_id",) + WRITABLE
    cur.execute(f"""
        INSERT INTO cost_models (organization_id, {", ".join(fields)})
        VALUES (%(organization_id)s, {", ".join(f"%({f})s" for f in fields)})
        RETURNING {COLUMNS}
    """, {"organization_id": organization_id, **_bind(values)})
    return cur.fetchone()


def update(cur, *, organization_id: uuid.UUID, id: uuid.UUID, values: dict) -> dict:
    assignments = ", ".join(f"{name} = %({name})s" for name in values if name in WRITABLE)
    cur.execute(f"""
        UPDATE cost_models SET {assignments}, updated_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(id)s
        RETURNING {COLUMNS}
    """, {**_bind(values), "organization_id": organization_id, "id": id})
    return cur.fetchone()


def deactivate(cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> dict | None:
    cur.execute(f"""
        UPDATE cost_models SET is_active = false, updated_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(id)s AND is_active
        RETURNING {COLUMNS}
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()
