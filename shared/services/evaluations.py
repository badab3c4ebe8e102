"""Gather what an evaluation needs from the organization's configuration, and run the engine.
Every missing piece is a 422 that says what to set up."""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from shared.engine import evaluation as engine
from shared.engine import pdpm
from shared.errors import Unprocessable
from shared.models.admissions import Evaluation, ReferralIn
from shared.repositories import admissions as admissions_repository
from shared.repositories import business_weights, cost_models, facilities, payers, rates, together
from shared.repositories import pdpm as pdpm_tables
from shared.services import lifecycle
from shared.services.business_weights import get_weights, weights_of
from shared.services.rates import facility_mismatches

# PDPM reference data changes only with a migration or the operator's load of a year (which
# changes its status, proposed to final): keep each year, area and status once per process.
_tables: dict[tuple[int, str, str | None], pdpm.Tables] = {}
_tables_lock = threading.Lock()


def _pdpm_tables(cur, fiscal_year: int, area: str, status: str | None = None) -> pdpm.Tables:
    key = (fiscal_year, area, status)
    if key not in _tables:
        tables = pdpm_tables.load_tables(cur, fiscal_year=fiscal_year, area=area)
        if tables is None:
            raise Unprocessable(f"No Medicare PDPM reference data for FY{fiscal_year}.")
        with _tables_lock:
            _tables[key] = tables
    return _tables[key]


def _decimals(values: dict | None) -> dict[str, Decimal]:
    """Amounts kept in jsonb come back as text (or floats): make them Decimal again."""
    return {key: Decimal(str(value)) for key, value in (values or {}).items()}


def stamped(referral: ReferralIn) -> ReferralIn:
    """The referral with its received time: now, once, when the user gave none (the rate and
    the stored admission must agree on the day, even across midnight)."""
    if referral.referral_received_at is not None:
        return referral
    return referral.model_copy(update={"referral_received_at": datetime.now(timezone.utc)})


def _stay_tables(cur, area: str, first_day: date, days: int, loaded: list[int],
                 known: dict[int, pdpm.FiscalYear]) -> dict[int, pdpm.Tables]:
    """The tables of each fiscal year the stay's days fall in; for a year not loaded, the
    newest (or oldest) loaded year's."""
    if not loaded:
        return {}
    first = pdpm.fiscal_year_of(first_day)
    last = pdpm.fiscal_year_of(first_day + timedelta(days=days - 1))
    needed = {year if year in loaded else (loaded[-1] if year > loaded[-1] else loaded[0])
              for year in range(first, last + 1)}
    return {year: _pdpm_tables(cur, year, area, known[year].status if year in known else None)
            for year in sorted(needed)}


INTERRUPTION_WINDOW_DAYS = 3   # 42 CFR 413.343: the discharge day and the next two
# 42 CFR 409.60(b)(1): "A benefit period ends when a beneficiary has, for at least 60
# consecutive days not been an inpatient" of a hospital, a CAH or a SNF. The discharge day is
# not an inpatient day (a day of discharge is not counted: SSA POMS HI 00601.270).
BENEFIT_PERIOD_ENDS_AFTER_DAYS = 60


