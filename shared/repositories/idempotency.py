"""The idempotency_keys table: claim a key in the create's transaction, store its answer, find a
stored answer again, forget old keys. Keys older than `keep` count as absent everywhere."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from psycopg2 import Binary


def claim(cur, *, organization_id: uuid.UUID, key_hash: bytes, fingerprint: bytes,
          anonymous: bool, keep: timedelta) -> bool:
    """Take the key for this transaction; False when a live one exists already (then `find`
    reads it). A key that another transaction holds uncommitted makes this wait on the primary
    key until that one commits (False) or rolls back (True): two requests never both create."""
    cur.execute("""
        INSERT INTO idempotency_keys (organization_id, key_hash, anonymous, fingerprint)
        VALUES (%(organization_id)s, %(key_hash)s, %(anonymous)s, %(fingerprint)s)
        ON CONFLICT (organization_id, key_hash) DO UPDATE
           SET anonymous = EXCLUDED.anonymous, fingerprint = EXCLUDED.fingerprint,
               status = NULL, response = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - %(keep)s
        RETURNING true AS claimed
    """, {"organization_id": organization_id, "key_hash": Binary(key_hash),
          "anonymous": anonymous, "fingerprint": Binary(fingerprint), "keep": keep})
    return cur.fetchone() is not None


def record_response(cur, *, organization_id: uuid.UUID, key_hash: bytes, status: int,
                    response: bytes) -> None:
    cur.execute("""
        UPDATE idempotency_keys SET status = %(status)s, response = %(response)s
         WHERE organization_id = %(organization_id)s AND key_hash = %(key_hash)s
    """, {"organization_id": organization_id, "key_hash": Binary(key_hash), "status": status,
          "response": Binary(response)})


def find(cur, *, organization_id: uuid.UUID, key_hash: bytes, keep: timedelta) -> dict | None:
    cur.execute("""
        SELECT fingerprint, status, response FROM idempotency_keys
         WHERE organization_id = %(organization_id)s AND key_hash = %(key_hash)s
           AND created_at >= now() - %(keep)s
    """, {"organization_id": organization_id, "key_hash": Binary(key_hash), "keep": keep})
    return cur.fetchone()


def find_anonymous(cur, *, key_hash: bytes, keep: timedelta) -> list[dict]:
    """The anonymous creates' rows with this key, in any organization (the 'idempotent replay'
    scope admits no other rows); more than one only if two different requests raced."""
    cur.execute("""
        SELECT fingerprint, status, response FROM idempotency_keys
         WHERE anonymous AND key_hash = %(key_hash)s AND created_at >= now() - %(keep)s
         ORDER BY created_at
    """, {"key_hash": Binary(key_hash), "keep": keep})
    return cur.fetchall()


def delete_older(cur, *, organization_id: uuid.UUID, before: datetime) -> int:
    cur.execute("""
        DELETE FROM idempotency_keys
         WHERE organization_id = %(organization_id)s AND created_at < %(before)s
    """, {"organization_id": organization_id, "before": before})
    return cur.rowcount
