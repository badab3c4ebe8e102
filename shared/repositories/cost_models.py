"""SQL for cost models."""
from __future__ import annotations

import uuid

from shared.repositories.records import Table

LINES = ("pt_cost_per_day_at_cmi_1", "ot_cost_per_day_at_cmi_1", "slp_cost_per_day_at_cmi_1",
         "labs_cost_per_day", "imaging_cost_per_day", "supplies_cost_per_day",
         "transport_cost_per_stay")
COLUMNS = ("id, facility_id, fixed_daily_cost, nursing_hours_per_day, nursing_wage_hourly, "
           "therapy_cost_per_day, " + ", ".join(LINES) + ", service_costs, "
           "default_medication_cost_per_day, supported_services, is_active, created_at, "
           "updated_at")
WRITABLE = ("fixed_daily_cost", "nursing_hours_per_day", "nursing_wage_hourly",
            "therapy_cost_per_day") + LINES + ("service_costs", "default_medication_cost_per_day",
                                               "supported_services")
TABLE = Table("cost_models", COLUMNS, insertable=("facility_id",) + WRITABLE, writable=WRITABLE,
              json_fields=("nursing_hours_per_day", "service_costs"))
get, insert, update, deactivate = TABLE.get, TABLE.insert, TABLE.update, TABLE.deactivate



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



def active_for_facility(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID) -> dict | None:
    cur.execute(*active_for_facility_statement(organization_id=organization_id,
                                               facility_id=facility_id))
    return cur.fetchone()


def active_for_facility_statement(*, organization_id: uuid.UUID,
                                  facility_id: uuid.UUID) -> tuple[str, dict]:
    """active_for_facility's (query, parameters), to read together with others."""
    return (f"""
        SELECT {COLUMNS} FROM cost_models
         WHERE organization_id = %(organization_id)s AND facility_id = %(facility_id)s
           AND is_active
    """, {"organization_id": organization_id, "facility_id": facility_id})