def _interrupted_stay(cur, organization_id: uuid.UUID, facility: dict, referral: ReferralIn,
                      first_day: date) -> tuple[dict | None, int, int]:
    """The prior stay an interrupted stay continues (None when the readmission falls after
    the interruption window: a new stay), the benefit days used by the prior stay (0 when
    60 days or more lie between: a new benefit period), and the days between."""
    field = "prior_case_number"
    prior = admissions_repository.get_by_case_number(
        cur, organization_id=organization_id, case_number=referral.prior_case_number)
    if prior is None:
        raise Unprocessable.for_fields({field: "no admission of the organization has it"})
    if prior["facility_id"] != facility["id"]:
        raise Unprocessable.for_fields({field: "an interrupted stay is a readmission to the "
                                               "same facility; that stay was at another"})
    prior_pdpm = (prior["evaluation"].get("revenue") or {}).get("pdpm")
    if prior_pdpm is None:
        raise Unprocessable.for_fields({field: "that stay was not a Medicare Part A PDPM stay"})
    if prior["status"] != "admitted":
        raise Unprocessable.for_fields({field: "that referral was not admitted"})
    prior_start = date.fromisoformat(prior_pdpm.get("admission_date")
                                     or prior["referral_received_at"].date().isoformat())
    # The discharge day is the first day not in the stay: its expected end.
    discharged = prior_start + timedelta(days=prior["length_of_stay_days"])
    gap = (first_day - discharged).days
    if gap < 0:
        raise Unprocessable.for_fields({field: f"that stay runs to {discharged}: this one "
                                               "would start inside it"})
    used = (0 if gap >= BENEFIT_PERIOD_ENDS_AFTER_DAYS
            else prior_pdpm.get("benefit_days_used", 0) + prior_pdpm["covered_days"])
    if gap >= INTERRUPTION_WINDOW_DAYS:
        return None, used, gap
    return {"prior_case_number": prior["case_number"],
            "prior_days": prior["length_of_stay_days"], "gap_days": gap}, used, gap


def _then_payer(cur, organization_id: uuid.UUID, facility: dict, referral: ReferralIn,
                rate: dict, when: datetime) -> engine.ThenPayer:
    """Who pays after the Medicare stay, at its per diem (or its rate for the acuity)."""
    field = "then_payer_id"
    if rate["method"] != "pdpm":
        raise Unprocessable.for_fields({field: "a then-payer follows a Medicare Part A (PDPM) "
                                               "stay; this referral's rate is not PDPM"})
    payer = lifecycle.require_referenced(cur, payers, organization_id, referral.then_payer_id,
                                         field)
    then_rate = rates.in_force(cur, organization_id=organization_id, facility_id=facility["id"],
                               payer_id=payer["id"], on=when.date())
    if then_rate is None:
        raise Unprocessable.for_fields({field: f"{payer['name']} has no rate at "
                                               f"{facility['name']} in force on {when.date()}"})
    if then_rate["method"] == "pdpm":
        raise Unprocessable.for_fields({field: "the then-payer pays by a per diem or acuity "
                                               "rate (Medicaid, private pay), not PDPM"})
    per_day = (then_rate["per_diem"] if then_rate["method"] == "per_diem"
               else _decimals(then_rate["acuity_rates"])[referral.acuity])
    return engine.ThenPayer(name=payer["name"], payer_type=payer["payer_type"], per_day=per_day)


def load_payer(cur, organization_id: uuid.UUID, payer_id: uuid.UUID) -> dict:
    return lifecycle.require_referenced(cur, payers, organization_id, payer_id, "payer_id")


def _classification(tables: pdpm.Tables, referral: ReferralIn) -> pdpm.Classification | None:
    try:
        if referral.hipps_code:
            return pdpm.classification_from_hipps(tables, referral.hipps_code)
        if referral.pdpm_groups:
            groups = referral.pdpm_groups
            classification = pdpm.Classification(groups.pt_ot, groups.slp, groups.nursing,
                                                 groups.nta)
            pdpm.check_classification(tables, classification)
            return classification
    except ValueError as exc:
        field = "hipps_code" if referral.hipps_code else "pdpm_groups"
        raise Unprocessable.for_fields({field: str(exc)}) from None
    return None


