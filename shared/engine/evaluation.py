"""From a referral and an organization's configuration to a complete evaluation: revenue and cost
per day and in total, margin, each factor's value, weight and contribution to a 0-100 score, hard
stops, and the recommendation. Pure: the same input always gives the same output."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shared.catalog import SERVICES
from shared.engine import pdpm
from shared.engine.money import ZERO, cents

HUNDRED = Decimal(100)
ONE_DP = Decimal("0.1")
MARGIN_PCT_LIMIT = Decimal("99999.99")

# When a Medicare Part A referral arrives before its 5-day assessment, the groups are unknown:
# assume a typical classification for the acuity (PT/OT TK, SLP SA, nursing and NTA by acuity).
DEFAULT_CLASSIFICATION = {
    "low": pdpm.Classification("TK", "SA", "PBC1", "NF"),
    "moderate": pdpm.Classification("TK", "SA", "CBC1", "NE"),
    "high": pdpm.Classification("TK", "SA", "HBC1", "ND"),
    "complex": pdpm.Classification("TK", "SA", "ES2", "NC"),
}


@dataclass(frozen=True)
class Referral:
    length_of_stay_days: int
    acuity: str
    required_services: tuple[str, ...]
    medication_cost_per_day: Decimal | None
    received_at: datetime
    classification: pdpm.Classification | None = None


@dataclass(frozen=True)
class FacilityState:
    bed_count: int
    current_census: int
    target_occupancy_pct: Decimal


@dataclass(frozen=True)
class PdpmTerms:
    tables: pdpm.Tables
    wage_index: Decimal
    vbp_multiplier: Decimal
    coinsurance_per_day: Decimal | None   # None: no amount loaded for the year


@dataclass(frozen=True)
class Rate:
    method: str                                   # per_diem, acuity, pdpm
    per_diem: Decimal | None = None
    acuity_rates: dict[str, Decimal] = field(default_factory=dict)
    pdpm: PdpmTerms | None = None


@dataclass(frozen=True)
class CostModel:
    fixed_daily_cost: Decimal
    nursing_hours_per_day: dict[str, Decimal]     # by acuity level
    nursing_wage_hourly: Decimal
    therapy_cost_per_day: Decimal
    service_costs: dict[str, Decimal]             # daily cost of each catalog service
    default_medication_cost_per_day: Decimal
    supported_services: frozenset[str]


@dataclass(frozen=True)
class Weights:
    factor_weights: dict[str, Decimal]            # margin, census, payer, clinical, risk
    target_margin_pct: Decimal
    margin_floor_pct: Decimal
    payer_preferences: dict[str, Decimal]         # payer type -> 0..100
    accept_threshold: Decimal
    review_threshold: Decimal


FACTORS = ("margin", "census", "payer", "clinical", "risk")


def _clamp(value: Decimal) -> Decimal:
    return min(HUNDRED, max(ZERO, value)).quantize(ONE_DP)


def revenue(referral: Referral, rate: Rate) -> dict:
    """Revenue of each day of the stay and in total, with the PDPM detail when it applies."""
    days = referral.length_of_stay_days
    detail = None
    if rate.method == "per_diem":
        amounts = [cents(rate.per_diem)] * days
    elif rate.method == "acuity":
        amounts = [cents(rate.acuity_rates[referral.acuity])] * days
    else:
        amounts, detail = _pdpm_revenue(referral, rate.pdpm)
    patient = detail["patient_pays_by_day"] if detail else [ZERO] * days
    by_day = [{"day": d + 1, "amount": a, "payer_pays": a - p, "patient_pays": p}
              for d, (a, p) in enumerate(zip(amounts, patient))]
    if detail:
        del detail["patient_pays_by_day"]
    total = sum(amounts, ZERO)
    return {"method": rate.method, "days": by_day, "total": total,
            "per_day_average": cents(total / days), "pdpm": detail}


def _pdpm_revenue(referral: Referral, terms: PdpmTerms) -> tuple[list[Decimal], dict]:
    tables = terms.tables
    assumed = referral.classification is None
    classification = referral.classification or DEFAULT_CLASSIFICATION[referral.acuity]
    rates = pdpm.component_rates(tables, classification)
    covered = pdpm.daily_per_diems(tables, rates, days=referral.length_of_stay_days,
                                   wage_index=terms.wage_index,
                                   vbp_multiplier=terms.vbp_multiplier)
    uncovered = referral.length_of_stay_days - len(covered)
    # From day 21 a daily coinsurance is the patient's (or a secondary payer's) share.
    coinsurance = terms.coinsurance_per_day if terms.coinsurance_per_day is not None else ZERO
    patient = [cents(min(coinsurance, amount)) if day >= pdpm.COINSURANCE_FROM_DAY else ZERO
               for day, amount in enumerate(covered, start=1)]
    groups = {"pt_ot": classification.pt_ot, "slp": classification.slp,
              "nursing": classification.nursing, "nta": classification.nta}
    detail = {
        "fiscal_year": tables.fiscal_year, "area": tables.area, "groups": groups,
        "hipps": "".join(_hipps_letter(tables, c, classification.group_of(c))
                         for c in ("PT", "SLP", "NURSING", "NTA")),
        "assumed_groups": assumed,
        "component_rates": rates, "wage_index": terms.wage_index,
        "vbp_multiplier": terms.vbp_multiplier, "labor_related_share": tables.labor_share,
        "covered_days": len(covered), "uncovered_days": uncovered,
        "coinsurance_per_day": cents(coinsurance),
        "coinsurance_known": terms.coinsurance_per_day is not None,
        "coinsurance_days": sum(1 for p in patient if p > 0),
        "coinsurance_total": sum(patient, ZERO),
        "patient_pays_by_day": patient + [ZERO] * uncovered,
    }
    return covered + [ZERO] * uncovered, detail


def _hipps_letter(tables: pdpm.Tables, component: str, group: str) -> str:
    return next(letter for letter, g in tables.hipps[component].items() if g == group)


def cost(referral: Referral, model: CostModel) -> dict:
    """The daily cost, item by item, and the total over the stay."""
    services = {s: cents(model.service_costs.get(s, ZERO)) for s in referral.required_services}
    medication = (referral.medication_cost_per_day if referral.medication_cost_per_day is not None
                  else model.default_medication_cost_per_day)
    breakdown = {
        "fixed": cents(model.fixed_daily_cost),
        "nursing": cents(model.nursing_hours_per_day[referral.acuity] * model.nursing_wage_hourly),
        "therapy": cents(model.therapy_cost_per_day),
        "services": services,
        "medication": cents(medication),
    }
    per_day = (breakdown["fixed"] + breakdown["nursing"] + breakdown["therapy"]
               + sum(services.values(), ZERO) + breakdown["medication"])
    return {"per_day": per_day, "breakdown": breakdown,
            "total": per_day * referral.length_of_stay_days}


def evaluate(referral: Referral, facility: FacilityState, payer_type: str, rate: Rate,
             model: CostModel, weights: Weights) -> dict:
    """The whole evaluation, as plain data the admission models validate and store."""
    earned = revenue(referral, rate)
    spent = cost(referral, model)
    margin = earned["total"] - spent["total"]
    # Past +-99,999.99 % (a rate of cents, say) the figure says nothing more: it is capped.
    margin_pct = (margin / earned["total"] * HUNDRED).quantize(Decimal("0.01")) \
        if earned["total"] > 0 else Decimal("-100.00")
    margin_pct = max(-MARGIN_PCT_LIMIT, min(MARGIN_PCT_LIMIT, margin_pct))

    unsupported = [s for s in referral.required_services if s not in model.supported_services]
    occupancy = Decimal(facility.current_census) / Decimal(facility.bed_count) * HUNDRED
    medication = spent["breakdown"]["medication"]
    revenue_per_day = earned["per_day_average"]
    medication_share = medication / revenue_per_day if revenue_per_day > 0 else Decimal(1)
    values = {
        "margin": _clamp(margin_pct / weights.target_margin_pct * HUNDRED),
        "census": _clamp(50 + 5 * (facility.target_occupancy_pct - occupancy)),
        "payer": _clamp(weights.payer_preferences.get(payer_type, Decimal(50))),
        "clinical": ZERO.quantize(ONE_DP) if unsupported else HUNDRED.quantize(ONE_DP),
        "risk": _clamp(HUNDRED - 200 * medication_share),
    }
    details = {
        "margin": f"margin {margin_pct}% against a target of {weights.target_margin_pct}%",
        "census": (f"occupancy {occupancy.quantize(ONE_DP)}% against a target of "
                   f"{facility.target_occupancy_pct}%"),
        "payer": f"the organization's preference for {payer_type}",
        "clinical": ("cannot provide: " + ", ".join(SERVICES.get(s, s) for s in unsupported))
                    if unsupported else "the facility provides every required service",
        "risk": (f"medication {medication}/day is {(medication_share * HUNDRED).quantize(ONE_DP)}%"
                 " of the daily revenue"),
    }
    total_weight = sum((weights.factor_weights.get(f, ZERO) for f in FACTORS), ZERO)
    factors, raw_score = [], ZERO
    for name in FACTORS:
        weight = weights.factor_weights.get(name, ZERO)
        share = weight * values[name] / total_weight if total_weight > 0 else ZERO
        raw_score += share
        factors.append({"name": name, "value": values[name], "weight": weight,
                        "contribution": share.quantize(ONE_DP), "detail": details[name]})
    score = raw_score.quantize(ONE_DP)

    hard_stops = []
    if unsupported:
        hard_stops.append({"code": "service_not_provided", "message": details["clinical"]})
    if margin_pct < weights.margin_floor_pct:
        hard_stops.append({"code": "margin_below_floor", "message":
                           f"margin {margin_pct}% is under the floor of {weights.margin_floor_pct}%"})
    if facility.current_census >= facility.bed_count:
        hard_stops.append({"code": "no_bed", "message": "the facility's census is at its bed count"})

    if hard_stops:
        recommendation = "decline"
    elif score >= weights.accept_threshold:
        recommendation = "accept"
    elif score >= weights.review_threshold:
        recommendation = "review"
    else:
        recommendation = "decline"

    assumptions = []
    if earned["pdpm"]:
        detail = earned["pdpm"]
        if detail["assumed_groups"]:
            assumptions.append(
                f"PDPM groups not given: assumed {detail['hipps']} "
                f"({', '.join(detail['groups'].values())}) for {referral.acuity} acuity.")
        assumptions.append("The PDPM classification is an estimate until the 5-day assessment.")
        if (not detail["coinsurance_known"]
                and referral.length_of_stay_days >= pdpm.COINSURANCE_FROM_DAY):
            assumptions.append(f"No SNF coinsurance amount is loaded for "
                               f"{referral.received_at.year}: the patient's share from day 21 "
                               "is not shown.")
        if detail["uncovered_days"]:
            assumptions.append(f"Medicare Part A covers at most {pdpm.MAX_COVERED_DAYS} days; "
                               f"{detail['uncovered_days']} day(s) earn nothing under it.")
    if referral.medication_cost_per_day is None:
        assumptions.append("Medication cost not given: the cost model's default was used.")

    return {"revenue": earned, "cost": spent, "margin": margin, "margin_pct": margin_pct,
            "factors": factors, "score": score, "recommendation": recommendation,
            "hard_stops": hard_stops, "assumptions": assumptions}
