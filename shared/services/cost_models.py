"""Cost models: what a day of care costs at a facility, and which services it can provide."""
from __future__ import annotations

import uuid
from datetime import datetime

from shared import paging
from shared.models.common import Page
from shared.models.cost_models import (CostModelCreate, CostModelListQuery, CostModelPublic,
                                       CostModelUpdate)
from shared.repositories import cost_models, facilities
from shared.services import lifecycle
from shared.tenancy import Actor

KIND = "cost_model"


def list_cost_models(cur, organization_id: uuid.UUID,
                     query: CostModelListQuery) -> Page[CostModelPublic]:
    rows = cost_models.list_page(
        cur, organization_id=organization_id, facility_id=query.facility_id,
        include_inactive=query.include_inactive,
        after=paging.decode_cursor(query.cursor, (datetime.fromisoformat, uuid.UUID)),
        limit=query.limit)
    rows, next_cursor = paging.page(rows, query.limit, ("created_at", "id"))
    return Page[CostModelPublic](items=rows, next_cursor=next_cursor)


def get_cost_model(cur, organization_id: uuid.UUID, cost_model_id: uuid.UUID) -> CostModelPublic:
    return CostModelPublic.model_validate(
        lifecycle.fetch(cur, cost_models, organization_id, cost_model_id, KIND))


def create_cost_model(cur, actor: Actor, data: CostModelCreate) -> CostModelPublic:
    """One active cost model per facility: a second is a 409 (see shared.problems)."""
    lifecycle.require_referenced(cur, facilities, actor.organization_id, data.facility_id,
                                 "facility_id")
    return CostModelPublic.model_validate(
        lifecycle.create(cur, actor, cost_models, KIND, data.model_dump()))


def update_cost_model(cur, actor: Actor, cost_model_id: uuid.UUID,
                      data: CostModelUpdate) -> CostModelPublic:
    return CostModelPublic.model_validate(
        lifecycle.update(cur, actor, cost_models, KIND, cost_model_id, data))


def deactivate_cost_model(cur, actor: Actor, cost_model_id: uuid.UUID) -> None:
    lifecycle.deactivate(cur, actor, cost_models, KIND, cost_model_id)
