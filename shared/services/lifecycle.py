"""The life of a configuration record (facility, payer, rate, cost model), written once: get or
404, create, change only what differs, deactivate; each write with its audit row.

A repository passed here has get/insert/update/deactivate taking `organization_id` and `id`."""
from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from types import ModuleType
from typing import Callable

from pydantic import BaseModel

from shared import audit
from shared.errors import NotFound, Unprocessable
from shared.tenancy import Actor


def fetch(cur, repository: ModuleType, organization_id: uuid.UUID, id: uuid.UUID,
          kind: str, *, for_update: bool = False) -> dict:
    """The record, or 404: another organization's record is as missing as a deleted one."""
    row = repository.get(cur, organization_id=organization_id, id=id, for_update=for_update)
    if row is None:
        raise NotFound(f"No {kind.replace('_', ' ')} with this id.")
    return row


def referenced(cur, repository: ModuleType, organization_id: uuid.UUID, id: uuid.UUID,
               field: str) -> tuple[dict | None, dict[str, str]]:
    """A record a request body names by id (`facility_id`, `payer_id`): the active record of
    this organization, or the 422 message for that field. Another organization's id reads
    exactly as a missing one."""
    return referenced_row(repository.get(cur, organization_id=organization_id, id=id), field)


def referenced_row(row: dict | None, field: str) -> tuple[dict | None, dict[str, str]]:
    """referenced, for a row read already (shared.repositories.together)."""
    if row is None or not row["is_active"]:
        kind = field.removesuffix("_id").replace("_", " ")
        return None, {field: f"no active {kind} with this id"}
    return row, {}


def require_referenced(cur, repository: ModuleType, organization_id: uuid.UUID, id: uuid.UUID,
                       field: str) -> dict:
    return require_referenced_row(
        repository.get(cur, organization_id=organization_id, id=id), field)


def require_referenced_row(row: dict | None, field: str) -> dict:
    row, errors = referenced_row(row, field)
    if errors:
        raise Unprocessable.for_fields(errors)
    return row


def create(cur, actor: Actor, repository: ModuleType, kind: str, values: dict) -> dict:
    row = repository.insert(cur, organization_id=actor.organization_id, values=values)
    audit.record(cur, actor, action=f"{kind}.create", object_type=kind, object_id=row["id"],
                 changes=values)
    return row


def update(cur, actor: Actor, repository: ModuleType, kind: str, id: uuid.UUID,
           data: BaseModel, check: Callable[[dict, dict], None] | None = None) -> dict:
    """Apply the fields sent that differ from the stored ones. `check(current, changes)` may
    refuse the combination (a rule across fields)."""
    current = fetch(cur, repository, actor.organization_id, id, kind, for_update=True)
    changes = {name: value for name, value in data.model_dump(exclude_unset=True).items()
               if _comparable(value) != _comparable(current[name])}
    if not changes:
        return current
    if check:
        check(current, changes)
    row = repository.update(cur, organization_id=actor.organization_id, id=id, values=changes)
    audit.record(cur, actor, action=f"{kind}.update", object_type=kind, object_id=id,
                 changes=changes)
    return row


def _comparable(value):
    """Amounts inside jsonb come back as text: compare numbers as numbers, at any scale."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(item) for item in value]
    if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return value


def deactivate(cur, actor: Actor, repository: ModuleType, kind: str, id: uuid.UUID) -> None:
    """Deactivate: out of lists and choices, history kept. Repeating it is harmless."""
    fetch(cur, repository, actor.organization_id, id, kind)
    if repository.deactivate(cur, organization_id=actor.organization_id, id=id):
        audit.record(cur, actor, action=f"{kind}.deactivate", object_type=kind, object_id=id,
                     changes={"is_active": False})
