"""SQL for rates."""
from __future__ import annotations

import uuid
from datetime import date

from shared.repositories.records import Table

COLUMNS = ("id, facility_id, payer_id, method, effective_from, effective_to, per_diem, "
           "acuity_rates, fiscal_year, locality, wage_index, vbp_multiplier, qrp_reduced, pdpm_percent, facility_mismatch_override, is_active, "
           "created_at, updated_at")
WRITABLE = ("effective_from", "effective_to", "per_diem", "acuity_rates", "fiscal_year",
            "locality", "wage_index", "vbp_multiplier", "qrp_reduced", "pdpm_percent",
            "facility_mismatch_override")
TABLE = Table("rates", COLUMNS, insertable=("facility_id", "payer_id", "method") + WRITABLE,
              writable=WRITABLE, json_fields=("acuity_rates",))
get, insert, update, deactivate = TABLE.get, TABLE.insert, TABLE.update, TABLE.deactivate



def list_page(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID | None,
              payer_id: uuid.UUID | None, include_inactive: bool, after: list | None,
              limit: int) -> list[dict]:
    """Up to limit+1 rates, newest period first, after the (effective_from, id) of a cursor."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM rates
         WHERE organization_id = %(organization_id)s
           AND (%(facility_id)s::uuid IS NULL OR facility_id = %(facility_id)s)
           AND (%(payer_id)s::uuid IS NULL OR payer_id = %(payer_id)s)
           AND (is_active OR %(include_inactive)s)
           AND (%(after_from)s::date IS NULL
                OR (effective_from, id) < (%(after_from)s::date, %(after_id)s::uuid))
         ORDER BY effective_from DESC, id DESC
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "facility_id": facility_id, "payer_id": payer_id,
          "include_inactive": include_inactive, "after_from": after[0] if after else None,
          "after_id": after[1] if after else None, "limit": limit + 1})
    return cur.fetchall()



def in_force(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID, payer_id: uuid.UUID,
             on: date) -> dict | None:
    """The active rate for this facility and payer whose period contains the date."""
    cur.execute(*in_force_statement(organization_id=organization_id, facility_id=facility_id,
                                    payer_id=payer_id, on=on))
    return cur.fetchone()


def in_force_statement(*, organization_id: uuid.UUID, facility_id: uuid.UUID,
                       payer_id: uuid.UUID, on: date) -> tuple[str, dict]:
    """in_force's (query, parameters), to read together with others."""
    return (f"""
        SELECT {COLUMNS} FROM rates
         WHERE organization_id = %(organization_id)s AND facility_id = %(facility_id)s
           AND payer_id = %(payer_id)s AND is_active
           AND effective_from <= %(on)s AND (effective_to IS NULL OR effective_to >= %(on)s)
    """, {"organization_id": organization_id, "facility_id": facility_id, "payer_id": payer_id,
          "on": on})





def in_force_between(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID,
                     payer_id: uuid.UUID, first: date, last: date) -> list[dict]:
    """The active rates for this facility and payer in force on any day from first to last
    (inclusive), by effective_from: the rates over a stay."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM rates
         WHERE organization_id = %(organization_id)s AND facility_id = %(facility_id)s
           AND payer_id = %(payer_id)s AND is_active
           AND effective_from <= %(last)s AND (effective_to IS NULL OR effective_to >= %(first)s)
         ORDER BY effective_from
    """, {"organization_id": organization_id, "facility_id": facility_id, "payer_id": payer_id,
          "first": first, "last": last})
    return cur.fetchall()


def lock_pair(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID,
              payer_id: uuid.UUID) -> None:
    """Serialize writes to one facility and payer's rates until the transaction ends, so two
    concurrent writes cannot both pass the overlap check."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 0))",
                {"key": f"rates:{organization_id}:{facility_id}:{payer_id}"})


def overlapping(cur, *, organization_id: uuid.UUID, facility_id: uuid.UUID, payer_id: uuid.UUID,
                effective_from: date, effective_to: date | None,
                except_id: uuid.UUID | None = None) -> dict | None:
    """An active rate of the pair whose period shares a day with this one."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM rates
         WHERE organization_id = %(organization_id)s AND facility_id = %(facility_id)s
           AND payer_id = %(payer_id)s AND is_active
           AND (%(except_id)s::uuid IS NULL OR id <> %(except_id)s)
           AND daterange(effective_from, effective_to, '[]')
               && daterange(%(effective_from)s, %(effective_to)s, '[]')
         LIMIT 1
    """, {"organization_id": organization_id, "facility_id": facility_id, "payer_id": payer_id,
          "effective_from": effective_from, "effective_to": effective_to,
          "except_id": except_id})
    return cur.fetchone()
