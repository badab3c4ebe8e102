
from decimal import Decimal

from pydantic import Field

from shared.models.common import Output, Query


class Option(Output):
    code: str
    label: str


class PdpmGroup(Output):
    component: str
    group: str
    hipps_char: str
    cmi: Decimal


class ReferenceOut(Output):
    acuity_levels: list[Option]
    services: list[Option]
    payer_types: list[Option]
    decline_reasons: list[Option]
    not_admitted_reasons: list[Option]
    pdpm_fiscal_years: list[int]
    pdpm_fiscal_year: int | None = Field(description="The year of `pdpm_groups`.")
    pdpm_fiscal_year_status: dict[int, str] = Field(
        default_factory=dict, description="Each loaded fiscal year: final or proposed.")
    pdpm_groups: list[PdpmGroup]


class ReferenceQuery(Query):
    rules = {"fiscal_year": "must be a year whose PDPM data is loaded"}

    fiscal_year: int | None = Field(default=None, ge=2000, le=2100,
                                    description="PDPM fiscal year; the latest by default.")
