"""SQL for users."""
from __future__ import annotations

import uuid

COLUMNS = "id, email, role, is_active, last_login_at, created_at"


def insert(cur, *, organization_id: uuid.UUID, email: str, password_hash: str,
           role: str) -> dict:
    cur.execute(f"""
        INSERT INTO users (organization_id, email, password_hash, role)
        VALUES (%(organization_id)s, %(email)s, %(password_hash)s, %(role)s)
        RETURNING {COLUMNS}
    """, {"organization_id": organization_id, "email": email, "password_hash": password_hash,
          "role": role})
    return cur.fetchone()


def get(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID) -> dict | None:
    cur.execute(f"""
        SELECT {COLUMNS} FROM users
         WHERE organization_id = %(organization_id)s AND id = %(user_id)s
    """, {"organization_id": organization_id, "user_id": user_id})
    return cur.fetchone()


def find_for_sign_in(cur, *, organization_id: uuid.UUID, email: str) -> dict | None:
    """The active user with this e-mail (any case), with the password hash."""
    cur.execute(f"""
        SELECT {COLUMNS}, password_hash FROM users
         WHERE organization_id = %(organization_id)s AND lower(email) = lower(%(email)s)
           AND is_active
    """, {"organization_id": organization_id, "email": email})
    return cur.fetchone()


def mark_signed_in(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
    cur.execute("""
        UPDATE users SET last_login_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(user_id)s
    """, {"organization_id": organization_id, "user_id": user_id})
