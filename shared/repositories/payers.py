"""SQL for payers."""
from __future__ import annotations

from shared.repositories.records import Table

COLUMNS = "id, name, payer_type, is_active, created_at, updated_at"
WRITABLE = ("name", "payer_type")
TABLE = Table("payers", COLUMNS, insertable=WRITABLE, writable=WRITABLE)
get, insert, update, deactivate = TABLE.get, TABLE.insert, TABLE.update, TABLE.deactivate
list_page = TABLE.list_by_name
