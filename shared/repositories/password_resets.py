"""SQL for password resets: single-use tokens stored as hashes."""
from __future__ import annotations

import uuid
from datetime import datetime


def insert(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID | None, token_hash: bytes,
                 expires_at: datetime) -> None:
    """With no user, the same statement writes nothing: a request for an unknown address
    costs what a real one does (no timing oracle)."""
    cur.execute("""
        INSERT INTO password_resets (organization_id, user_id, token_hash, expires_at)
        SELECT %(organization_id)s, %(user_id)s, %(token_hash)s, %(expires_at)s
         WHERE %(user_id)s::uuid IS NOT NULL
    """, {"organization_id": organization_id, "user_id": user_id, "token_hash": token_hash,
          "expires_at": expires_at})


def take_open(cur, *, organization_id: uuid.UUID, token_hash: bytes) -> dict | None:
    """The unused, unexpired reset with this token, marked used in the same statement."""
    cur.execute("""
        UPDATE password_resets SET used_at = now()
         WHERE organization_id = %(organization_id)s AND token_hash = %(token_hash)s
           AND used_at IS NULL AND expires_at > now()
        RETURNING id, user_id
    """, {"organization_id": organization_id, "token_hash": token_hash})
    return cur.fetchone()
