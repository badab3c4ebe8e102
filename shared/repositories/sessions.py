"""SQL for sessions. Every statement names the organization, as every tenant query does."""
from __future__ import annotations

import uuid
from datetime import datetime


# The live session with its user and organization. What a request needs to know of its caller
# goes here (one more column, one more join): it is sent with the transaction's settings in one
# round trip (db.tenant_transaction's `then`), so each addition costs no trip of its own.
CALLER = """
    SELECT s.id AS session_id, s.expires_at, s.last_used_at,
           u.id AS user_id, u.role, u.email,
           o.id AS organization_id, o.status, o.tier, o.closed_at, o.deletes_at,
           o.configuration_version, (SELECT version FROM reference_version) AS reference_version
      FROM sessions s
      JOIN users u ON u.organization_id = s.organization_id AND u.id = s.user_id
      JOIN organizations o ON o.id = s.organization_id
     WHERE s.organization_id = %(organization_id)s
       AND s.token_hash = %(token_hash)s
       AND s.revoked_at IS NULL
       AND s.expires_at > now()
       AND u.is_active
"""


def caller_statement(*, organization_id: uuid.UUID, token_hash: bytes) -> tuple[str, dict]:
    """The lookup of the live session with its user and organization (a row, or none), as
    statement and parameters: sent in the tenant transaction's first round trip."""
    return CALLER, {"organization_id": organization_id, "token_hash": token_hash}


def insert(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID, token_hash: bytes,
           expires_at: datetime, user_agent: str | None = None,
           source_network: str | None = None) -> dict:
    cur.execute("""
        INSERT INTO sessions (organization_id, user_id, token_hash, expires_at, user_agent,
                              source_network, last_used_at)
        VALUES (%(organization_id)s, %(user_id)s, %(token_hash)s, %(expires_at)s,
                %(user_agent)s, %(source_network)s, now())
        RETURNING id, expires_at
    """, {"organization_id": organization_id, "user_id": user_id, "token_hash": token_hash,
          "expires_at": expires_at, "user_agent": user_agent, "source_network": source_network})
    return cur.fetchone()


def touch(cur, *, organization_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Note the session's use, at most once a minute (the condition skips the write)."""
    cur.execute("""
        UPDATE sessions SET last_used_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(session_id)s
           AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
    """, {"organization_id": organization_id, "session_id": session_id})


def list_live(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID) -> list[dict]:
    """The user's live sessions, last used first."""
    cur.execute("""
        SELECT id, created_at, last_used_at, expires_at, user_agent,
               source_network::text AS source_network
          FROM sessions
         WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
           AND revoked_at IS NULL AND expires_at > now()
         ORDER BY coalesce(last_used_at, created_at) DESC, id
    """, {"organization_id": organization_id, "user_id": user_id})
    return cur.fetchall()


def revoke_own(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID,
               session_id: uuid.UUID) -> bool:
    """Revoke one live session of this user; False when there is none such."""
    cur.execute("""
        UPDATE sessions SET revoked_at = now()
         WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
           AND id = %(session_id)s AND revoked_at IS NULL AND expires_at > now()
    """, {"organization_id": organization_id, "user_id": user_id, "session_id": session_id})
    return cur.rowcount == 1


def revoke(cur, *, organization_id: uuid.UUID, session_id: uuid.UUID) -> None:
    cur.execute("""
        UPDATE sessions SET revoked_at = now()
         WHERE organization_id = %(organization_id)s AND id = %(session_id)s
           AND revoked_at IS NULL
    """, {"organization_id": organization_id, "session_id": session_id})


def delete_ended(cur, *, organization_id: uuid.UUID, ended_before: datetime) -> int:
    """Forget sessions that expired or were revoked before the given time."""
    cur.execute("""
        DELETE FROM sessions
         WHERE organization_id = %(organization_id)s
           AND (expires_at < %(before)s OR revoked_at < %(before)s)
    """, {"organization_id": organization_id, "before": ended_before})
    return cur.rowcount


def revoke_all(cur, *, organization_id: uuid.UUID, user_id: uuid.UUID,
               except_session_id: uuid.UUID | None = None) -> int:
    """Revoke the user's live sessions, but for one (the caller's own, on a password change)."""
    cur.execute("""
        UPDATE sessions SET revoked_at = now()
         WHERE organization_id = %(organization_id)s AND user_id = %(user_id)s
           AND revoked_at IS NULL
           AND (%(keep)s::uuid IS NULL OR id <> %(keep)s)
    """, {"organization_id": organization_id, "user_id": user_id, "keep": except_session_id})
    return cur.rowcount