def configuration(cur, organization_id: uuid.UUID, referral: ReferralIn) -> dict:
    """What evaluating a (stamped) referral reads of the organization's configuration, in one
    round trip: its facility and payer (each active, or the 422 naming the field), the rate in
    force and the cost model (checked by `evaluate`), the business weights."""
    on = referral.referral_received_at.astimezone(timezone.utc).date()
    found = together.read(
        cur,
        facility=(facilities.COLUMNS, *facilities.TABLE.get_statement(
            organization_id=organization_id, id=referral.facility_id)),
        payer=(payers.COLUMNS, *payers.TABLE.get_statement(
            organization_id=organization_id, id=referral.payer_id)),
        rate=(rates.COLUMNS, *rates.in_force_statement(
            organization_id=organization_id, facility_id=referral.facility_id,
            payer_id=referral.payer_id, on=on)),
        model=(cost_models.COLUMNS, *cost_models.active_for_facility_statement(
            organization_id=organization_id, facility_id=referral.facility_id)),
        weights=(business_weights.COLUMNS, *business_weights.get_statement(
            organization_id=organization_id)),
        # Used by a PDPM rate only; a few rows of reference data, cheaper read here every time
        # than in a round trip of its own when the rate turns out to be PDPM.
        pdpm_reference=(pdpm_tables.STAY_REFERENCE_COLUMNS,
                        *pdpm_tables.stay_reference_statement()))
    return {"facility": lifecycle.require_referenced_row(found["facility"], "facility_id"),
            "payer": lifecycle.require_referenced_row(found["payer"], "payer_id"),
            "rate": found["rate"], "model": found["model"],
            "weights": weights_of(found["weights"]),
            "pdpm_reference": pdpm_tables.stay_reference_of(found["pdpm_reference"])}


