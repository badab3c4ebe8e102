"""Gather what an evaluation needs from the organization's configuration, and run the engine.
Every missing piece is a 422 that says what to set up."""
from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
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

# PDPM reference data changes only with a migration or the operator's load of a year, each of
# which bumps the reference version: keep each year and area's tables once per process, for the
# version the request read, and drop the older versions' when a newer one is seen.
_tables: dict[tuple[int, int, str], pdpm.Tables] = {}
_tables_lock = threading.Lock()


def _pdpm_tables(cur, version: int, fiscal_year: int, area: str) -> pdpm.Tables:
    key = (version, fiscal_year, area)
    tables = _tables.get(key)
    if tables is None:
        tables = pdpm_tables.load_tables(cur, fiscal_year=fiscal_year, area=area)
        if tables is None:
            raise Unprocessable(f"No Medicare PDPM reference data for FY{fiscal_year}.")
        with _tables_lock:
            for older in [k for k in _tables if k[0] < version]:
                del _tables[older]
            _tables[key] = tables
    return tables


def _decimals(values: dict | None) -> dict[str, Decimal]:
    """Amounts kept in jsonb come back as text (or floats): make them Decimal again."""
    return {key: Decimal(str(value)) for key, value in (values or {}).items()}


def stamped(referral: ReferralIn) -> ReferralIn:
    """The referral with its received time: now, once, when the user gave none (the rate and
    the stored admission must agree on the day, even across midnight)."""
    if referral.referral_received_at is not None:
        return referral
    return referral.model_copy(update={"referral_received_at": datetime.now(timezone.utc)})


def _stay_tables(cur, area: str, first_day: date, days: int,
                 reference: pdpm_tables.StayReference) -> dict[int, pdpm.Tables]:
    """The tables of each fiscal year the stay's days fall in; for a year not loaded, the
    newest (or oldest) loaded year's."""
    loaded = reference.fiscal_years
    if not loaded:
        return {}
    first = pdpm.fiscal_year_of(first_day)
    last = pdpm.fiscal_year_of(first_day + timedelta(days=days - 1))
    needed = {year if year in loaded else (loaded[-1] if year > loaded[-1] else loaded[0])
              for year in range(first, last + 1)}
    return {year: _pdpm_tables(cur, reference.version, year, area) for year in sorted(needed)}


INTERRUPTION_WINDOW_DAYS = 3   # 42 CFR 413.343: the discharge day and the next two
# 42 CFR 409.60(b)(1): "A benefit period ends when a beneficiary has, for at least 60
# consecutive days not been an inpatient" of a hospital, a CAH or a SNF. The discharge day is
# not an inpatient day (a day of discharge is not counted: SSA POMS HI 00601.270).
BENEFIT_PERIOD_ENDS_AFTER_DAYS = 60


def _interrupted_stay(cur, organization_id: uuid.UUID, facility: dict, referral: ReferralIn,
                      first_day: date) -> tuple[dict | None, int, int, bool]:
    """The prior stay an interrupted stay continues (None when the readmission falls after
    the interruption window, or is to another facility: a new stay), the benefit days used by
    the prior stay (0 when 60 days or more lie between: a new benefit period), the days
    between, and whether the prior stay was at another facility (its days still count in the
    benefit period, which is the beneficiary's, not the facility's)."""
    field = "prior_case_number"
    prior = admissions_repository.get_by_case_number(
        cur, organization_id=organization_id, case_number=referral.prior_case_number)
    if prior is None:
        raise Unprocessable.for_fields({field: "no admission of the organization has it"})
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
    # 42 CFR 413.343: an interrupted stay is a readmission to the same SNF.
    elsewhere = prior["facility_id"] != facility["id"]
    if gap >= INTERRUPTION_WINDOW_DAYS or elsewhere:
        return None, used, gap, elsewhere
    # A prior stay that itself continued an earlier one carries that chain's days: the
    # schedule goes on from the chain's length, not from the last stay's alone.
    chained = (prior_pdpm.get("interrupted_stay") or {}).get("prior_days", 0)
    interrupted = {"prior_case_number": prior["case_number"],
                   "prior_days": chained + prior["length_of_stay_days"], "gap_days": gap}
    return interrupted, used, gap, False


