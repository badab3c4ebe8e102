"""Admissions: a referral's inputs, its evaluation, and the decision. No field holds a patient
identifier: a referral is known by its case number only."""

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (AfterValidator, AwareDatetime, BeforeValidator, Field, field_validator,
                      model_serializer, model_validator)

from shared import catalog
from shared.catalog import Acuity, PayerType, Service
from shared.models.common import FieldErrors, Input, Output, PageQuery, Query, pattern
from shared.models.rates import Money
from shared.phi import identifier_kinds

Recommendation = Literal["accept", "review", "decline"]
Status = Literal["pending", "accepted", "declined", "admitted", "not_admitted"]
DECLINE_REASONS = tuple(catalog.DECLINE_REASONS)
NOT_ADMITTED_REASONS = tuple(catalog.NOT_ADMITTED_REASONS)
EARLIEST_REFERRAL = datetime(2015, 1, 1, tzinfo=timezone.utc)  # before PDPM, before any data
CLOCK_SKEW = timedelta(minutes=5)
# The stay's first day against the day the referral was received (UTC): the received day is
# UTC while the admission date is the facility's, and a coordinator may log a referral the
# morning after the patient came in, so two days earlier are allowed; a hospital refers for a
# discharge days or weeks ahead, so 90 days later covers a planned admission and refuses a
# mistyped year.
ADMISSION_BEFORE_RECEIVED_DAYS = 2
ADMISSION_AFTER_RECEIVED_DAYS = 90
ADMISSION_WINDOW = (f"from {ADMISSION_BEFORE_RECEIVED_DAYS} days before the day the referral "
                    f"was received (UTC) to {ADMISSION_AFTER_RECEIVED_DAYS} days after it")


def _no_identifiers(note: str | None) -> str | None:
    if note:
        kinds = identifier_kinds(note)
        if kinds:
            raise ValueError("looks like it holds " + ", ".join(kinds)
                             + "; notes must not identify the patient")
    return note


Note = Annotated[str, Field(max_length=280), AfterValidator(_no_identifiers)]


def _upper_case(value):
    return value.upper() if isinstance(value, str) else value


def code(regex: str, either_case: str, example: str, rule: str):
    """A code printed in capitals (HIPPS, PDPM group, case number): typed in either case, kept
    in capitals. `regex` is checked on the capitals (a 422 says `rule`); the document gives
    `either_case`, the same pattern in both cases, since it describes what a client may send."""
    return Annotated[str, BeforeValidator(_upper_case),
                     Field(pattern=pattern(regex, rule), examples=[example],
                           json_schema_extra={"pattern": either_case})]


class PdpmGroupsIn(Input):
    """The PDPM classification; PT and OT share one group."""
    pt_ot: code(r"^T[A-P]$", r"^[Tt][A-Pa-p]$", "TK", "must be a PT/OT group, TA to TP")
    slp: code(r"^S[A-L]$", r"^[Ss][A-La-l]$", "SB", "must be an SLP group, SA to SL")
    nursing: code(r"^[A-Z]{2,3}[0-9]?$", r"^[A-Za-z]{2,3}[0-9]?$", "HBC1",
                  "must be a nursing group such as HBC1")
    nta: code(r"^N[A-F]$", r"^[Nn][A-Fa-f]$", "NE", "must be an NTA group, NA to NF")


