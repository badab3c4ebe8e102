"""SQL for data exports: the queue of requested ones, their rows, and what goes into one."""
from __future__ import annotations

import uuid
from datetime import datetime

from psycopg2 import sql

PUBLIC = ("id, requested_by, requested_at, status, ready_at, expires_at, size_bytes, sha256")


def insert(cur, *, organization_id: uuid.UUID, requested_by: uuid.UUID) -> dict:
    cur.execute(f"""
        INSERT INTO data_exports (organization_id, requested_by)
        VALUES (%(organization_id)s, %(requested_by)s)
        RETURNING {PUBLIC}
    """, {"organization_id": organization_id, "requested_by": requested_by})
    return cur.fetchone()


def find_requested(cur, *, organization_id: uuid.UUID) -> dict | None:
    """The organization's export waiting to be built, if any."""
    cur.execute(f"""
        SELECT {PUBLIC} FROM data_exports
         WHERE organization_id = %(organization_id)s AND status = 'requested'
         LIMIT 1
    """, {"organization_id": organization_id})
    return cur.fetchone()


def list_recent(cur, *, organization_id: uuid.UUID, limit: int = 10) -> list[dict]:
    cur.execute(f"""
        SELECT {PUBLIC} FROM data_exports
         WHERE organization_id = %(organization_id)s
         ORDER BY requested_at DESC, id LIMIT %(limit)s
    """, {"organization_id": organization_id, "limit": limit})
    return cur.fetchall()


def get_content(cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> dict | None:
    cur.execute(f"""
        SELECT {PUBLIC}, content FROM data_exports
         WHERE organization_id = %(organization_id)s AND id = %(id)s
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()


def list_requested(cur) -> list[dict]:
    """Cross-tenant (the data export queue scope): which exports wait, oldest first."""
    cur.execute("""
        SELECT organization_id, id FROM data_exports
         WHERE status = 'requested' ORDER BY requested_at
    """)
    return cur.fetchall()


def lock_requested(cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> dict | None:
    """The export, still requested, locked for building; None when another run has it."""
    cur.execute(f"""
        SELECT {PUBLIC} FROM data_exports
         WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'requested'
           FOR UPDATE SKIP LOCKED
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()


def begin_attempt(cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> int | None:
    """Count one more build of a requested export; the count, or None when it is no longer
    requested (built, failed) or another run is building it now."""
    cur.execute("""
        UPDATE data_exports SET attempts = attempts + 1
         WHERE (organization_id, id) = (
                SELECT organization_id, id FROM data_exports
                 WHERE organization_id = %(organization_id)s AND id = %(id)s
                   AND status = 'requested'
                   FOR UPDATE SKIP LOCKED)
        RETURNING attempts
    """, {"organization_id": organization_id, "id": id})
    row = cur.fetchone()
    return row["attempts"] if row else None


def mark_ready(cur, *, organization_id: uuid.UUID, id: uuid.UUID, content: bytes, sha256: str,
               expires_at: datetime) -> None:
    cur.execute("""
        UPDATE data_exports
           SET status = 'ready', ready_at = now(), expires_at = %(expires_at)s,
               content = %(content)s, size_bytes = %(size)s, sha256 = %(sha256)s
         WHERE organization_id = %(organization_id)s AND id = %(id)s
    """, {"organization_id": organization_id, "id": id, "content": content,
          "size": len(content), "sha256": sha256, "expires_at": expires_at})


def mark_failed(cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> None:
    cur.execute("""
        UPDATE data_exports SET status = 'failed'
         WHERE organization_id = %(organization_id)s AND id = %(id)s AND status = 'requested'
    """, {"organization_id": organization_id, "id": id})


def expire(cur, *, organization_id: uuid.UUID, now: datetime) -> int:
    """Drop the content of the organization's exports past their expiry."""
    cur.execute("""
        UPDATE data_exports SET status = 'expired', content = NULL
         WHERE organization_id = %(organization_id)s AND status = 'ready'
           AND expires_at <= %(now)s
    """, {"organization_id": organization_id, "now": now})
    return cur.rowcount


# --- what an export holds ------------------------------------------------------------------

def tenant_tables(cur) -> list[str]:
    """Every table with an organization_id column, from the catalog: a table added later is
    exported (or refused, see the service) without anyone remembering to add it here."""
    cur.execute("""
        SELECT DISTINCT c.relname::text AS name FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND a.attname = 'organization_id' AND NOT a.attisdropped
         ORDER BY 1
    """)
    return [row["name"] for row in cur.fetchall()]


def columns_of(cur, table: str) -> list[str]:
    """The table's columns in their order."""
    cur.execute("""
        SELECT a.attname::text AS name FROM pg_attribute a
         WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum
    """, {"table": f"public.{table}"})
    return [row["name"] for row in cur.fetchall()]


def rows_as_json(cur, *, organization_id: uuid.UUID, table: str, columns: list[str],
                 batch: int = 500):
    """The organization's rows of a table, each as JSON text written by PostgreSQL (nested
    documents are neither decoded nor encoded in Python), in the order of rows_of, fetched in
    batches through a server-side cursor: a large organization's admissions never sit in memory
    all at once."""
    # DECLARE and FETCH by hand: the transaction's connection is in autocommit mode (shared.db
    # begins it in its first round trip), where psycopg2 refuses its named cursors.
    name = sql.Identifier(f"export_{table}")
    cur.execute(sql.SQL("DECLARE {name} NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS row"
                        " FROM (SELECT {columns} FROM {table}"
                        " WHERE organization_id = %(organization_id)s ORDER BY {order}) t"
                        ).format(
        name=name, columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        table=sql.Identifier(table),
        order=sql.SQL(", ").join(map(sql.Identifier, columns[:3]))),
        {"organization_id": organization_id})
    while True:
        cur.execute(sql.SQL("FETCH %(batch)s FROM {name}").format(name=name), {"batch": batch})
        fetched = cur.fetchall()
        for found in fetched:
            yield found["row"]
        if len(fetched) < batch:
            break
    # Left unfinished (an error), the cursor ends with its transaction.
    cur.execute(sql.SQL("CLOSE {name}").format(name=name))


def rows_of(cur, *, organization_id: uuid.UUID, table: str, columns: list[str],
            key: str = "organization_id"):
    """The organization's rows of a table, these columns only, in a stable order (the columns
    after the key, as the primary keys lead with organization_id)."""
    cur.execute(sql.SQL("SELECT {columns} FROM {table} WHERE {key} = %(organization_id)s"
                        " ORDER BY {order}").format(
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        table=sql.Identifier(table), key=sql.Identifier(key),
        order=sql.SQL(", ").join(map(sql.Identifier, columns[:3]))),
        {"organization_id": organization_id})
    return cur.fetchall()
