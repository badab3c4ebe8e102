"""The organization's users: roles, deactivation, and the rule that an organization always
keeps an active owner."""
from __future__ import annotations

import uuid

from shared import audit, paging
from shared.errors import Conflict, Forbidden, NotFound
from shared.models.common import Page
from shared.models.team import UserListQuery, UserUpdate
from shared.models.users import Role, UserPublic
from shared.repositories import sessions, users
from shared.services import limits
from shared.tenancy import Actor, Caller

NOT_FOUND = "No user with this id."


def list_users(cur, organization_id: uuid.UUID, query: UserListQuery) -> Page[UserPublic]:
    rows = users.list_page(cur, organization_id=organization_id,
                           include_inactive=query.include_inactive,
                           after=paging.decode_cursor(query.cursor, (str, uuid.UUID)),
                           limit=query.limit)
    rows, next_cursor = paging.page(rows, query.limit, ("email", "id"))
    return Page[UserPublic](items=rows, next_cursor=next_cursor)


def check_can_grant(caller: Caller, role: Role) -> None:
    """Only owners make or unmake owners."""
    if role == Role.owner and caller.role != Role.owner:
        raise Forbidden("Only an owner can make someone an owner.")


def update_user(cur, actor: Actor, caller: Caller, user_id: uuid.UUID,
                data: UserUpdate) -> UserPublic:
    """Change a user's role or deactivate (or reactivate) them. Deactivating signs them out
    everywhere; the last active owner can be neither demoted nor deactivated."""
    owners = users.lock_active_owners(cur, organization_id=actor.organization_id)
    current = users.lock(cur, organization_id=actor.organization_id, user_id=user_id)
    if current is None:
        raise NotFound(NOT_FOUND)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items()
               if v != current[k] and not (k == "role" and Role(v) == Role(current[k]))}
    if not changes:
        return UserPublic.model_validate(current)
    if current["role"] == Role.owner.value and caller.role != Role.owner:
        raise Forbidden("Only an owner can change or deactivate an owner.")
    if changes.get("role") == Role.owner:
        check_can_grant(caller, Role.owner)
    loses_owner = current["role"] == Role.owner.value and current["is_active"] and (
        changes.get("role", Role.owner) != Role.owner or changes.get("is_active") is False)
    if loses_owner and owners == [user_id]:
        raise Conflict("This is the last active owner. Make someone else an owner first.")
    if changes.get("is_active") is True:
        limits.make_room(cur, actor.organization_id, "users", count_invitations=True)
    if "role" in changes:
        changes["role"] = Role(changes["role"]).value
    row = users.update(cur, organization_id=actor.organization_id, user_id=user_id,
                       values=changes)
    if changes.get("is_active") is False:
        sessions.revoke_all(cur, organization_id=actor.organization_id, user_id=user_id)
    audit.record(cur, actor, action="user.update", object_type="user", object_id=user_id,
                 changes=changes)
    return UserPublic.model_validate(row)