def evaluate(cur, organization_id: uuid.UUID, facility: dict, payer: dict,
             referral: ReferralIn, weights=None, read: dict | None = None
             ) -> tuple[Evaluation, dict]:
    """The evaluation of the referral at this facility, and the rate it used. `weights`:
    the organization's business weights when the caller has them already (comparison);
    `read`: the rate, cost model, weights and PDPM reference when `configuration` read them
    already."""
    referral = stamped(referral)
    when = referral.referral_received_at.astimezone(timezone.utc)
    if read is not None:
        rate, model, weights = read["rate"], read["model"], read["weights"]
    else:
        rate = rates.in_force(cur, organization_id=organization_id, facility_id=facility["id"],
                              payer_id=payer["id"], on=when.astimezone(timezone.utc).date())
        model = cost_models.active_for_facility(cur, organization_id=organization_id,
                                                facility_id=facility["id"])
    if rate is None:
        raise Unprocessable(f"No rate of {payer['name']} at {facility['name']} is in force on "
                            f"{when.date()}. Add one under Rates.")
    if model is None:
        raise Unprocessable(f"{facility['name']} has no active cost model. Add one under "
                            "Cost models.")
    weights = weights or get_weights(cur, organization_id)

    classification, pdpm_terms, interrupted = None, None, None
    benefit_days_used = referral.benefit_days_used
    stated = []
    if referral.prior_case_number and rate["method"] != "pdpm":
        raise Unprocessable.for_fields({"prior_case_number": "an interrupted stay continues a "
                                        "Medicare Part A PDPM stay; this rate is not PDPM"})
    then_payer = None
    if referral.then_payer_id is not None:
        then_payer = _then_payer(cur, organization_id, facility, referral, rate, when)
    if rate["method"] == "pdpm":
        mismatches = facility_mismatches(facility, rate)
        if mismatches:
            stated.append(
                "The Medicare rate's " + "; ".join(f"{f.replace('_', ' ')} {m}"
                                                   for f, m in mismatches.items())
                + (": kept by an explicit override when it was saved." if
                   rate["facility_mismatch_override"] else
                   ": the facility changed after the rate was saved; the rate's was used."))
        if referral.prior_case_number:
            interrupted, prior_used, gap = _interrupted_stay(
                cur, organization_id, facility, referral,
                referral.expected_admission_date or when.date())
            prior = referral.prior_case_number
            # The prior stay's days count in the benefit period unless the referral says.
            if benefit_days_used is None and gap >= BENEFIT_PERIOD_ENDS_AFTER_DAYS:
                benefit_days_used = 0
                stated.append(
                    f"{prior} ended {gap} days before this admission: 60 or more days in a row "
                    "out of hospital and SNF care end a benefit period (42 CFR 409.60(b)(1)), so "
                    "this stay starts a new benefit period with no days used. That assumes no "
                    "hospital or SNF stay in the first 60 of those days; after one (the hospital "
                    "stay this referral comes from included) the benefit period goes on: then "
                    "give the days used.")
            elif benefit_days_used is None:
                benefit_days_used = min(100, prior_used)
                stated.append(f"Benefit-period days already used taken from {prior}: "
                              f"{benefit_days_used} (its covered days and the days used before "
                              f"it); it ended {gap} days before this admission, fewer than 60, "
                              "so the benefit period goes on (42 CFR 409.60(b)(1)).")
            if interrupted is None and gap < BENEFIT_PERIOD_ENDS_AFTER_DAYS:
                stated.append(f"{prior} ended 3 or more days before this admission: a new "
                              "stay, whose variable per diem starts again.")
        tables = _pdpm_tables(cur, rate["fiscal_year"], rate["locality"])
        classification = _classification(tables, referral)
        # A few rows: read each time (with the configuration when it was read), so a newly
        # loaded year counts at once.
        loaded, coinsurance, known = (read["pdpm_reference"] if read is not None
                                      else pdpm_tables.stay_reference(cur))
        first_day = referral.expected_admission_date or when.date()
        pdpm_terms = engine.PdpmTerms(
            tables=tables, wage_index=rate["wage_index"], vbp_multiplier=rate["vbp_multiplier"],
            coinsurance_per_day=None, coinsurance_by_year=coinsurance,
            tables_by_year=_stay_tables(cur, rate["locality"], first_day,
                                        referral.length_of_stay_days, loaded, known),
            fiscal_years=known, qrp_reduced=rate["qrp_reduced"],
            percent_of_pdpm=rate["pdpm_percent"])
    try:
        result = engine.evaluate(
            engine.Referral(length_of_stay_days=referral.length_of_stay_days,
                            acuity=referral.acuity,
                            required_services=tuple(referral.required_services),
                            medication_cost_per_day=referral.medication_cost_per_day,
                            received_at=when, classification=classification,
                            benefit_days_used=benefit_days_used,
                            interrupted_stay=interrupted, stated=tuple(stated),
                            skilled_days=referral.skilled_days, then_payer=then_payer,
                            admission_date=referral.expected_admission_date,
                            hiv_aids=referral.hiv_aids),
            engine.FacilityState(bed_count=facility["bed_count"],
                                 current_census=facility["current_census"],
                                 target_occupancy_pct=facility["target_occupancy_pct"]),
            payer["payer_type"],
            engine.Rate(method=rate["method"], per_diem=rate["per_diem"],
                        acuity_rates=_decimals(rate["acuity_rates"]), pdpm=pdpm_terms),
            engine.CostModel(
                fixed_daily_cost=model["fixed_daily_cost"],
                nursing_hours_per_day=_decimals(model["nursing_hours_per_day"]),
                nursing_wage_hourly=model["nursing_wage_hourly"],
                therapy_cost_per_day=model["therapy_cost_per_day"],
                service_costs=_decimals(model["service_costs"]),
                default_medication_cost_per_day=model["default_medication_cost_per_day"],
                supported_services=frozenset(model["supported_services"]),
                therapy_at_cmi_1={"PT": model["pt_cost_per_day_at_cmi_1"],
                                  "OT": model["ot_cost_per_day_at_cmi_1"],
                                  "SLP": model["slp_cost_per_day_at_cmi_1"]},
                labs_per_day=model["labs_cost_per_day"],
                imaging_per_day=model["imaging_cost_per_day"],
                supplies_per_day=model["supplies_cost_per_day"],
                transport_per_stay=model["transport_cost_per_stay"]),
            engine.Weights(factor_weights=weights.factor_weights,
                           target_margin_pct=weights.target_margin_pct,
                           margin_floor_pct=weights.margin_floor_pct,
                           payer_preferences=weights.payer_preferences,
                           accept_threshold=weights.accept_threshold,
                           review_threshold=weights.review_threshold,
                           coinsurance_collection_pct=weights.coinsurance_collection_pct),
        )
    except ValueError as exc:
        # Reference data that cannot price the stay (a QRP rate with no way to derive it).
        raise Unprocessable(str(exc)) from None
    evaluation = Evaluation.model_validate({
        **result,
        "facility": {"id": facility["id"], "name": facility["name"]},
        "payer": {"id": payer["id"], "name": payer["name"], "payer_type": payer["payer_type"]},
        "rate": rate,
        "length_of_stay_days": referral.length_of_stay_days,
    })
    return evaluation, rate
