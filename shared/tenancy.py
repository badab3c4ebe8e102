"""Who is calling, and on behalf of which organization: established once per request, from the
bearer session only, inside the tenant transaction that the request's queries then use."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from shared.errors import Conflict, Forbidden, Unauthorized
from shared.models.users import Role
from shared.repositories import sessions
from shared.security import organization_of_token, token_hash


TOUCH_EVERY = timedelta(minutes=1)  # a session's last use, to the minute: no write per request


@dataclass(frozen=True)
class Caller:
    organization_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    role: Role
    organization_status: str
    session_expires_at: datetime
    # The versions of the organization's configuration and of the reference data, read with
    # the session in this transaction: what cached evaluations are keyed by. No default: a
    # Caller made without them could be served a configuration cached under a stale key.
    configuration_versions: tuple[int, int]
    organization_closed_at: datetime | None = None
    organization_deletes_at: datetime | None = None


@dataclass(frozen=True)
class Actor:
    """Who did a write and from where, for its audit row."""
    organization_id: uuid.UUID
    user_id: uuid.UUID | None
    source_address: str | None
    request_id: str | None
    user_agent: str | None = None  # recorded with a new session, never in an audit row


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


def claimed_organization(token: str) -> uuid.UUID:
    """The organization whose tenant transaction can look the session up; not yet proof."""
    organization_id = organization_of_token(token)
    if organization_id is None:
        raise Unauthorized("The session is not valid. Sign in again.")
    return organization_id


def caller_lookup(organization_id: uuid.UUID, token: str) -> tuple[str, dict]:
    """The session lookup as (query, parameters), for db.tenant_transaction's `then`: sent with
    the transaction's settings, in one round trip; `caller_of` reads its row."""
    return sessions.caller_statement(organization_id=organization_id, token_hash=token_hash(token))


def caller_of(cur, *, organization_id: uuid.UUID, row: dict | None) -> Caller:
    """The caller from the session lookup's row (None: no live session). Row-level security
    already limits the lookup to the claimed organization, so a token can only ever find its
    own session."""
    if row is None:
        raise Unauthorized("The session has expired or was signed out. Sign in again.")
    last_used = row["last_used_at"]
    if last_used is None or last_used < datetime.now(timezone.utc) - TOUCH_EVERY:
        sessions.touch(cur, organization_id=organization_id, session_id=row["session_id"])
    return Caller(organization_id=row["organization_id"], user_id=row["user_id"],
                  session_id=row["session_id"], role=Role(row["role"]),
                  organization_status=row["status"], session_expires_at=row["expires_at"],
                  organization_closed_at=row["closed_at"],
                  organization_deletes_at=row["deletes_at"],
                  configuration_versions=(row["configuration_version"],
                                          row["reference_version"]))


def require_role(caller: Caller, role: Role) -> None:
    if not caller.role.at_least(role):
        raise Forbidden(f"This needs the {role.value} role or higher; you are {caller.role.value}.")


def require_open(caller: Caller) -> None:
    """A closed organization is read-only for everyone until it is reopened or erased: every
    write is refused here, once, for every endpoint that does not declare itself allowed."""
    if caller.organization_closed_at is None:
        return
    deletes_at = caller.organization_deletes_at
    raise Conflict(
        f"This organization was closed and is read-only; its data will be deleted on "
        f"{deletes_at:%B %-d, %Y}. An owner can export the data or reopen the organization "
        "until then.",
        extensions={"state": "closed", "closed_at": caller.organization_closed_at.isoformat(),
                    "deletes_at": deletes_at.isoformat()})
