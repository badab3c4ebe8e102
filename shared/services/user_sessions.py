"""A user's sessions: listed and ended by the user; all of a user's ended by an owner or admin."""
from __future__ import annotations

import uuid

from shared import audit
from shared.devices import browser_of
from shared.errors import Forbidden, NotFound
from shared.models.sessions import SessionList, SessionPublic, SessionsEnded
from shared.models.users import Role
from shared.repositories import sessions, users
from shared.tenancy import Actor, Caller


def list_mine(cur, caller: Caller) -> SessionList:
    rows = sessions.list_live(cur, organization_id=caller.organization_id, user_id=caller.user_id)
    return SessionList(items=[SessionPublic(
        id=row["id"], created_at=row["created_at"], last_used_at=row["last_used_at"],
        expires_at=row["expires_at"], browser=browser_of(row["user_agent"]),
        source_network=row["source_network"], current=row["id"] == caller.session_id)
        for row in rows])


def end_mine(cur, actor: Actor, caller: Caller, session_id: uuid.UUID) -> None:
    """End one of the caller's own live sessions (this one too: that is signing out)."""
    if not sessions.revoke_own(cur, organization_id=caller.organization_id,
                               user_id=caller.user_id, session_id=session_id):
        raise NotFound("You have no live session with this id.")
    audit.record(cur, actor, action="session.revoke", object_type="session", object_id=session_id)


def end_all_of(cur, actor: Actor, caller: Caller, user_id: uuid.UUID) -> SessionsEnded:
    """End every live session of a user of the organization (a lost laptop, a leaver). Only an
    owner ends an owner's, as only an owner changes one."""
    user = users.get(cur, organization_id=caller.organization_id, user_id=user_id)
    if user is None:
        raise NotFound("No user with this id.")
    if user["role"] == Role.owner.value and caller.role != Role.owner:
        raise Forbidden("Only an owner can end an owner's sessions.")
    ended = sessions.revoke_all(cur, organization_id=caller.organization_id, user_id=user_id)
    audit.record(cur, actor, action="user.sessions_revoke", object_type="user",
                 object_id=user_id, changes={"sessions_ended": ended})
    return SessionsEnded(ended=ended)
