"""SQL for two-factor sign-in: a user's sealed TOTP secret and their recovery codes."""
from __future__ import annotations

import uuid


def find(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID, lock: bool = False) -> dict | None:
    """The user's credential, confirmed or not, or None."""
    cur.execute(f"""
        SELECT user_id, secret_sealed, created_at, confirmed_at, last_used_step
          FROM two_factor_credentials
         WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
        {"FOR UPDATE" if lock else ""}
    """, {"organization_id": organization_id, "user_id": user_id})
    return cur.fetchone()


def put_pending(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID,
                secret_sealed: bytes) -> None:
    """A new, unconfirmed secret; replaces an earlier unconfirmed one, never a confirmed one."""
    cur.execute("""
        INSERT INTO two_factor_credentials (organization_id, user_id, secret_sealed)
        VALUES (%(organization_id)s, %(user_id)s, %(secret_sealed)s)
        ON CONFLICT (organization_id, user_id) DO UPDATE
           SET secret_sealed = excluded.secret_sealed, created_at = now(), last_used_step = 0
         WHERE two_factor_credentials.confirmed_at IS NULL
    """, {"organization_id": organization_id, "user_id": user_id,
          "secret_sealed": secret_sealed})


def confirm(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID, step: int) -> bool:
    cur.execute("""
        UPDATE two_factor_credentials SET confirmed_at = now(), last_used_step = %(step)s
         WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
           AND confirmed_at IS NULL
    """, {"organization_id": organization_id, "user_id": user_id, "step": step})
    return cur.rowcount == 1


def use_step(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID, step: int) -> bool:
    """Record a code's time step as used; False when that step (or a later one) already was:
    the condition makes two requests racing with one code accept it once."""
    cur.execute("""
        UPDATE two_factor_credentials SET last_used_step = %(step)s
         WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
           AND last_used_step < %(step)s
    """, {"organization_id": organization_id, "user_id": user_id, "step": step})
    return cur.rowcount == 1


def delete(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Turn two-factor sign-in off: the secret and every recovery code go."""
    params = {"organization_id": organization_id, "user_id": user_id}
    cur.execute("DELETE FROM recovery_codes WHERE organization_id = %(organization_id)s"
                " AND user_id = %(user_id)s", params)
    cur.execute("DELETE FROM two_factor_credentials WHERE organization_id = %(organization_id)s"
                " AND user_id = %(user_id)s", params)


def replace_recovery_codes(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID,
                           code_hashes: list[bytes]) -> None:
    """The user's new set of codes; every earlier one, used or not, stops working."""
    params = {"organization_id": organization_id, "user_id": user_id}
    cur.execute("DELETE FROM recovery_codes WHERE organization_id = %(organization_id)s"
                " AND user_id = %(user_id)s", params)
    cur.executemany("""
        INSERT INTO recovery_codes (organization_id, user_id, code_hash)
        VALUES (%(organization_id)s, %(user_id)s, %(code_hash)s)
    """, [{**params, "code_hash": code_hash} for code_hash in code_hashes])


def use_recovery_code(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID,
                      code_hash: bytes) -> uuid.UUID | None:
    """Spend one unused code; its id, or None when there is no such unused code."""
    cur.execute("""
        UPDATE recovery_codes SET used_at = now()
         WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
           AND code_hash = %(code_hash)s AND used_at IS NULL
        RETURNING id
    """, {"organization_id": organization_id, "user_id": user_id, "code_hash": code_hash})
    row = cur.fetchone()
    return row["id"] if row else None


def recovery_codes_left(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID) -> int:
    cur.execute("""
        SELECT count(*) AS left FROM recovery_codes
         WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
           AND used_at IS NULL
    """, {"organization_id": organization_id, "user_id": user_id})
    return cur.fetchone()["left"]


def users_without(cur, *, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """The organization's active users who have not confirmed two-factor sign-in."""
    cur.execute("""
        SELECT u.id FROM users u
          LEFT JOIN two_factor_credentials c
                 ON c.organization_id = u.organization_id AND c.user_id = u.id
                AND c.confirmed_at IS NOT NULL
         WHERE u.organization_id = %(organization_id)s AND u.is_active AND c.user_id IS NULL
    """, {"organization_id": organization_id})
    return [row["id"] for row in cur.fetchall()]
