"""SQL for invitations: single-use tokens stored as hashes."""
from __future__ import annotations

import uuid
from datetime import datetime

COLUMNS = "id, email, role, expires_at, accepted_at, revoked_at, created_at"


def insert(cur, *, organization_id: uuid.UUID, email: str, role: str, token_hash: bytes,
           invited_by: uuid.UUID, expires_at: datetime) -> dict:
    cur.execute(f"""
        INSERT INTO invitations (organization_id, email, role, token_hash, invited_by, expires_at)
        VALUES (%(organization_id)s, %(email)s, %(role)s, %(token_hash)s, %(invited_by)s,
                %(expires_at)s)
        RETURNING {COLUMNS}
    """, {"organization_id": organization_id, "email": email, "role": role,
          "token_hash": token_hash, "invited_by": invited_by, "expires_at": expires_at})
    return cur.fetchone()


def list_open(cur, *, organization_id: uuid.UUID) -> list[dict]:
    cur.execute(f"""
        SELECT {COLUMNS} FROM invitations
         WHERE organization_id = %(organization_id)s AND accepted_at IS NULL
           AND revoked_at IS NULL AND expires_at > now()
         ORDER BY created_at DESC
    """, {"organization_id": organization_id})
    return cur.fetchall()


def get(cur, *, organization_id: uuid.UUID, id: uuid.UUID, for_update: bool = False) -> dict | None:
    cur.execute(f"""
        SELECT {COLUMNS} FROM invitations
         WHERE organization_id = %(organization_id)s AND id = %(id)s
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()


def revoke(cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> dict | None:
    cur.execute(f"""
        UPDATE invitations SET revoked_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(id)s
           AND accepted_at IS NULL AND revoked_at IS NULL
        RETURNING {COLUMNS}
    """, {"organization_id": organization_id, "id": id})
    return cur.fetchone()


def find_open(cur, *, organization_id: uuid.UUID, token_hash: bytes) -> dict | None:
    """The open invitation with this token, left open (a preview before accepting)."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM invitations
         WHERE organization_id = %(organization_id)s AND token_hash = %(token_hash)s
           AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
    """, {"organization_id": organization_id, "token_hash": token_hash})
    return cur.fetchone()


def take_open(cur, *, organization_id: uuid.UUID, token_hash: bytes) -> dict | None:
    """The open invitation with this token, marked accepted in the same statement: a token
    works once, even when two requests race."""
    cur.execute(f"""
        UPDATE invitations SET accepted_at = now()
         WHERE organization_id = %(organization_id)s AND token_hash = %(token_hash)s
           AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING {COLUMNS}, invited_by
    """, {"organization_id": organization_id, "token_hash": token_hash})
    return cur.fetchone()



def find_unanswered(cur, *, organization_id: uuid.UUID, email: str) -> dict | None:
    """The address's invitation that is neither accepted nor withdrawn, expired or not (there is
    at most one), locked until the transaction ends."""
    cur.execute(f"""
        SELECT {COLUMNS} FROM invitations
         WHERE organization_id = %(organization_id)s AND lower(email) = lower(%(email)s)
           AND accepted_at IS NULL AND revoked_at IS NULL
           FOR UPDATE
    """, {"organization_id": organization_id, "email": email})
    return cur.fetchone()


def renew(cur, *, organization_id: uuid.UUID, id: uuid.UUID, role: str, token_hash: bytes,
          invited_by: uuid.UUID, expires_at: datetime) -> dict:
    """A new token, role, inviter and expiry: the old link stops working."""
    cur.execute(f"""
        UPDATE invitations SET token_hash = %(token_hash)s, role = %(role)s,
                               invited_by = %(invited_by)s, expires_at = %(expires_at)s
         WHERE organization_id = %(organization_id)s AND id = %(id)s
        RETURNING {COLUMNS}
    """, {"organization_id": organization_id, "id": id, "role": role, "token_hash": token_hash,
          "invited_by": invited_by, "expires_at": expires_at})
    return cur.fetchone()