def _unpriced(rates_in_force: list[dict], first_day: date, last_day: date) -> str | None:
    """The days of the stay no rate covers, in words ("from 2026-10-01 to 2026-10-08 (days 3-10
    of the stay)"); None when every day has one."""
    if any(r["effective_from"] <= first_day
           and (r["effective_to"] is None or last_day <= r["effective_to"])
           for r in rates_in_force):
        return None  # one rate covers the stay (most stays): no day to look at
    spans, start = [], None
    # One day past the stay counts as covered, so a span running to its end is closed.
    for n in range((last_day - first_day).days + 2):
        day = first_day + timedelta(days=n)
        covered = day > last_day or any(
            r["effective_from"] <= day and (r["effective_to"] is None or day <= r["effective_to"])
            for r in rates_in_force)
        if not covered and start is None:
            start = n
        elif covered and start is not None:
            a, b = first_day + timedelta(days=start), first_day + timedelta(days=n - 1)
            spans.append(f"on {a} (day {start + 1} of the stay)" if a == b else
                         f"from {a} to {b} (days {start + 1}-{n} of the stay)")
            start = None
    return " and ".join(spans) or None


def _days_in_force(rate: dict, first_day: date, last_day: date) -> dict:
    """The rate and the days of the stay it is in force on (the evaluation's `rates`)."""
    start = max(rate["effective_from"], first_day)
    end = min(rate["effective_to"] or last_day, last_day)
    return {"id": rate["id"], "payer_id": rate["payer_id"], "method": rate["method"],
            "effective_from": rate["effective_from"], "effective_to": rate["effective_to"],
            "first_day": (start - first_day).days + 1, "last_day": (end - first_day).days + 1,
            "first_date": start, "last_date": end}


def _rates_over_stay(cur, organization_id: uuid.UUID, facility: dict, payer: dict, rate: dict,
                     first_day: date, last_day: date) -> list[dict]:
    """The payer's rates in force over the stay: `rate`, the first day's, then those after it
    when it ends before the stay does. A day none covers is the 422 of a stay without a rate."""
    in_force = [rate]
    if rate["effective_to"] is not None and rate["effective_to"] < last_day:
        in_force += rates.in_force_between(
            cur, organization_id=organization_id, facility_id=facility["id"],
            payer_id=payer["id"], first=rate["effective_to"] + timedelta(days=1), last=last_day)
    unpriced = _unpriced(in_force, first_day, last_day)
    if unpriced:
        raise Unprocessable(f"No rate of {payer['name']} at {facility['name']} is in force "
                            f"{unpriced}. Add one under Rates.")
    if len({r["method"] == "pdpm" for r in in_force}) > 1:
        change = next(r for r in in_force[1:]
                      if (r["method"] == "pdpm") != (rate["method"] == "pdpm"))
        raise Unprocessable(f"The rates of {payer['name']} at {facility['name']} change from "
                            f"{rate['method']} to {change['method']} on "
                            f"{change['effective_from']}, during the stay: a stay is priced by "
                            "PDPM throughout or not at all. Make the rates agree.")
    return in_force


def _terms_in_words(rate: dict, acuity: str) -> str:
    if rate["method"] == "pdpm":
        return (f"PDPM FY{rate['fiscal_year']}, wage index {rate['wage_index']}, VBP multiplier "
                f"{rate['vbp_multiplier']}" + (", QRP-reduced" if rate["qrp_reduced"] else "")
                + (f", {rate['pdpm_percent']}% of PDPM" if rate["pdpm_percent"] else ""))
    if rate["method"] == "per_diem":
        return f"per diem {rate['per_diem']}"
    return f"{acuity} acuity {_decimals(rate['acuity_rates'])[acuity]} a day"


def _rate_change_stated(in_force: list[dict], first_day: date, last_day: date,
                        acuity: str) -> str:
    """Which rate priced which days, when more than one did."""
    parts = []
    for rate in in_force:
        days = _days_in_force(rate, first_day, last_day)
        period = (f"from {rate['effective_from']} to {rate['effective_to']}"
                  if rate["effective_to"] else f"from {rate['effective_from']}")
        parts.append(f"days {days['first_day']}-{days['last_day']} ({days['first_date']} to "
                     f"{days['last_date']}) with its rate in force {period} "
                     f"({_terms_in_words(rate, acuity)})")
    return "The payer's rate changes during the stay, so each day is priced by the rate in " \
           "force on it: " + "; ".join(parts) + "."


