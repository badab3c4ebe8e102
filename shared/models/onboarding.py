"""Starting from sensible defaults: what a new organization's first facility needs to evaluate
a Medicare Part A referral, made in one call and all editable afterwards."""

import uuid

from pydantic import Field

from shared.models.business_weights import BusinessWeightsPublic
from shared.models.common import FieldWarning, Input, Output
from shared.models.cost_models import CostModelPublic
from shared.models.payers import PayerPublic
from shared.models.rates import RatePublic


class DefaultsIn(Input):
    rules = {"facility_id": "must name an active facility of the organization"}

    facility_id: uuid.UUID


class DefaultsOut(Output):
    payer: PayerPublic = Field(description="The Medicare Part A payer, made or found.")
    rate: RatePublic | None = Field(
        description="The PDPM rate made for the facility; null when it already had one then.")
    cost_model: CostModelPublic | None = Field(
        description="The cost model template made for the facility; null when it had one.")
    business_weights: BusinessWeightsPublic
    kept: list[str] = Field(description="What already existed and was left as it was, in words.")
    warnings: list[FieldWarning] = Field(
        default_factory=list, description="What the defaults were built on that is likely "
        "wrong: the facility's wage index left at 1.0000, which the PDPM rate took.")
