
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


# Optional lines: null (the default) is "not in the cost model", counted as 0 and said so in
# an evaluation's assumptions; cost models made before these lines keep their figures.
OPTIONAL_LINES = {
    "pt_cost_per_day_at_cmi_1": "Physical therapy cost a day at a PDPM PT case-mix index of "
                                "1.0: a Medicare referral with PDPM groups costs this x its PT "
                                "CMI (PDPM's CMIs were derived from therapy costs a day).",
    "ot_cost_per_day_at_cmi_1": "Occupational therapy cost a day at an OT CMI of 1.0.",
    "slp_cost_per_day_at_cmi_1": "Speech-language pathology cost a day at an SLP CMI of 1.0.",
    "labs_cost_per_day": "Laboratory tests, a day.",
    "imaging_cost_per_day": "Imaging (portable X-ray and the like), a day.",
    "supplies_cost_per_day": "Medical supplies, a day.",
    "transport_cost_per_stay": "Transport for the stay (ambulance or wheelchair van at "
                               "admission and discharge), once a stay.",
}


def _optional_money(description: str):
    return Field(default=None, description=description)


class CostModelFields(Input):
    fixed_daily_cost: Money
    nursing_hours_per_day: NursingHours
    nursing_wage_hourly: Annotated[Decimal, Field(ge=0, le=1000, max_digits=8, decimal_places=2,
                                                  description="Loaded hourly nursing wage.")]
    therapy_cost_per_day: Annotated[Money, Field(description=(
        "Therapy a day when the referral has no PDPM groups, or the cost model no cost at a "
        "CMI of 1.0."))]
    pt_cost_per_day_at_cmi_1: Money | None = _optional_money(OPTIONAL_LINES["pt_cost_per_day_at_cmi_1"])
    ot_cost_per_day_at_cmi_1: Money | None = _optional_money(OPTIONAL_LINES["ot_cost_per_day_at_cmi_1"])
    slp_cost_per_day_at_cmi_1: Money | None = _optional_money(OPTIONAL_LINES["slp_cost_per_day_at_cmi_1"])
    labs_cost_per_day: Money | None = _optional_money(OPTIONAL_LINES["labs_cost_per_day"])
    imaging_cost_per_day: Money | None = _optional_money(OPTIONAL_LINES["imaging_cost_per_day"])
    supplies_cost_per_day: Money | None = _optional_money(OPTIONAL_LINES["supplies_cost_per_day"])
    transport_cost_per_stay: Money | None = _optional_money(OPTIONAL_LINES["transport_cost_per_stay"])
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
    # Sent as null, an optional line is taken out of the cost model.
    pt_cost_per_day_at_cmi_1: Money | None = None
    ot_cost_per_day_at_cmi_1: Money | None = None
    slp_cost_per_day_at_cmi_1: Money | None = None
    labs_cost_per_day: Money | None = None
    imaging_cost_per_day: Money | None = None
    supplies_cost_per_day: Money | None = None
    transport_cost_per_stay: Money | None = None
    service_costs: dict[Service, Money] | None = None
    default_medication_cost_per_day: Money | None = None
    supported_services: list[Service] | None = None

    _not_null = not_null("fixed_daily_cost", "nursing_hours_per_day", "nursing_wage_hourly",
                         "therapy_cost_per_day", "service_costs",
                         "default_medication_cost_per_day", "supported_services")

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
    pt_cost_per_day_at_cmi_1: Decimal | None
    ot_cost_per_day_at_cmi_1: Decimal | None
    slp_cost_per_day_at_cmi_1: Decimal | None
    labs_cost_per_day: Decimal | None
    imaging_cost_per_day: Decimal | None
    supplies_cost_per_day: Decimal | None
    transport_cost_per_stay: Decimal | None
    service_costs: dict[str, Decimal]
    default_medication_cost_per_day: Decimal
    supported_services: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class CostModelListQuery(PageQuery):
    facility_id: uuid.UUID | None = None
    include_inactive: bool = False