def _then_payer(cur, organization_id: uuid.UUID, facility: dict, referral: ReferralIn,
                rate: dict, first_day: date, last_day: date
                ) -> tuple[engine.ThenPayer, list[dict]]:
    """Who pays after the Medicare stay, at its per diem (or its rate for the acuity) in force
    on each day, and those rates; they must cover the stay, as the payer's must."""
    field = "then_payer_id"
    if rate["method"] != "pdpm":
        raise Unprocessable.for_fields({field: "a then-payer follows a Medicare Part A (PDPM) "
                                               "stay; this referral's rate is not PDPM"})
    payer = lifecycle.require_referenced(cur, payers, organization_id, referral.then_payer_id,
                                         field)
    in_force = rates.in_force_between(cur, organization_id=organization_id,
                                      facility_id=facility["id"], payer_id=payer["id"],
                                      first=first_day, last=last_day)
    unpriced = _unpriced(in_force, first_day, last_day)
    if unpriced:
        raise Unprocessable.for_fields({field: f"{payer['name']} has no rate at "
                                               f"{facility['name']} in force {unpriced}"})
    if any(r["method"] == "pdpm" for r in in_force):
        raise Unprocessable.for_fields({field: "the then-payer pays by a per diem or acuity "
                                               "rate (Medicaid, private pay), not PDPM"})
    amounts = [(r["effective_from"], r["per_diem"] if r["method"] == "per_diem"
                else _decimals(r["acuity_rates"])[referral.acuity]) for r in in_force]
    return engine.ThenPayer(name=payer["name"], payer_type=payer["payer_type"],
                            per_day=amounts[0][1], later=tuple(amounts[1:])), in_force


def _medicare_only_given(referral: ReferralIn) -> str:
    """The Medicare Part A details the referral gave, in words ("the HIPPS code, skilled
    days"); empty when it gave none."""
    given = [name for name, value in (
        ("the HIPPS code", referral.hipps_code), ("the PDPM groups", referral.pdpm_groups),
        ("benefit days used", referral.benefit_days_used),
        ("skilled days", referral.skilled_days), ("HIV/AIDS", referral.hiv_aids or None))
        if value is not None]
    return ", ".join(given)


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


def first_day_of(referral: ReferralIn) -> date:
    """The stay's first day: the expected admission date, else the day (UTC) it was received."""
    return (referral.expected_admission_date
            or referral.referral_received_at.astimezone(timezone.utc).date())