class ReferralIn(Input):
    """A referral to evaluate at every active facility (placement comparison)."""
    rules = {
        "payer_id": "must name an active payer of the organization",
        "then_payer_id": "must name an active payer with a per diem or acuity rate at the "
                         "facility, after a Medicare Part A payer",
        "hipps_code": "give pdpm_groups or hipps_code, not both",
        "note": "must not look like it identifies the patient (names, long numbers, dates)",
        "referral_received_at": f"not in the future, nor before {EARLIEST_REFERRAL:%Y-%m-%d}",
        "expected_admission_date": ADMISSION_WINDOW,
        "prior_case_number": "must be an admitted Medicare Part A stay of the organization, "
                             "ended before this one starts",
        "": "the facility needs a rate of the payer in force and an active cost model, and "
            "Medicare PDPM reference data for the stay's fiscal years",
    }
    payer_id: uuid.UUID
    length_of_stay_days: Annotated[int, Field(ge=1, le=365, description="Expected stay.")]
    acuity: Acuity
    required_services: Annotated[list[Service], Field(max_length=20)] = []
    medication_cost_per_day: Money | None = Field(
        default=None, description="Expected daily medication cost; the cost model's default "
                                  "when omitted.")
    pdpm_groups: PdpmGroupsIn | None = None
    hipps_code: code(r"^[A-P][A-L][A-Y][A-F][01]?$", r"^[A-Pa-p][A-La-l][A-Ya-y][A-Fa-f][01]?$",
                     "KBGE1", "must be a HIPPS code: 4 letters and an optional 0 or 1, such "
                              "as KBGE1") | None = Field(
        default=None, description="The PDPM classification as a HIPPS code, instead of "
                                  "pdpm_groups.")
    referral_received_at: AwareDatetime | None = Field(
        default=None, description="When the hospital's referral arrived; now when omitted. "
                                  "Not in the future (5 minutes' grace for clocks); a referral "
                                  "logged late keeps the time it arrived.")
    expected_admission_date: date | None = Field(
        default=None, description="The stay's first day; the day the referral was received "
                                  "(UTC) when omitted. Each day is priced by its date and by "
                                  f"the rate in force on it. Allowed {ADMISSION_WINDOW}: the "
                                  "received day is UTC and the admission day the facility's, "
                                  "and a referral may be logged the morning after the patient "
                                  "came in; a hospital refers for a discharge days or weeks "
                                  "ahead, so a later date is a typing slip (a wrong year).")
    benefit_days_used: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None, description="Medicare Part A: SNF days of the current benefit period "
                                  "already used before this stay (0-100); assumed 0 when "
                                  "omitted, and said so.")
    prior_case_number: code(r"^[A-Z0-9][A-Z0-9-]{2,60}$", r"^[A-Za-z0-9][A-Za-z0-9-]{2,60}$",
                            "DEMO-2026-000123",
                            "must be a case number such as DEMO-2026-000123") | None = Field(
        default=None, description="Medicare Part A: the case number of this patient's prior "
                                  "stay at any of the organization's facilities. Its days count "
                                  "in the benefit period; a readmission to the same facility "
                                  "within the 3-day interruption window continues its variable "
                                  "per diem schedule (interrupted stay).")
    skilled_days: Annotated[int, Field(ge=1, le=365)] | None = Field(
        default=None, description="Medicare Part A: days of skilled need expected; Medicare "
                                  "covers no day after them. The whole stay when omitted.")
    then_payer_id: uuid.UUID | None = Field(
        default=None, description="Medicare Part A: who pays the days Medicare does not cover "
                                  "(Medicaid, private pay, ...), by its per diem or acuity "
                                  "rate at the facility.")
    hiv_aids: bool = Field(default=False, description="Medicare Part A: an HIV/AIDS (B20) "
                           "diagnosis; nursing is paid x 1.18 and the NTA group remapped, as "
                           "CMS's pricer does.")
    note: Note | None = Field(default=None, description="Short and free of identifiers.")

    @field_validator("required_services")
    @classmethod
    def _unique(cls, value):
        return sorted(set(value))

    @model_validator(mode="after")
    def _consistent(self):
        errors = {}
        if self.pdpm_groups is not None and self.hipps_code is not None:
            errors["hipps_code"] = "give pdpm_groups or hipps_code, not both"
        now = datetime.now(timezone.utc)
        received = self.referral_received_at
        if received is not None and received > now + CLOCK_SKEW:
            errors["referral_received_at"] = "is in the future"
        if received is not None and received < EARLIEST_REFERRAL:
            errors["referral_received_at"] = f"is before {EARLIEST_REFERRAL:%Y-%m-%d}"
        admitted = self.expected_admission_date
        # Only of a received time in range: year 1 at +05:00 is not a UTC date at all.
        if admitted is not None and "referral_received_at" not in errors:
            received_day = (received or now).astimezone(timezone.utc).date()
            if admitted < received_day - timedelta(days=ADMISSION_BEFORE_RECEIVED_DAYS):
                errors["expected_admission_date"] = (
                    f"is before the referral was received ({received_day}): a stay starts "
                    f"after its referral, or at most {ADMISSION_BEFORE_RECEIVED_DAYS} days "
                    "before it (time zones, a referral logged late)")
            elif admitted > received_day + timedelta(days=ADMISSION_AFTER_RECEIVED_DAYS):
                errors["expected_admission_date"] = (
                    f"is more than {ADMISSION_AFTER_RECEIVED_DAYS} days after the referral was "
                    f"received ({received_day}): check the year, or evaluate the referral "
                    "nearer the admission")
        if errors:
            raise FieldErrors(errors)
        return self


