from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator

from shared.catalog import Service
from shared.models.common import Input, Output, PageQuery, not_null
from shared.models.rates import Money

Hours = Annotated[Decimal, Field(ge=0, le=24, max_digits=5, decimal_places=2)]


class NursingHours(Input):
    """Nursing hours per patient day at each acuity level."""
    low: Hours
    moderate: Hours
    high: Hours
    complex: Hours


class CostModelFields(Input):
    fixed_daily_cost: Money
    nursing_hours_per_day: NursingHours
    nursing_wage_hourly: Annotated[Decimal, Field(ge=0, le=1000, max_digits=8, decimal_places=2,
                                                  description="Loaded hourly nursing wage.")]
    therapy_cost_per_day: Money
    service_costs: dict[Service, Money] = Field(
        default_factory=dict, description="Daily cost of each catalog service.")
    default_medication_cost_per_day: Money = Decimal("0")
    supported_services: list[Service] = Field(
        default_factory=list, description="The catalog services this facility can provide.")

    @field_validator("supported_services")
    @classmethod
    def _unique(cls, value):
        return sorted(set(value))


class CostModelCreate(CostModelFields):
    rules = {"facility_id": "must name an active facility of the organization"}

    facility_id: uuid.UUID


class CostModelUpdate(Input):
    fixed_daily_cost: Money | None = None
    nursing_hours_per_day: NursingHours | None = None
    nursing_wage_hourly: Annotated[Decimal, Field(ge=0, le=1000, max_digits=8,
                                                  decimal_places=2)] | None = None
    therapy_cost_per_day: Money | None = None
    service_costs: dict[Service, Money] | None = None
    default_medication_cost_per_day: Money | None = None
    supported_services: list[Service] | None = None

    _not_null = not_null("*")

    @field_validator("supported_services")
    @classmethod
    def _unique(cls, value):
        return sorted(set(value))


class CostModelPublic(Output):
    id: uuid.UUID
    facility_id: uuid.UUID
    fixed_daily_cost: Decimal
    nursing_hours_per_day: dict[str, Decimal]
    nursing_wage_hourly: Decimal
    therapy_cost_per_day: Decimal
    service_costs: dict[str, Decimal]
    default_medication_cost_per_day: Decimal
    supported_services: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class CostModelListQuery(PageQuery):
    facility_id: uuid.UUID | None = None
    include_inactive: bool = False
