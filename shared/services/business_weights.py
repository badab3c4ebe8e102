"""Business weights: how the organization scores a referral. A new organization has defaults,
so its first evaluation works before it saves its own."""
from __future__ import annotations

import uuid

from shared import audit
from shared.models.business_weights import DEFAULTS, BusinessWeightsIn, BusinessWeightsPublic
from shared.repositories import business_weights
from shared.tenancy import Actor


def get_weights(cur, organization_id: uuid.UUID) -> BusinessWeightsPublic:
    return weights_of(business_weights.get(cur, organization_id=organization_id))


def weights_of(row: dict | None) -> BusinessWeightsPublic:
    """The weights from their row, read already; the defaults when there is none."""
    if row is None:
        return BusinessWeightsPublic(**DEFAULTS.model_dump(), is_default=True, updated_at=None)
    return BusinessWeightsPublic(**row, is_default=False)


def put_weights(cur, actor: Actor, data: BusinessWeightsIn) -> BusinessWeightsPublic:
    values = data.model_dump()
    row = business_weights.upsert(cur, organization_id=actor.organization_id, values=values)
    audit.record(cur, actor, action="business_weights.update", object_type="business_weights",
                 object_id=None, changes=values)
    return BusinessWeightsPublic(**row, is_default=False)
