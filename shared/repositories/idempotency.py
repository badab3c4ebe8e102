"""The idempotency_keys table: serialize the requests that carry one key, find a stored answer,
store one in the create's transaction, forget old keys. Keys older than `keep` count as absent."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from psycopg2 import Binary


def lock(cur, *, key_hash: bytes) -> None:
    """Wait for any other transaction holding this key, then hold it until this one ends.
    A transaction-level advisory lock, not the row: inserting the row takes a share lock on
    the organization (its foreign key), which a create such as the checkout, whose Stripe
    customer is saved in a transaction of its own, must not meet."""
    cur.execute("SELECT pg_advisory_xact_lock(%(lock)s)",
                {"lock": int.from_bytes(key_hash[:8], "big", signed=True)})


def find(cur, *, organization_id: uuid.UUID, key_hash: bytes, keep: timedelta) -> dict | None:
    cur.execute("""
        SELECT fingerprint, status, response FROM idempotency_keys
         WHERE organization_id = %(organization_id)s AND key_hash = %(key_hash)s
           AND created_at >= now() - %(keep)s
    """, {"organization_id": organization_id, "key_hash": Binary(key_hash), "keep": keep})
    return cur.fetchone()


def insert(cur, *, organization_id: uuid.UUID, key_hash: bytes, anonymous: bool,
           fingerprint: bytes, status: int, response: bytes, keep: timedelta) -> bool:
    """Store the key with its answer (over an expired one); False when a live one exists: the
    primary key is the last guard against a second create."""
    cur.execute("""
        INSERT INTO idempotency_keys (organization_id, key_hash, anonymous, fingerprint, status,
                                      response)
        VALUES (%(organization_id)s, %(key_hash)s, %(anonymous)s, %(fingerprint)s, %(status)s,
                %(response)s)
        ON CONFLICT (organization_id, key_hash) DO UPDATE
           SET anonymous = EXCLUDED.anonymous, fingerprint = EXCLUDED.fingerprint,
               status = EXCLUDED.status, response = EXCLUDED.response, created_at = now()
         WHERE idempotency_keys.created_at < now() - %(keep)s
        RETURNING true AS stored
    """, {"organization_id": organization_id, "key_hash": Binary(key_hash),
          "anonymous": anonymous, "fingerprint": Binary(fingerprint), "status": status,
          "response": Binary(response), "keep": keep})
    return cur.fetchone() is not None


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
