"""SQL for data exports: the queue of requested ones, their rows, and what goes into one."""
from __future__ import annotations

import uuid
from datetime import datetime

from psycopg2 import sql
from psycopg2.extras import Json

from shared.db import batches

PUBLIC = ("id, requested_by, requested_at, status, ready_at, expires_at, size_bytes, sha256,"
          " file_index, file_rows, file_total,"
          " (SELECT jsonb_agg(f ->> 'name') FROM jsonb_array_elements(files) f) AS file_names")
# What a build needs of the export: who asked, and where the build stands.
PROGRESS = "requested_by, requested_at, files, file_index, after_key, file_rows, file_total"


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
        SELECT {PROGRESS} FROM data_exports
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


def record_progress(cur, *, organization_id: uuid.UUID, id: uuid.UUID, files: list[dict],
                    file_index: int, after_key: list[str] | None, file_rows: int,
                    file_total: int | None) -> None:
    """Where the build stands after a chunk (committed with the chunk's part); a chunk written
    is progress, so the count of builds begun without any starts again."""
    cur.execute("""
        UPDATE data_exports
           SET files = %(files)s, file_index = %(file_index)s, after_key = %(after_key)s,
               file_rows = %(file_rows)s, file_total = %(file_total)s, attempts = 0
         WHERE organization_id = %(organization_id)s AND id = %(id)s
    """, {"organization_id": organization_id, "id": id, "files": Json(files),
          "file_index": file_index, "after_key": None if after_key is None else Json(after_key),
          "file_rows": file_rows, "file_total": file_total})


def add_part(cur, *, organization_id: uuid.UUID, export_id: uuid.UUID, file: str, rows: int,
             content: bytes) -> None:
    """One chunk of a file, after the export's parts so far."""
    cur.execute("""
        INSERT INTO data_export_parts (organization_id, export_id, seq, file, rows, content)
        SELECT %(organization_id)s, %(export_id)s, coalesce(max(seq), 0) + 1, %(file)s, %(rows)s,
               %(content)s
          FROM data_export_parts
         WHERE organization_id = %(organization_id)s AND export_id = %(export_id)s
    """, {"organization_id": organization_id, "export_id": export_id, "file": file,
          "rows": rows, "content": content})


def parts(cur, *, organization_id: uuid.UUID, export_id: uuid.UUID):
    """The export's parts in order, {file, rows, content} each, through a server-side cursor:
    the parts of a large export never sit in memory all at once."""
    rows = batches(cur, "export_parts", """
        SELECT file, rows, content FROM data_export_parts
         WHERE organization_id = %(organization_id)s AND export_id = %(export_id)s
         ORDER BY seq
    """, {"organization_id": organization_id, "export_id": export_id})
    for row in rows:
        yield {"file": row["file"], "rows": row["rows"], "content": row["content"]}


def rows_in_parts(cur, *, organization_id: uuid.UUID, export_id: uuid.UUID) -> int:
    """The rows the export's parts hold, all files together: what the zip will be made of."""
    cur.execute("""
        SELECT coalesce(sum(rows), 0)::bigint AS n FROM data_export_parts
         WHERE organization_id = %(organization_id)s AND export_id = %(export_id)s
    """, {"organization_id": organization_id, "export_id": export_id})
    return cur.fetchone()["n"]


def delete_parts(cur, *, organization_id: uuid.UUID, export_id: uuid.UUID) -> None:
    cur.execute("""
        DELETE FROM data_export_parts
         WHERE organization_id = %(organization_id)s AND export_id = %(export_id)s
    """, {"organization_id": organization_id, "export_id": export_id})


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
    delete_parts(cur, organization_id=organization_id, export_id=id)
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


def primary_key(cur, table: str) -> dict[str, str]:
    """The table's primary key columns in their order, each with its type's name (pg_type's
    typname: uuid, int8, timestamptz...)."""
    cur.execute("""
        SELECT a.attname::text AS name, t.typname::text AS type FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          JOIN pg_type t ON t.oid = a.atttypid
         WHERE i.indrelid = %(table)s::regclass AND i.indisprimary
         ORDER BY k.position
    """, {"table": f"public.{table}"})
    return {row["name"]: row["type"] for row in cur.fetchall()}


def count_of(cur, *, organization_id: uuid.UUID, table: str) -> int:
    cur.execute(sql.SQL("SELECT count(*) AS n FROM {table} WHERE organization_id = %(organization_id)s"
                        ).format(table=sql.Identifier(table)),
                {"organization_id": organization_id})
    return cur.fetchone()["n"]


def page_of(cur, *, organization_id: uuid.UUID, table: str, columns: list[str], key: list[str],
            after: list[str] | None, limit: int, as_json: bool = False) -> list[dict]:
    """A keyset page of the organization's rows of a table in key order: these columns (or,
    as_json, each row as JSON text written by PostgreSQL in `json`, nested documents neither
    decoded nor encoded in Python) and the key's values as PostgreSQL's text in `key_0`,
    `key_1`...; rows after the key values `after` (that text, cast back to the key's types)."""
    keys = sql.SQL(", ").join(map(sql.Identifier, key))
    after_clause = sql.SQL("")
    params = {"organization_id": organization_id, "limit": limit}
    if after is not None:
        after_clause = sql.SQL(" AND ({keys}) > ({values})").format(
            keys=keys, values=sql.SQL(", ").join(sql.Placeholder(f"after_{i}")
                                                 for i in range(len(after))))
        params.update({f"after_{i}": value for i, value in enumerate(after)})
    picked = (sql.SQL("row_to_json(t)::text AS json") if as_json
              else sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in columns))
    cur.execute(sql.SQL(
        "SELECT {picked}, {key_values} FROM (SELECT {columns} FROM {table}"
        " WHERE organization_id = %(organization_id)s{after} ORDER BY {keys} LIMIT %(limit)s) t"
        " ORDER BY {outer_keys}").format(
        picked=picked,
        key_values=sql.SQL(", ").join(sql.SQL("t.{}::text AS {}").format(
            sql.Identifier(k), sql.Identifier(f"key_{i}")) for i, k in enumerate(key)),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        table=sql.Identifier(table), after=after_clause, keys=keys,
        outer_keys=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(k)) for k in key)),
        params)
    return cur.fetchall()


def organization_row(cur, *, organization_id: uuid.UUID, columns: list[str]) -> dict:
    cur.execute(sql.SQL("SELECT {columns} FROM organizations WHERE id = %(organization_id)s"
                        ).format(columns=sql.SQL(", ").join(map(sql.Identifier, columns))),
                {"organization_id": organization_id})
    return cur.fetchone()
