
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from shared.catalog import PayerType
from shared.models.common import FieldErrors, Input, Output

Weight = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Pct = Annotated[Decimal, Field(ge=-100, le=100, max_digits=5, decimal_places=2)]
Threshold = Annotated[Decimal, Field(ge=0, le=100, max_digits=4, decimal_places=1)]


class FactorWeights(Input):
    rules = {"margin": "at least one weight must be above zero"}

    """How much each factor counts; the score divides by their sum."""
    margin: Weight
    census: Weight
    payer: Weight
    clinical: Weight
    risk: Weight

    @model_validator(mode="after")
    def _some_weight(self):
        if sum(self.model_dump().values()) <= 0:
            raise FieldErrors({"margin": "at least one weight must be above zero"})
        return self


class BusinessWeightsIn(Input):
    rules = {"review_threshold": "must not be above accept_threshold"}

    factor_weights: FactorWeights
    target_margin_pct: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
    margin_floor_pct: Pct
    target_occupancy_pct: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
    payer_preferences: dict[PayerType, Weight] = Field(
        description="0 (avoid) to 100 (prefer), by payer type; a missing type counts 50.")
    accept_threshold: Threshold
    review_threshold: Threshold
    coinsurance_collection_pct: Annotated[Decimal, Field(
        ge=0, le=100, max_digits=5, decimal_places=2,
        description="The share of Medicare coinsurance the facility expects to collect; "
                    "Medicare reimburses 65% of the rest as bad debt.")] = Decimal(100)

    @model_validator(mode="after")
    def _thresholds_in_order(self):
        if self.review_threshold > self.accept_threshold:
            raise FieldErrors({"review_threshold": "must not be above accept_threshold"})
        return self


class BusinessWeightsPublic(Output):
    factor_weights: dict[str, Decimal]
    target_margin_pct: Decimal
    margin_floor_pct: Decimal
    target_occupancy_pct: Decimal
    payer_preferences: dict[str, Decimal]
    accept_threshold: Decimal
    review_threshold: Decimal
    coinsurance_collection_pct: Decimal
    is_default: bool = Field(description="True until the organization saves its own.")
    updated_at: datetime | None


DEFAULTS = BusinessWeightsIn(
    factor_weights=FactorWeights(margin=Decimal(35), census=Decimal(20), payer=Decimal(15),
                                 clinical=Decimal(20), risk=Decimal(10)),
    target_margin_pct=Decimal(15), margin_floor_pct=Decimal(-5),
    target_occupancy_pct=Decimal("90.00"),
    payer_preferences={"medicare_a": Decimal(90), "medicare_advantage": Decimal(70),
                       "commercial": Decimal(70), "private_pay": Decimal(80),
                       "va": Decimal(65), "managed_medicaid": Decimal(45),
                       "medicaid": Decimal(40), "hospice": Decimal(50), "other": Decimal(50)},
    accept_threshold=Decimal(70), review_threshold=Decimal(50),
)