class AdmissionIn(ReferralIn):
    rules = {"facility_id": "must name an active facility of the organization"}

    facility_id: uuid.UUID


class RevenueDay(Output):
    day: int
    date: date
    amount: Decimal
    payer_pays: Decimal
    patient_pays: Decimal = Field(description="Medicare Part A coinsurance from day 21: the "
                                              "patient's or a secondary payer's share.")
    benefit_day: int | None = Field(default=None, description="Medicare Part A: the day's "
                                                              "number in the benefit period.")
    covered: bool | None = Field(default=None, description="Medicare Part A: within the "
                                                           "100 days of the benefit period.")
    coinsurance_year: int | None = Field(default=None, description="The calendar year whose "
                                         "coinsurance the day carries (the year furnished).")
    fiscal_year: int | None = Field(default=None, description="Medicare: the day's federal "
                                                               "fiscal year.")
    priced_with_fiscal_year: int | None = Field(
        default=None, description="The fiscal year whose PDPM tables priced the day (the "
                                  "newest loaded when the day's year is not).")
    rates_status: Literal["final", "proposed"] | None = Field(
        default=None, description="Whether those tables are final or only proposed.")
    skilled: bool | None = None
    paid_by: Literal["medicare", "payer", "then_payer"] | None = Field(
        default=None, description="PDPM stays: who pays the day: Original Medicare, the payer "
                                  "(another payer's PDPM rate, a contract's), the then-payer, "
                                  "or null: nobody.")
    hiv_aids_adjustment: Decimal | None = None
    qrp_reduction: Decimal | None = None
    sequestration: Decimal | None = None
    uncollected_coinsurance: Decimal | None = None
    bad_debt_reimbursement: Decimal | None = None
    net: Decimal = Field(description="What the facility keeps for the day after the "
                                     "adjustments.")


class CoinsuranceYear(Output):
    calendar_year: int
    per_day: Decimal
    amount_of_year: int = Field(description="The year whose published amount was used: the "
                                            "same year unless none is loaded for it.")
    days: int
    total: Decimal


class FiscalYearPricing(Output):
    fiscal_year: int
    priced_with: int = Field(description="The fiscal year whose tables priced these days.")
    status: Literal["final", "proposed"] | None
    rule: str | None
    notes: str | None = Field(description="What could not be sourced for that year.")
    days: int
    component_rates: dict[str, Decimal]
    labor_related_share: Decimal
    rate_fiscal_year: int | None = Field(
        default=None, description="The fiscal year the rate in force on these days is set up "
                                  "for (its first day's rate); null on evaluations saved "
                                  "before it was recorded.")


class ThenPayerDetail(Output):
    name: str
    payer_type: str
    per_day: Decimal
    days: int
    total: Decimal


class InterruptedStay(Output):
    prior_case_number: str
    prior_days: int = Field(description="Days of the prior stay the schedule continues from.")
    gap_days: int = Field(description="Days from the prior stay's end to this admission.")


