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


def list_page(cur, *, organization_id: uuid.UUID, include_inactive: bool,
              after: list | None, limit: int) -> list[dict]:
    """Up to limit+1 users in e-mail order, after the (email, id) of a cursor."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM users
         WHERE organization_id = %(organization_id)s
           AND (is_active OR %(include_inactive)s)
           AND (%(after_email)s::text IS NULL
                OR (email, id) > (%(after_email)s, %(after_id)s::uuid))
         ORDER BY email, id
         LIMIT %(limit)s
    """, {"organization_id": organization_id, "include_inactive": include_inactive,
          "after_email": after[0] if after else None, "after_id": after[1] if after else None,
          "limit": limit + 1})
    return cur.fetchall()


def find_by_email(cur, *, organization_id: uuid.UUID, email: str) -> dict | None:
    """The user with this e-mail (any case), active or not."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM users
         WHERE organization_id = %(organization_id)s AND lower(email) = lower(%(email)s)
    """, {"organization_id": organization_id, "email": email})
    return cur.fetchone()


def lock(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID) -> dict | None:
    cur.execute(f"""
        SELECT {COLUMNS}, password_hash FROM users
         WHERE organization_id = %(organization_id)s AND id = %(user_id)s
           FOR UPDATE
    """, {"organization_id": organization_id, "user_id": user_id})
    return cur.fetchone()


def lock_active_owners(cur, *, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """The active owners, locked: two admins demoting the last two owners at once cannot both
    pass the last-owner check."""
    cur.execute("""
        SELECT id FROM users
         WHERE organization_id = %(organization_id)s AND role = 'owner' AND is_active
         ORDER BY id FOR UPDATE
    """, {"organization_id": organization_id})
    return [row["id"] for row in cur.fetchall()]


def update(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID, values: dict) -> dict:
    assignments = ", ".join(f"{name} = %({name})s" for name in values
                            if name in ("role", "is_active"))
    cur.execute(f"""
        UPDATE users SET {assignments}, updated_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(user_id)s
        RETURNING {COLUMNS}
    """, {**values, "organization_id": organization_id, "user_id": user_id})
    return cur.fetchone()


def set_password(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID,
                 password_hash: str) -> None:
    cur.execute("""
        UPDATE users SET password_hash = %(password_hash)s, password_changed_at = now(),
               updated_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(user_id)s
    """, {"organization_id": organization_id, "user_id": user_id,
          "password_hash": password_hash})


def replace_password_hash(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID,
                          old_hash: str, new_hash: str) -> bool:
    """Swap a verified hash for a stronger one of the same password: not a password change, so
    password_changed_at stays. Only if the hash is still the one verified (a concurrent
    sign-in or password change wins)."""
    cur.execute("""
        UPDATE users SET password_hash = %(new_hash)s, updated_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(user_id)s
           AND password_hash = %(old_hash)s
    """, {"organization_id": organization_id, "user_id": user_id, "old_hash": old_hash,
          "new_hash": new_hash})
    return cur.rowcount == 1


def active_owner_emails(cur, *, organization_id: uuid.UUID) -> list[str]:
    """Who hears about the plan and the payments: the active owners."""
    cur.execute("""
        SELECT email FROM users
         WHERE organization_id = %(organization_id)s AND role = 'owner' AND is_active
         ORDER BY email
    """, {"organization_id": organization_id})
    return [row["email"] for row in cur.fetchall()]
