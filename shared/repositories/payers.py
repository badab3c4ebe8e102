"""SQL for payers."""
from __future__ import annotations

from shared.repositories.records import Table

COLUMNS = "id, name, payer_type, is_active, created_at, updated_at"
WRITABLE = ("name", "payer_type")
TABLE = Table("payers", COLUMNS, insertable=WRITABLE, writable=WRITABLE)
get, insert, update, deactivate = TABLE.get, TABLE.insert, TABLE.update, TABLE.deactivate
list_page = TABLE.list_by_name


def first_active_of_type(cur, *, organization_id, payer_type: str) -> dict | None:
    """The organization's active payer of this type first by name, if it has one."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM payers
         WHERE organization_id = %(organization_id)s AND payer_type = %(payer_type)s
           AND is_active
         ORDER BY name, id LIMIT 1
    """, {"organization_id": organization_id, "payer_type": payer_type})
    return cur.fetchone()