class PdpmDetail(Output):
    fiscal_year: int = Field(description="The rate's fiscal year.")
    area: str
    groups: dict[str, str]
    hipps: str
    assumed_groups: bool
    component_rates: dict[str, Decimal]
    wage_index: Decimal
    vbp_multiplier: Decimal
    labor_related_share: Decimal
    fiscal_years: list[FiscalYearPricing] = Field(description="Each fiscal year the stay's "
                                                              "days fall in, and its tables.")
    admission_date: date
    benefit_days_used: int = Field(description="SNF days of the benefit period used before "
                                               "this stay.")
    benefit_days_used_known: bool = Field(description="False when the referral did not say "
                                                      "(0 assumed).")
    covered_days: int
    uncovered_days: int
    coinsurance_from_day: int | None = Field(description="The stay day coinsurance starts on "
                                                         "(day 21 of the benefit period).")
    coinsurance_per_day: Decimal = Field(description="The daily amount on the first "
                                                     "coinsurance day.")
    coinsurance_known: bool = Field(description="False when no coinsurance amount is loaded "
                                                "for the referral's year.")
    coinsurance_days: int
    coinsurance_total: Decimal
    coinsurance_by_year: list[CoinsuranceYear]
    hiv_aids: bool
    interrupted_stay: InterruptedStay | None
    percent_of_pdpm: Decimal | None = Field(description="A Medicare Advantage contract's "
                                                        "percentage of PDPM.")
    skilled_days: int | None
    not_skilled_days: int
    then_payer: ThenPayerDetail | None
    qrp_reduced: bool
    qrp_by_rule_method: list[int] = Field(description="Fiscal years whose QRP-reduced rates "
                                                      "were derived by the rule's method.")


class Adjustment(Output):
    code: Literal["hiv_aids_adjustment", "qrp_reduction", "sequestration",
                  "uncollected_coinsurance", "bad_debt_reimbursement"]
    label: str
    amount: Decimal = Field(description="Added to the revenue (negative: a reduction).")


class Revenue(Output):
    method: str
    total: Decimal = Field(description="The payer's rate over the stay, before adjustments.")
    adjustments: list[Adjustment] = Field(description="Medicare's payment adjustments, one "
                                                      "line each.")
    net_total: Decimal = Field(description="The total after the adjustments: what the margin "
                                           "is on.")
    per_day_average: Decimal
    days: list[RevenueDay]
    pdpm: PdpmDetail | None

    @model_validator(mode="before")
    @classmethod
    def _saved_before_adjustments(cls, data):
        # Evaluations saved before adjustments existed (and moved in from a legacy deployment)
        # had none: their net total is their total.
        if isinstance(data, dict) and "net_total" not in data and "total" in data:
            data = {**data, "adjustments": data.get("adjustments", []), "net_total": data["total"]}
        return data


class TherapyByDiscipline(Output):
    pt: Decimal
    ot: Decimal
    slp: Decimal


class CostBreakdown(Output):
    fixed: Decimal
    nursing: Decimal
    therapy: Decimal
    therapy_by_discipline: TherapyByDiscipline | None = Field(
        default=None, description="PT, OT and SLP a day, each its cost at a case-mix index of "
        "1.0 x the stay's CMI; null: the flat therapy cost a day.")
    services: dict[str, Decimal]
    medication: Decimal
    # Lines the cost model may lack (null: not in it, counted as 0).
    labs: Decimal | None = None
    imaging: Decimal | None = None
    supplies: Decimal | None = None
    transport_per_stay: Decimal | None = Field(
        default=None, description="Once a stay, in the total, not in the cost per day.")

    @model_serializer(mode="wrap")
    def _lines_in_the_model_only(self, handler):
        # A line the cost model lacks is left out, as the engine leaves it out.
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None or k not in OPTIONAL_COST_LINES}


OPTIONAL_COST_LINES = ("therapy_by_discipline", "labs", "imaging", "supplies",
                       "transport_per_stay")


class Cost(Output):
    per_day: Decimal
    breakdown: CostBreakdown
    total: Decimal


class Factor(Output):
    name: str
    value: Decimal = Field(description="0-100")
    weight: Decimal
    contribution: Decimal = Field(description="Points of the score from this factor.")
    detail: str


class HardStop(Output):
    code: str
    message: str


class Named(Output):
    id: uuid.UUID
    name: str


class PayerRef(Named):
    payer_type: PayerType


class RateRef(Output):
    id: uuid.UUID
    method: str
    effective_from: date
    effective_to: date | None


