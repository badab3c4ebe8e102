"""The SQL every configuration table shares (facilities, payers, rates, cost models): get one,
insert, update the writable fields, deactivate. Each repository module names its table, columns
and writable fields once; table and column names are constants, every value is bound. Every
write bumps the organization's configuration version in its own statement (evaluations are
cached by it)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from psycopg2.extras import Json
from pydantic_core import to_jsonable_python

from shared.repositories.configuration_versions import bumping


@dataclass(frozen=True)
class Table:
    name: str
    columns: str                       # what every statement returns
    insertable: tuple[str, ...]        # fields an insert may set
    writable: tuple[str, ...]          # fields an update may set
    json_fields: tuple[str, ...] = ()  # jsonb columns: values bound as JSON

    def _bind(self, values: dict) -> dict:
        return {k: Json(to_jsonable_python(v)) if k in self.json_fields and v is not None else v
                for k, v in values.items()}

    def list_by_name(self, cur, *, organization_id: uuid.UUID, include_inactive: bool,
                     after: list | None, limit: int) -> list[dict]:
        """Up to limit+1 rows in name order, after the (name, id) of a cursor."""
        cur.execute(f"""
            SELECT {self.columns} FROM {self.name}
             WHERE organization_id = %(organization_id)s
               AND (is_active OR %(include_inactive)s)
               AND (%(after_name)s::text IS NULL
                    OR (name, id) > (%(after_name)s, %(after_id)s::uuid))
             ORDER BY name, id
             LIMIT %(limit)s
        """, {"organization_id": organization_id, "include_inactive": include_inactive,
              "after_name": after[0] if after else None,
              "after_id": after[1] if after else None, "limit": limit + 1})
        return cur.fetchall()

    def get(self, cur, *, organization_id: uuid.UUID, id: uuid.UUID,
            for_update: bool = False) -> dict | None:
        cur.execute(*self.get_statement(organization_id=organization_id, id=id,
                                        for_update=for_update))
        return cur.fetchone()

    def get_statement(self, *, organization_id: uuid.UUID, id: uuid.UUID,
                      for_update: bool = False) -> tuple[str, dict]:
        """get's (query, parameters), to read together with others (shared.repositories.together)."""
        return (f"""
            SELECT {self.columns} FROM {self.name}
             WHERE organization_id = %(organization_id)s AND id = %(id)s
             {"FOR UPDATE" if for_update else ""}
        """, {"organization_id": organization_id, "id": id})

    def insert(self, cur, *, organization_id: uuid.UUID, values: dict) -> dict:
        fields = [f for f in self.insertable if f in values]
        cur.execute(bumping(f"""
            INSERT INTO {self.name} (organization_id, {", ".join(fields)})
            VALUES (%(organization_id)s, {", ".join(f"%({f})s" for f in fields)})
            RETURNING {self.columns}
        """), {"organization_id": organization_id, **self._bind(values)})
        return cur.fetchone()

    def update(self, cur, *, organization_id: uuid.UUID, id: uuid.UUID, values: dict) -> dict:
        """Set the given writable fields; others in `values` are ignored."""
        assignments = ", ".join(f"{name} = %({name})s" for name in values
                                if name in self.writable)
        cur.execute(bumping(f"""
            UPDATE {self.name} SET {assignments}, updated_at = now()
             WHERE organization_id = %(organization_id)s AND id = %(id)s
            RETURNING {self.columns}
        """), {**self._bind(values), "organization_id": organization_id, "id": id})
        return cur.fetchone()

    def deactivate(self, cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> dict | None:
        """Mark inactive; None when it already was."""
        cur.execute(bumping(f"""
            UPDATE {self.name} SET is_active = false, updated_at = now()
             WHERE organization_id = %(organization_id)s AND id = %(id)s AND is_active
            RETURNING {self.columns}
        """), {"organization_id": organization_id, "id": id})
        return cur.fetchone()
