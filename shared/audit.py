"""Every write records who, what, which object, when and from where, in the same transaction."""
from __future__ import annotations

import uuid

from pydantic_core import to_jsonable_python

from shared.repositories import audit_logs
from shared.tenancy import Actor


def record(cur, actor: Actor, *, action: str, object_type: str, object_id: uuid.UUID | None,
           changes: dict | None = None) -> None:
    """Add the audit row for a write. `changes` holds only non-PHI fields and never secrets."""
    audit_logs.insert(cur, **_row(actor, action, object_type, object_id, changes))


def statement(actor: Actor, *, action: str, object_type: str, object_id: uuid.UUID | None,
              changes: dict | None = None) -> tuple[str, dict]:
    """record's INSERT as (query, parameters), for a repository to send with the write itself
    in one round trip (the write's id made beforehand)."""
    return audit_logs.insert_statement(**_row(actor, action, object_type, object_id, changes))


def _row(actor: Actor, action: str, object_type: str, object_id: uuid.UUID | None,
         changes: dict | None) -> dict:
    return dict(organization_id=actor.organization_id, user_id=actor.user_id, action=action,
                object_type=object_type, object_id=object_id,
                source_address=actor.source_address, request_id=actor.request_id,
                changes=to_jsonable_python(changes or {}))
