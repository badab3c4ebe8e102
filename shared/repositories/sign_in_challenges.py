"""SQL for the challenges between the password step of a sign-in and its second step."""
from __future__ import annotations

import uuid
from datetime import datetime


def insert(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID, token_hash: bytes,
           purpose: str, expires_at: datetime) -> dict:
    cur.execute("""
        INSERT INTO sign_in_challenges (organization_id, user_id, token_hash, purpose, expires_at)
        VALUES (%(organization_id)s, %(user_id)s, %(token_hash)s, %(purpose)s, %(expires_at)s)
        RETURNING id, expires_at
    """, {"organization_id": organization_id, "user_id": user_id, "token_hash": token_hash,
          "purpose": purpose, "expires_at": expires_at})
    return cur.fetchone()


def find_live(cur, *, organization_id: uuid.UUID, token_hash: bytes, purpose: str,
              lock: bool = False) -> dict | None:
    """The unused, unexpired challenge with its user (active) and organization, or None."""
    cur.execute(f"""
        SELECT c.id, c.user_id, u.email, u.role, o.subdomain
          FROM sign_in_challenges c
          JOIN users u ON u.organization_id = c.organization_id AND u.id = c.user_id
          JOIN organizations o ON o.id = c.organization_id
         WHERE c.organization_id = %(organization_id)s AND c.token_hash = %(token_hash)s
           AND c.purpose = %(purpose)s AND c.used_at IS NULL AND c.expires_at > now()
           AND u.is_active
        {"FOR UPDATE OF c" if lock else ""}
    """, {"organization_id": organization_id, "token_hash": token_hash, "purpose": purpose})
    return cur.fetchone()


def use(cur, *, organization_id: uuid.UUID, challenge_id: uuid.UUID) -> bool:
    """Spend the challenge; False when another request already did."""
    cur.execute("""
        UPDATE sign_in_challenges SET used_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(challenge_id)s
           AND used_at IS NULL
    """, {"organization_id": organization_id, "challenge_id": challenge_id})
    return cur.rowcount == 1


def delete_ended(cur, *, organization_id: uuid.UUID, ended_before: datetime) -> int:
    cur.execute("""
        DELETE FROM sign_in_challenges
         WHERE organization_id = %(organization_id)s AND expires_at < %(before)s
    """, {"organization_id": organization_id, "before": ended_before})
    return cur.rowcount