class RateInStay(RateRef):
    payer_id: uuid.UUID = Field(description="The payer's, or the then-payer's.")
    first_day: int = Field(description="The first day of the stay it is in force on (1 is the "
                                       "admission day).")
    last_day: int
    first_date: date
    last_date: date


class Evaluation(Output):
    facility: Named
    payer: PayerRef
    rate: RateRef = Field(description="The payer's rate in force on the stay's first day.")
    rates: list[RateInStay] = Field(
        default_factory=list, description="Every rate that priced the stay, the payer's then "
        "the then-payer's, each with the days of the stay it is in force on: each day is priced "
        "by the rate in force on it. Empty on evaluations saved before it was recorded.")
    length_of_stay_days: int
    revenue: Revenue
    cost: Cost
    margin: Decimal
    margin_pct: Decimal
    factors: list[Factor]
    score: Decimal = Field(description="0-100")
    recommendation: Recommendation
    hard_stops: list[HardStop]
    assumptions: list[str]


class AdmissionSummary(Output):
    id: uuid.UUID
    case_number: str
    facility_id: uuid.UUID
    facility_name: str
    payer_id: uuid.UUID
    payer_name: str
    length_of_stay_days: int
    acuity: Acuity
    referral_received_at: datetime
    revenue_total: Decimal
    cost_total: Decimal
    margin: Decimal
    margin_pct: Decimal
    score: Decimal
    recommendation: Recommendation
    status: Status
    decision_reason: str | None
    decided_at: datetime | None
    turnaround_minutes: int | None
    created_at: datetime


class AdmissionPublic(AdmissionSummary):
    rate_id: uuid.UUID
    required_services: list[str]
    medication_cost_per_day: Decimal | None
    pdpm_groups: dict[str, str] | None
    note: str | None
    decided_by: uuid.UUID | None
    outcome_at: datetime | None
    outcome_by: uuid.UUID | None
    created_by: uuid.UUID
    evaluation: Evaluation


class AdmissionFilters(Query):
    rules = {"received_to": "must not be before received_from"}

    facility_id: uuid.UUID | None = None
    payer_id: uuid.UUID | None = None
    recommendation: Recommendation | None = None
    status: Status | None = None
    received_from: date | None = Field(default=None, description="Inclusive, UTC.")
    received_to: date | None = Field(default=None, description="Inclusive, UTC.")

    @model_validator(mode="after")
    def _dates_in_order(self):
        # Swapped dates match nothing: said, as the audit log's since and until are.
        if self.received_from and self.received_to and self.received_to < self.received_from:
            raise FieldErrors({"received_to": "must not be before received_from"})
        return self


class AdmissionListQuery(AdmissionFilters, PageQuery):
    pass


class DecisionIn(Input):
    """pending -> accepted | declined (with a reason); accepted -> admitted | not_admitted."""
    rules = {"reason_code": "a decline or a not-admitted needs one of its reasons; accepted and "
                            "admitted take none"}

    decision: Literal["accepted", "declined", "admitted", "not_admitted"]
    reason_code: Literal[DECLINE_REASONS + NOT_ADMITTED_REASONS] | None = None  # type: ignore

    @model_validator(mode="after")
    def _reason_fits(self):
        if self.decision == "declined" and self.reason_code not in DECLINE_REASONS:
            raise FieldErrors({"reason_code": "a decline needs one of " + ", ".join(DECLINE_REASONS)})
        if self.decision == "not_admitted" and self.reason_code not in NOT_ADMITTED_REASONS:
            raise FieldErrors({"reason_code": "needs one of " + ", ".join(NOT_ADMITTED_REASONS)})
        if self.decision in ("accepted", "admitted") and self.reason_code is not None:
            raise FieldErrors({"reason_code": f"not used when {self.decision}"})
        return self


class Placement(Output):
    facility: Named
    rank: int | None = Field(description="1 is the best placement; null when it cannot be "
                                         "evaluated there.")
    evaluation: Evaluation | None
    unavailable: str | None = Field(description="Why it could not be evaluated there.")


class ComparisonOut(Output):
    placements: list[Placement]
