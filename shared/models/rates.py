
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from shared.catalog import ACUITY_LEVELS
from shared.models.common import FieldErrors, Input, Output, PageQuery, not_null

Money = Annotated[Decimal, Field(ge=0, le=100_000, max_digits=10, decimal_places=2)]
Method = Literal["per_diem", "acuity", "pdpm"]
WageIndex = Annotated[Decimal, Field(gt=0, lt=5, max_digits=6, decimal_places=4)]
# 42 CFR 413.338: the SNF VBP program withholds 2.0% of every Part A payment and pays part of it
# back by performance, so no facility's multiplier is below 0.98; the top ones earn a few percent
# back. Beyond 1.10 is a typing slip (1.9 for 0.99, or a percentage), not a facility's multiplier.
VbpMultiplier = Annotated[Decimal, Field(ge=Decimal("0.98"), le=Decimal("1.10"), max_digits=7,
                                         decimal_places=5,
                                         description="The facility's SNF VBP incentive payment "
                                                     "multiplier, 0.98 (the whole 2% withhold "
                                                     "kept) to 1.10; 1 when none.")]
FiscalYear = Annotated[int, Field(ge=2020, le=2100)]
PdpmPercent = Annotated[Decimal, Field(gt=0, le=200, max_digits=5, decimal_places=2,
                                       description="A Medicare Advantage contract paying this "
                                                   "percentage of the PDPM per diem.")]
METHOD_FIELDS = {
    "per_diem": {"per_diem"},
    "acuity": {"acuity_rates"},
    "pdpm": {"fiscal_year", "locality", "wage_index", "vbp_multiplier"},
}
TERMS = set().union(*METHOD_FIELDS.values())


class AcuityRates(Input):
    low: Money
    moderate: Money
    high: Money
    complex: Money


def terms_errors(rate: dict) -> dict[str, str]:
    """What is wrong with a rate's terms taken together: each term its method needs but lacks
    or gets but does not take, the QRP reduction or a PDPM percentage on a rate that is not
    pdpm, a period that ends before it starts. Of a new rate, or of a stored one with the
    changes an update makes (its method stays, so only then can these be checked)."""
    method = rate["method"]
    present = {f for f in TERMS if rate.get(f) is not None}
    errors = {f: f"required for method {method}" for f in sorted(METHOD_FIELDS[method] - present)}
    errors.update({f: f"not used by method {method}"
                   for f in sorted(present - METHOD_FIELDS[method])})
    if rate.get("qrp_reduced") and method != "pdpm":
        errors["qrp_reduced"] = "only a pdpm rate carries the QRP reduction"
    if rate.get("pdpm_percent") is not None and method != "pdpm":
        errors["pdpm_percent"] = "only a pdpm rate is a percentage of PDPM"
    if rate.get("effective_to") is not None and rate["effective_to"] < rate["effective_from"]:
        errors["effective_to"] = "must not be before effective_from"
    return errors


def _rules(method_terms: str, facility_id: str, payer_id: str) -> dict[str, str]:
    """The rules of a create or an update (x-rules): terms_errors' and the stored data's."""
    return {
        **{field: f"{method_terms} (per_diem: per_diem; acuity: acuity_rates; pdpm: "
                  "fiscal_year, locality, wage_index, vbp_multiplier)"
           for field in ("per_diem", "acuity_rates", "fiscal_year", "locality", "wage_index",
                         "vbp_multiplier")},
        "qrp_reduced": "only a pdpm rate carries the QRP reduction",
        "pdpm_percent": "only a pdpm rate is a percentage of PDPM",
        "effective_to": "must not be before effective_from; periods of a facility and payer "
                        "must not overlap",
        "facility_mismatch_override": "needed when a pdpm rate's locality or wage index "
                                      "differs from its facility's",
        "facility_id": facility_id, "payer_id": payer_id,
    }


class RateCreate(Input):
    rules = _rules("given exactly when the method uses it",
                   facility_id="must name an active facility of the organization",
                   payer_id="must name an active payer of the organization")

    facility_id: uuid.UUID
    payer_id: uuid.UUID
    method: Method
    effective_from: date
    effective_to: date | None = Field(default=None, description="Inclusive; null: open-ended.")
    per_diem: Money | None = None
    acuity_rates: AcuityRates | None = None
    fiscal_year: FiscalYear | None = None
    locality: Literal["urban", "rural"] | None = None
    wage_index: WageIndex | None = None
    vbp_multiplier: VbpMultiplier | None = None
    qrp_reduced: bool = Field(default=False, description="PDPM: the facility did not meet the "
                              "SNF Quality Reporting Program, so the reduced rates apply.")
    pdpm_percent: PdpmPercent | None = None
    facility_mismatch_override: bool = Field(
        default=False, description="PDPM: save a locality or wage index that differs from the "
                                   "facility's (each evaluation says so); otherwise a 422.")

    @model_validator(mode="after")
    def _terms_fit_the_method(self):
        errors = terms_errors(dict(self))
        if errors:
            raise FieldErrors(errors)
        return self


class RateUpdate(Input):
    """The period and the amounts; the facility, payer and method of a rate stay."""
    rules = _rules("only what the rate's method uses",
                   facility_id="the rate's facility must still be active",
                   payer_id="the rate's payer must still be active")

    effective_from: date | None = None
    effective_to: date | None = None
    per_diem: Money | None = None
    acuity_rates: AcuityRates | None = None
    fiscal_year: FiscalYear | None = None
    locality: Literal["urban", "rural"] | None = None
    wage_index: WageIndex | None = None
    vbp_multiplier: VbpMultiplier | None = None
    qrp_reduced: bool | None = None
    pdpm_percent: PdpmPercent | None = None
    facility_mismatch_override: bool | None = None

    _not_null = not_null("effective_from", "per_diem", "acuity_rates", "fiscal_year", "locality",
                     "wage_index", "vbp_multiplier", "qrp_reduced", "facility_mismatch_override")


class RatePublic(Output):
    id: uuid.UUID
    facility_id: uuid.UUID
    payer_id: uuid.UUID
    method: Method
    effective_from: date
    effective_to: date | None
    per_diem: Decimal | None
    acuity_rates: dict[str, Decimal] | None
    fiscal_year: int | None
    locality: str | None
    wage_index: Decimal | None
    vbp_multiplier: Decimal | None
    qrp_reduced: bool = False
    pdpm_percent: Decimal | None = None
    facility_mismatch_override: bool = False
    is_active: bool
    created_at: datetime
    updated_at: datetime


class RateListQuery(PageQuery):
    facility_id: uuid.UUID | None = None
    payer_id: uuid.UUID | None = None
    include_inactive: bool = False


assert set(AcuityRates.model_fields) == set(ACUITY_LEVELS)