class Configurations:
    """The configurations `configuration` read, per process, least recently used first out.
    Keyed by the organization's configuration version and the reference data's (read with the
    session in the request's transaction; every write bumps its version in its own statement),
    with the organization and what selects the rows: a hit is what a read would return."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, value: dict) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# A few kB each; enough for every facility x payer of a few hundred organizations a day.
configurations = Configurations(size=2048)


def configuration(cur, organization_id: uuid.UUID, referral: ReferralIn,
                  versions: tuple[int, int] | None = None) -> dict:
    """What evaluating a (stamped) referral reads of the organization's configuration: its
    facility and payer (each active, or the 422 naming the field), the rate in force on the
    stay's first day and the cost model (checked by `evaluate`), the business weights, the PDPM
    reference. With the caller's `versions` (Caller.configuration_versions) from the cache when
    it holds them, else read in one round trip (and kept). The rows are shared: read only."""
    # The rate in force on the stay's first day; evaluate reads any that follow it.
    on = first_day_of(referral)
    if versions is None:
        return _read_configuration(cur, organization_id, referral, on)
    key = (organization_id, versions, referral.facility_id, referral.payer_id, on)
    found = configurations.get(key)
    if found is None:
        found = _read_configuration(cur, organization_id, referral, on)
        configurations.put(key, found)
    return found


def _read_configuration(cur, organization_id: uuid.UUID, referral: ReferralIn,
                        on: date) -> dict:
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
    first_day = first_day_of(referral)
    last_day = first_day + timedelta(days=referral.length_of_stay_days - 1)
    if read is not None:
        rate, model, weights = read["rate"], read["model"], read["weights"]
    else:
        rate = rates.in_force(cur, organization_id=organization_id, facility_id=facility["id"],
                              payer_id=payer["id"], on=first_day)
        model = cost_models.active_for_facility(cur, organization_id=organization_id,
                                                facility_id=facility["id"])
    if rate is None:
        raise Unprocessable(f"No rate of {payer['name']} at {facility['name']} is in force on "
                            f"{first_day}, the stay's first day. Add one under Rates.")
    if model is None:
        raise Unprocessable(f"{facility['name']} has no active cost model. Add one under "
                            "Cost models.")
    weights = weights or get_weights(cur, organization_id)
    # Each day of the stay is priced by the rate in force on it (tester defect 1).
    in_force = _rates_over_stay(cur, organization_id, facility, payer, rate, first_day,
                                last_day)

    classification, pdpm_terms, interrupted = None, None, None
    benefit_days_used = referral.benefit_days_used
    stated = []
    if len(in_force) > 1:
        stated.append(_rate_change_stated(in_force, first_day, last_day, referral.acuity))
    if referral.prior_case_number and rate["method"] != "pdpm":
        raise Unprocessable.for_fields({"prior_case_number": "an interrupted stay continues a "
                                        "Medicare Part A PDPM stay; this rate is not PDPM"})
    if rate["method"] != "pdpm" and (unused := _medicare_only_given(referral)):
        stated.append(f"Not used: {unused}. They price a Medicare Part A PDPM stay; this "
                      f"payer's rate is {engine.RATE_METHOD_WORDS[rate['method']]}.")
    then_payer, then_rates = None, []
    if referral.then_payer_id is not None:
        then_payer, then_rates = _then_payer(cur, organization_id, facility, referral, rate,
                                             first_day, last_day)
    if rate["method"] == "pdpm":
        for r in in_force:
            mismatches = facility_mismatches(facility, r)
            if mismatches:
                stated.append(
                    ("The Medicare rate's " if r is rate
                     else f"The Medicare rate from {r['effective_from']}: ")
                    + "; ".join(f"{f.replace('_', ' ')} {m}" for f, m in mismatches.items())
                    + (": kept by an explicit override when it was saved." if
                       r["facility_mismatch_override"] else
                       ": the facility changed after the rate was saved; the rate's was used."))
        if referral.prior_case_number:
            interrupted, prior_used, gap, elsewhere = _interrupted_stay(
                cur, organization_id, facility, referral, first_day)
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
            if elsewhere:
                stated.append(f"{prior} was at another facility: this is a new stay, whose "
                              "variable per diem starts again (an interrupted stay is a "
                              "readmission to the same SNF, 42 CFR 413.343).")
            elif interrupted is None and gap < BENEFIT_PERIOD_ENDS_AFTER_DAYS:
                stated.append(f"{prior} ended 3 or more days before this admission: a new "
                              "stay, whose variable per diem starts again.")
        # A few rows: read each time (with the configuration when it was read), so a newly
        # loaded year counts at once.
        reference = (read["pdpm_reference"] if read is not None
                     else pdpm_tables.stay_reference(cur))
        terms = {r["id"]: _pdpm_terms(cur, r, first_day, referral.length_of_stay_days,
                                      reference) for r in in_force}
        pdpm_terms = terms[rate["id"]]
        classification = _classification(pdpm_terms.tables, referral)
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
            _engine_rate(rate, pdpm_terms),
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
            later_rates=tuple(_engine_rate(r, terms[r["id"]] if pdpm_terms else None,
                                           starts=r["effective_from"]) for r in in_force[1:]),
        )
    except ValueError as exc:
        # Reference data that cannot price the stay (a QRP rate with no way to derive it).
        raise Unprocessable(str(exc)) from None
    evaluation = Evaluation.model_validate({
        **result,
        "facility": {"id": facility["id"], "name": facility["name"]},
        "payer": {"id": payer["id"], "name": payer["name"], "payer_type": payer["payer_type"]},
        "rate": rate,
        "rates": [_days_in_force(r, first_day, last_day) for r in in_force + then_rates],
        "length_of_stay_days": referral.length_of_stay_days,
    })
    return evaluation, rate


def _pdpm_terms(cur, rate: dict, first_day: date, days: int,
                reference: pdpm_tables.StayReference) -> engine.PdpmTerms:
    """A PDPM rate's terms, with the tables of each fiscal year the stay's days fall in."""
    return engine.PdpmTerms(
        tables=_pdpm_tables(cur, reference.version, rate["fiscal_year"], rate["locality"]),
        wage_index=rate["wage_index"], vbp_multiplier=rate["vbp_multiplier"],
        coinsurance_per_day=None, coinsurance_by_year=reference.coinsurance_by_year,
        tables_by_year=_stay_tables(cur, rate["locality"], first_day, days, reference),
        fiscal_years=reference.fiscal_year_info, qrp_reduced=rate["qrp_reduced"],
        percent_of_pdpm=rate["pdpm_percent"])


def _engine_rate(rate: dict, pdpm_terms: engine.PdpmTerms | None,
                 starts: date | None = None) -> engine.Rate:
    return engine.Rate(method=rate["method"], per_diem=rate["per_diem"],
                       acuity_rates=_decimals(rate["acuity_rates"]), pdpm=pdpm_terms,
                       effective_from=starts)
