"""From a referral and an organization's configuration to a complete evaluation: revenue and cost
per day and in total, margin, each factor's value, weight and contribution to a 0-100 score, hard
stops, and the recommendation. Pure: the same input always gives the same output."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from shared.catalog import PAYER_TYPES, SERVICES
from shared.engine import pdpm
from shared.engine.money import ZERO, cents

HUNDRED = Decimal(100)
ONE_DP = Decimal("0.1")
MARGIN_PCT_LIMIT = Decimal("99999.99")
# Medicare FFS payments are reduced 2% after coinsurance (sequestration, 2 USC 901a(6)(A)).
SEQUESTRATION = Decimal("0.02")
# Unpaid coinsurance of a beneficiary is reimbursed as bad debt at 65% (42 USC 1395x(v)(1)(V)).
BAD_DEBT_REIMBURSED = Decimal("0.65")

# When a Medicare Part A referral arrives before its 5-day assessment, the groups are unknown:
# assume a typical classification for the acuity (PT/OT TK, SLP SA, nursing and NTA by acuity).
DEFAULT_CLASSIFICATION = {
    "low": pdpm.Classification("TK", "SA", "PBC1", "NF"),
    "moderate": pdpm.Classification("TK", "SA", "CBC1", "NE"),
    "high": pdpm.Classification("TK", "SA", "HBC1", "ND"),
    "complex": pdpm.Classification("TK", "SA", "ES2", "NC"),
}


@dataclass(frozen=True)
class ThenPayer:
    name: str
    payer_type: str
    per_day: Decimal
    # (first day, per day) of each of its rates that comes into force during the stay.
    later: tuple[tuple[date, Decimal], ...] = ()

    def per_day_on(self, day: date) -> Decimal:
        """Its amount a day by the rate in force on that day."""
        return next((amount for starts, amount in reversed(self.later) if starts <= day),
                    self.per_day)


@dataclass(frozen=True)
class Referral:
    length_of_stay_days: int
    acuity: str
    required_services: tuple[str, ...]
    medication_cost_per_day: Decimal | None
    received_at: datetime
    classification: pdpm.Classification | None = None
    # SNF days of the current benefit period used before this stay; None: not known.
    benefit_days_used: int | None = None
    # The first day of the stay; None: the day the referral was received.
    admission_date: date | None = None
    # An HIV/AIDS (B20) diagnosis: nursing x 1.18 and the NTA remap, as the pricer does.
    hiv_aids: bool = False
    # An interrupted stay (readmission to the same SNF within the 3-day interruption window):
    # the prior stay's days, which the variable per diem schedule continues from.
    interrupted_stay: dict | None = None     # prior_case_number, prior_days, gap_days
    # What the caller assumed in gathering these inputs, said with the engine's own.
    stated: tuple[str, ...] = ()
    # Days of skilled need: Medicare Part A covers no day after it (None: the whole stay).
    skilled_days: int | None = None
    # Who pays the days Medicare does not cover (Medicaid, private pay, ...), by its rate.
    then_payer: ThenPayer | None = None

    @property
    def vpd_prior_days(self) -> int:
        return self.interrupted_stay["prior_days"] if self.interrupted_stay else 0

    @property
    def first_day(self) -> date:
        return self.admission_date or self.received_at.date()


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
    # The daily coinsurance by calendar year (42 USC 1395e(b)(3): the year each day is
    # furnished). Empty: `coinsurance_per_day` for every day.
    coinsurance_by_year: dict[int, Decimal] = field(default_factory=dict)
    # The tables of each fiscal year the stay's days fall in (or the nearest loaded), and what
    # is known of each year. Empty: `tables` prices every day.
    tables_by_year: dict[int, pdpm.Tables] = field(default_factory=dict)
    fiscal_years: dict[int, pdpm.FiscalYear] = field(default_factory=dict)
    # The facility did not meet the SNF QRP: the reduced rates (the update less 2 points).
    qrp_reduced: bool = False
    # A Medicare Advantage contract paying this percentage of the PDPM per diem: the plan's
    # terms replace Original Medicare's coinsurance, sequestration and bad debt.
    percent_of_pdpm: Decimal | None = None

    def tables_for(self, fiscal_year: int) -> pdpm.Tables:
        """That year's tables; past the newest loaded, the newest; before the oldest, the
        oldest (each said in the evaluation's assumptions)."""
        if not self.tables_by_year:
            return self.tables
        if fiscal_year in self.tables_by_year:
            return self.tables_by_year[fiscal_year]
        loaded = sorted(self.tables_by_year)
        return self.tables_by_year[loaded[-1] if fiscal_year > loaded[-1] else loaded[0]]


@dataclass(frozen=True)
class Rate:
    method: str                                   # per_diem, acuity, pdpm
    per_diem: Decimal | None = None
    acuity_rates: dict[str, Decimal] = field(default_factory=dict)
    pdpm: PdpmTerms | None = None
    # The first day it prices when it comes into force during the stay (a later rate).
    effective_from: date | None = None


def rate_of_each_day(referral: Referral, rate: Rate, later_rates: tuple[Rate, ...]) -> list[Rate]:
    """The rate in force on each day of the stay: `rate` from the first day, then each of
    `later_rates` (by effective_from) from its first day on."""
    return [next((r for r in reversed(later_rates)
                  if r.effective_from <= referral.first_day + timedelta(days=d)), rate)
            for d in range(referral.length_of_stay_days)]


@dataclass(frozen=True)
class CostModel:
    fixed_daily_cost: Decimal
    nursing_hours_per_day: dict[str, Decimal]     # by acuity level
    nursing_wage_hourly: Decimal
    therapy_cost_per_day: Decimal
    service_costs: dict[str, Decimal]             # daily cost of each catalog service
    default_medication_cost_per_day: Decimal
    supported_services: frozenset[str]
    # Therapy by discipline at a PDPM case-mix index of 1.0, scaled by the stay's CMIs; None:
    # not in the model (the flat `therapy_cost_per_day` is used).
    therapy_at_cmi_1: dict[str, Decimal | None] = field(default_factory=dict)  # PT, OT, SLP
    # Lines a day (labs, imaging, supplies) and once a stay (transport); None: not in the model.
    labs_per_day: Decimal | None = None
    imaging_per_day: Decimal | None = None
    supplies_per_day: Decimal | None = None
    transport_per_stay: Decimal | None = None


@dataclass(frozen=True)
class Weights:
    factor_weights: dict[str, Decimal]            # margin, census, payer, clinical, risk
    target_margin_pct: Decimal
    margin_floor_pct: Decimal
    payer_preferences: dict[str, Decimal]         # payer type -> 0..100
    accept_threshold: Decimal
    review_threshold: Decimal
    # The share of Medicare coinsurance the facility expects to collect; the rest is bad debt.
    coinsurance_collection_pct: Decimal = HUNDRED


FACTORS = ("margin", "census", "payer", "clinical", "risk")


def _clamp(value: Decimal) -> Decimal:
    return min(HUNDRED, max(ZERO, value)).quantize(ONE_DP)


def revenue(referral: Referral, rate: Rate, collection_pct: Decimal = HUNDRED,
            later_rates: tuple[Rate, ...] = (), *, payer_type: str) -> dict:
    """Revenue of each day of the stay and in total, each day by the rate in force on it, with
    the PDPM detail when it applies, and the payment adjustments Medicare applies as their own
    lines. The rates of one stay are all PDPM or none (the caller's check). Original Medicare's
    rules (the 100-day benefit period, coinsurance, sequestration, bad debt) follow the payer's
    type, not the rate's method: a state Medicaid program or a contract may pay by PDPM too."""
    days = referral.length_of_stay_days
    day_rates = rate_of_each_day(referral, rate, later_rates)
    detail = None
    if rate.method != "pdpm":
        amounts = [cents(r.per_diem if r.method == "per_diem" else r.acuity_rates[referral.acuity])
                   for r in day_rates]
    else:
        amounts, detail = _pdpm_revenue(referral, [r.pdpm for r in day_rates], payer_type)
    patient = detail["patient_pays_by_day"] if detail else [ZERO] * days
    facts = detail["day_facts"] if detail else [{} for _ in range(days)]
    first_day = referral.first_day
    by_day = []
    lines = {code: ZERO for code in ADJUSTMENTS}
    for d, (a, p, fact) in enumerate(zip(amounts, patient, facts)):
        day = {"day": d + 1, "date": first_day + timedelta(days=d), "amount": a,
               "patient_pays": p, **fact}
        if detail is None:
            day.update(payer_pays=a - p, net=a)
        else:
            payment = a + fact["hiv_aids_adjustment"] + fact["qrp_reduction"]
            payer = payment - p
            collected = cents(p * collection_pct / HUNDRED)
            uncollected = p - collected
            bad_debt = cents(uncollected * BAD_DEBT_REIMBURSED)
            # The 2% falls on what Original Medicare pays: its share after coinsurance, and
            # (settled on the cost report) its bad debt reimbursement; not on a then-payer's
            # days nor on a Medicare Advantage contract's.
            sequestered = fact["covered"] and fact["original_medicare"]
            sequestration = (-cents((payer + bad_debt) * SEQUESTRATION) if sequestered
                             else ZERO)
            day.update(payer_pays=payer, sequestration=sequestration,
                       uncollected_coinsurance=-uncollected, bad_debt_reimbursement=bad_debt,
                       net=payer + collected + bad_debt + sequestration)
            for code in ADJUSTMENTS:
                lines[code] += day[code]
        by_day.append(day)
    adjustments = []
    if detail:
        del detail["patient_pays_by_day"], detail["day_facts"]
        shown = {"hiv_aids_adjustment": referral.hiv_aids,
                 "qrp_reduction": any(r.pdpm.qrp_reduced for r in day_rates),
                 "sequestration": any(f["original_medicare"] for f in facts),
                 "uncollected_coinsurance": detail["coinsurance_total"] > 0,
                 "bad_debt_reimbursement": detail["coinsurance_total"] > 0}
        adjustments = [{"code": code, "label": label, "amount": lines[code]}
                       for code, label in ADJUSTMENTS.items() if shown[code]]
    total = sum(amounts, ZERO)
    return {"method": rate.method, "days": by_day, "total": total,
            "per_day_average": cents(total / days), "pdpm": detail,
            "adjustments": adjustments,
            "net_total": total + sum((a["amount"] for a in adjustments), ZERO)}


ADJUSTMENTS = {
    "hiv_aids_adjustment": "HIV/AIDS: nursing x 1.18 and the NTA remap (CMS SNF pricer)",
    "qrp_reduction": "SNF QRP not met: the annual update less 2 percentage points",
    "sequestration": "Sequestration: 2% of the Medicare payment after coinsurance",
    "uncollected_coinsurance": "Coinsurance not expected to be collected (business weights)",
    "bad_debt_reimbursement": "Medicare bad debt: 65% of the uncollected coinsurance",
}


def _coinsurance_of_year(terms: PdpmTerms, year: int) -> tuple[Decimal | None, int | None]:
    """The daily coinsurance for a day furnished in `year`, and the year whose amount it is:
    that year's, else the latest earlier year's (stated as an assumption), else none."""
    if not terms.coinsurance_by_year:
        return terms.coinsurance_per_day, (year if terms.coinsurance_per_day is not None else None)
    known = [y for y in terms.coinsurance_by_year if y <= year]
    if not known:
        return None, None
    return terms.coinsurance_by_year[max(known)], max(known)


PART_A = "medicare_a"  # the payer type whose PDPM rate is Original Medicare's
# Payer types whose days follow the benefit period (100 days, skilled need): Original Medicare,
# and Medicare Advantage plans, taken to cover SNF days as it does.
MEDICARE = (PART_A, "medicare_advantage")
# A rate that is not PDPM, in words (what an assumption says of it).
RATE_METHOD_WORDS = {"per_diem": "a per diem", "acuity": "by acuity level"}


def original_medicare(payer_type: str, percent_of_pdpm: Decimal | None) -> bool:
    """Original Medicare Part A pays: coinsurance and sequestration apply (not a contract's
    percentage of PDPM, not another payer paying by PDPM)."""
    return payer_type == PART_A and percent_of_pdpm is None


def _pdpm_revenue(referral: Referral, terms_by_day: list[PdpmTerms], payer_type: str
                  ) -> tuple[list[Decimal], dict]:
    """Each day by the PDPM terms of the rate in force on it (`terms_by_day`). Coinsurance
    and sequestration are Original Medicare's (Part A, not a contract's percentage of PDPM);
    the benefit period is Medicare's; another payer paying by PDPM pays every day."""
    medicare = payer_type in MEDICARE
    terms = terms_by_day[0]
    tables = terms.tables
    assumed = referral.classification is None
    classification = referral.classification or DEFAULT_CLASSIFICATION[referral.acuity]
    rates_by_year: dict[int, dict[str, Decimal]] = {}
    used = referral.benefit_days_used or 0
    first_day = referral.first_day
    amounts, patient, days = [], [], []
    coinsurance_years: dict[int, dict] = {}
    coinsurance_days: list[int] = []   # the benefit days that owe Original Medicare's
    fiscal_years: dict[int, dict] = {}
    variants: dict[tuple[int, bool], dict] = {}
    qrp_by_method: dict[int, list[str]] = {}  # a year's QRP-reduced rates derived, not published
    for day, day_terms in enumerate(terms_by_day, start=1):
        when = first_day + timedelta(days=day - 1)
        benefit_day = used + day
        original = original_medicare(payer_type, day_terms.percent_of_pdpm)
        skilled = not medicare or referral.skilled_days is None or day <= referral.skilled_days
        covered = skilled and (benefit_day <= pdpm.MAX_COVERED_DAYS or not medicare)
        # Each day is priced by the tables of the fiscal year it falls in.
        fiscal_year = pdpm.fiscal_year_of(when)
        day_tables = day_terms.tables_for(fiscal_year)
        known = day_terms.fiscal_years.get(day_tables.fiscal_year)
        if day_tables.fiscal_year not in rates_by_year:
            rates_by_year[day_tables.fiscal_year] = pdpm.component_rates(day_tables,
                                                                         classification)
        # The adjusted rates also depend on the rate's QRP flag, which a later rate may change.
        variant_key = (day_tables.fiscal_year, day_terms.qrp_reduced)
        if variant_key not in variants:
            net_update = known.net_update if known else None
            variants[variant_key] = {
                "hiv": pdpm.component_rates(day_tables, classification,
                                            hiv_aids=referral.hiv_aids),
                "final": pdpm.component_rates(day_tables, classification,
                                              qrp=day_terms.qrp_reduced, net_update=net_update,
                                              hiv_aids=referral.hiv_aids)}
            derived = ([c for c in day_tables.base_rates
                        if pdpm.qrp_base_rate(day_tables, c, net_update)[1]]
                       if day_terms.qrp_reduced else [])
            if derived:
                qrp_by_method[day_tables.fiscal_year] = derived
        status = known.status if known else None
        year = fiscal_years.setdefault(fiscal_year, {
            "fiscal_year": fiscal_year, "priced_with": day_tables.fiscal_year, "status": status,
            "rule": known.rule if known else None, "notes": known.notes if known else None,
            "days": 0, "rate_fiscal_year": day_terms.tables.fiscal_year})
        year["days"] += 1
        amount = with_hiv = payment = ZERO
        if covered:
            # The variable per diem counts days of this stay, not of the benefit period.
            # An interrupted stay continues the prior stay's schedule (capped at the table's
            # last day, 100: no covered day of a benefit period lies beyond it).
            vpd_day = min(referral.vpd_prior_days + day, pdpm.MAX_COVERED_DAYS)

            def pay(rates):
                return pdpm.claim_payment(day_tables, rates, prior_days=vpd_day - 1, days=1,
                                          wage_index=day_terms.wage_index,
                                          vbp_multiplier=day_terms.vbp_multiplier).payment
            amount = pay(rates_by_year[day_tables.fiscal_year])
            variant = variants[variant_key]
            with_hiv = pay(variant["hiv"]) if referral.hiv_aids else amount
            payment = pay(variant["final"]) if day_terms.qrp_reduced else with_hiv
            if day_terms.percent_of_pdpm is not None:
                amount, with_hiv, payment = (cents(v * day_terms.percent_of_pdpm / HUNDRED)
                                             for v in (amount, with_hiv, payment))
        elif referral.then_payer:
            # After Medicare: the then-payer's rate in force that day, so the days are not
            # left at $0.
            amount = with_hiv = payment = cents(referral.then_payer.per_day_on(when))
        share, amount_year = ZERO, None
        # Coinsurance runs from day 21 of the benefit period, at the amount of the calendar
        # year the day is furnished in, never more than the day's payment. A Medicare
        # Advantage contract's own cost sharing replaces it.
        owes_coinsurance = covered and benefit_day >= pdpm.COINSURANCE_FROM_DAY and original
        if owes_coinsurance:
            coinsurance_days.append(benefit_day)
            per_day, amount_year = _coinsurance_of_year(day_terms, when.year)
            if per_day is not None:
                share = cents(min(per_day, payment))
                year = coinsurance_years.setdefault(when.year, {
                    "calendar_year": when.year, "per_day": cents(per_day),
                    "amount_of_year": amount_year, "days": 0, "total": ZERO})
                year["days"] += 1
                year["total"] += share
        amounts.append(amount)
        patient.append(share)
        days.append({"date": when, "benefit_day": benefit_day, "covered": covered,
                     "skilled": skilled, "original_medicare": original,
                     "paid_by": (("medicare" if medicare else "payer") if covered else
                                 "then_payer" if referral.then_payer else None),
                     "coinsurance_year": when.year if share > 0 else None,
                     "fiscal_year": fiscal_year, "priced_with_fiscal_year": day_tables.fiscal_year,
                     "rates_status": status, "hiv_aids_adjustment": with_hiv - amount,
                     "qrp_reduction": payment - with_hiv})
    covered_days = sum(1 for d in days if d["covered"])
    first_coinsurance = next((d for d in days if coinsurance_days
                              and d["benefit_day"] == coinsurance_days[0]), None)
    start_amount, _ = _coinsurance_of_year(
        terms, (first_coinsurance["date"] if first_coinsurance else first_day).year)
    groups = {"pt_ot": classification.pt_ot, "slp": classification.slp,
              "nursing": classification.nursing, "nta": classification.nta}
    first_tables = terms.tables_for(pdpm.fiscal_year_of(first_day))
    detail = {
        "fiscal_year": tables.fiscal_year, "area": tables.area, "groups": groups,
        "hipps": "".join(_hipps_letter(tables, c, classification.group_of(c))
                         for c in ("PT", "SLP", "NURSING", "NTA")),
        "assumed_groups": assumed,
        # The first day's: a stay crossing 1 October has each year's in `fiscal_years`.
        "component_rates": rates_by_year[first_tables.fiscal_year],
        "wage_index": terms.wage_index,
        "vbp_multiplier": terms.vbp_multiplier,
        "labor_related_share": first_tables.labor_share,
        "fiscal_years": [{**y, "component_rates": rates_by_year[y["priced_with"]],
                          "labor_related_share": terms.tables_for(y["fiscal_year"]).labor_share}
                         for y in fiscal_years.values()],
        "admission_date": first_day,
        "benefit_days_used": used,
        "benefit_days_used_known": referral.benefit_days_used is not None,
        "covered_days": covered_days,
        "uncovered_days": referral.length_of_stay_days - covered_days,
        "coinsurance_from_day": (first_coinsurance["benefit_day"] - used
                                 if first_coinsurance else None),
        "coinsurance_per_day": cents(start_amount if start_amount is not None else ZERO),
        "coinsurance_known": start_amount is not None,
        "coinsurance_days": sum(1 for p in patient if p > 0),
        "coinsurance_total": sum(patient, ZERO),
        "coinsurance_by_year": list(coinsurance_years.values()),
        "hiv_aids": referral.hiv_aids,
        "interrupted_stay": referral.interrupted_stay,
        "percent_of_pdpm": terms.percent_of_pdpm,
        "skilled_days": referral.skilled_days,
        "not_skilled_days": sum(1 for d in days if not d["skilled"]
                                and d["benefit_day"] <= pdpm.MAX_COVERED_DAYS),
        "then_payer": ({"name": referral.then_payer.name,
                        "payer_type": referral.then_payer.payer_type,
                        "per_day": cents(referral.then_payer.per_day),
                        "days": sum(1 for d in days if d["paid_by"] == "then_payer"),
                        "total": sum((a for a, d in zip(amounts, days)
                                      if d["paid_by"] == "then_payer"), ZERO)}
                       if referral.then_payer else None),
        "qrp_reduced": any(t.qrp_reduced for t in terms_by_day),
        "qrp_by_rule_method": sorted(qrp_by_method),
        "qrp_derived": qrp_by_method,
        "patient_pays_by_day": patient,
        "day_facts": days,
    }
    return amounts, detail


def _hipps_letter(tables: pdpm.Tables, component: str, group: str) -> str:
    return next(letter for letter, g in tables.hipps[component].items() if g == group)


THERAPY_DISCIPLINES = ("PT", "OT", "SLP")
COMPONENT_WORDS = {"PT": "PT", "OT": "OT", "SLP": "SLP", "NURSING": "nursing", "NTA": "NTA",
                   "NON_CASE_MIX": "non-case-mix"}
DAILY_LINES = {"labs": "labs_per_day", "imaging": "imaging_per_day",
               "supplies": "supplies_per_day"}


def therapy_cmis(referral: Referral, rate: Rate) -> dict[str, Decimal] | None:
    """The PT, OT and SLP case-mix indexes of the PDPM groups revenue is priced with (the
    referral's, else those assumed for its acuity) in the rate's tables; None without a PDPM
    rate."""
    if rate.pdpm is None:
        return None
    tables = rate.pdpm.tables
    classification = referral.classification or DEFAULT_CLASSIFICATION[referral.acuity]
    return {c: tables.cmis[c][classification.group_of(c)] for c in THERAPY_DISCIPLINES}


def cost(referral: Referral, model: CostModel, cmis: dict[str, Decimal] | None = None) -> dict:
    """The daily cost, item by item, the costs once a stay, and the total over the stay, with
    what was assumed of the cost model. `cmis`: the stay's PT, OT and SLP case-mix indexes."""
    services = {s: cents(model.service_costs.get(s, ZERO)) for s in referral.required_services}
    medication = (referral.medication_cost_per_day if referral.medication_cost_per_day is not None
                  else model.default_medication_cost_per_day)
    stated = []
    by_discipline = None
    at_cmi_1 = {c: model.therapy_at_cmi_1.get(c) for c in THERAPY_DISCIPLINES}
    therapy = cents(model.therapy_cost_per_day)
    if any(v is not None for v in at_cmi_1.values()):
        if cmis is None:
            # Only a PDPM rate prices by groups (the referral's, else those assumed for its
            # acuity): without one, whatever groups the referral gave are not used.
            stated.append(
                f"Therapy cost: the cost model's flat {therapy} a day, as the payer's rate is "
                "not PDPM: no PDPM groups scale its costs at a case-mix index of 1.0.")
        else:
            # PDPM's PT, OT and SLP CMIs were derived from therapy costs a day (FY2019 SNF PPS
            # final rule, 83 FR 39162): the sourced proxy for the therapy a group implies.
            by_discipline = {c.lower(): cents((at_cmi_1[c] or ZERO) * cmis[c])
                             for c in THERAPY_DISCIPLINES}
            therapy = sum(by_discipline.values(), ZERO)
            # Assumed groups are said, as revenue says them: the cost follows the same guess.
            groups = ("PDPM groups (their CMIs" if referral.classification is not None else
                      f"PDPM groups revenue assumed for {referral.acuity} acuity (PT/OT "
                      f"{DEFAULT_CLASSIFICATION[referral.acuity].pt_ot}, SLP "
                      f"{DEFAULT_CLASSIFICATION[referral.acuity].slp}; their CMIs")
            stated.append(
                f"Therapy cost from the {groups} were derived from therapy costs "
                "a day, 83 FR 39162): "
                + "; ".join(f"{c} {at_cmi_1[c] or ZERO} at CMI 1.0 x {cmis[c]} = "
                            f"{by_discipline[c.lower()]}" for c in THERAPY_DISCIPLINES)
                + f"; {therapy} a day, the same each day of the stay.")
            missing = [c for c in THERAPY_DISCIPLINES if at_cmi_1[c] is None]
            if missing:
                stated.append(f"The cost model has no {', '.join(missing)} cost at a CMI of "
                              "1.0: counted as 0.")
    breakdown = {
        "fixed": cents(model.fixed_daily_cost),
        "nursing": cents(model.nursing_hours_per_day[referral.acuity] * model.nursing_wage_hourly),
        "therapy": therapy,
        "services": services,
        "medication": cents(medication),
    }
    if by_discipline is not None:
        breakdown["therapy_by_discipline"] = by_discipline
    daily_lines = {}
    for line, attribute in DAILY_LINES.items():
        amount = getattr(model, attribute)
        if amount is not None:
            daily_lines[line] = breakdown[line] = cents(amount)
    per_stay = ZERO
    if model.transport_per_stay is not None:
        per_stay = breakdown["transport_per_stay"] = cents(model.transport_per_stay)
    not_in_model = [line for line, attribute in DAILY_LINES.items()
                    if getattr(model, attribute) is None]
    if model.transport_per_stay is None:
        not_in_model.append("transport")
    # A cost model made before these lines (none of them set) keeps its figures unremarked;
    # once some are set, each one left out is said to count as 0.
    has_lines = (len(not_in_model) < 4 or by_discipline is not None
                 or any(v is not None for v in at_cmi_1.values()))
    if not_in_model and has_lines:
        stated.append(f"The cost model has no {', '.join(not_in_model)} cost: counted as 0.")
    per_day = (breakdown["fixed"] + breakdown["nursing"] + breakdown["therapy"]
               + sum(services.values(), ZERO) + breakdown["medication"]
               + sum(daily_lines.values(), ZERO))
    return {"per_day": per_day, "breakdown": breakdown,
            "total": per_day * referral.length_of_stay_days + per_stay, "stated": stated}


def evaluate(referral: Referral, facility: FacilityState, payer_type: str, rate: Rate,
             model: CostModel, weights: Weights, later_rates: tuple[Rate, ...] = ()) -> dict:
    """The whole evaluation, as plain data the admission models validate and store. `rate`:
    the payer's rate in force on the stay's first day; `later_rates`: those that come into
    force during the stay, each pricing the days from its effective_from on."""
    earned = revenue(referral, rate, weights.coinsurance_collection_pct, later_rates,
                     payer_type=payer_type)
    spent = cost(referral, model, therapy_cmis(referral, rate))
    cost_stated = spent.pop("stated")
    # What the facility keeps: the revenue after Medicare's payment adjustments.
    margin = earned["net_total"] - spent["total"]
    # Past +-99,999.99 % (a rate of cents, say) the figure says nothing more: it is capped.
    margin_pct = (margin / earned["net_total"] * HUNDRED).quantize(Decimal("0.01")) \
        if earned["net_total"] > 0 else Decimal("-100.00")
    margin_pct = max(-MARGIN_PCT_LIMIT, min(MARGIN_PCT_LIMIT, margin_pct))

    unsupported = [s for s in referral.required_services if s not in model.supported_services]
    occupancy = Decimal(facility.current_census) / Decimal(facility.bed_count) * HUNDRED
    medication = spent["breakdown"]["medication"]
    revenue_per_day = earned["per_day_average"]
    # No revenue: any drug cost is all of it; none is no risk (not the most).
    medication_share = (medication / revenue_per_day if revenue_per_day > 0
                        else Decimal(1) if medication > 0 else ZERO)
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
        if referral.admission_date is None:
            assumptions.append(f"Admission date not given: assumed the day the referral was "
                               f"received, {detail['admission_date']}.")
        used = detail["benefit_days_used"]
        percent = detail["percent_of_pdpm"]
        original = original_medicare(payer_type, percent)
        contract = not original and payer_type in MEDICARE
        if payer_type not in MEDICARE:
            unused = [name for name, given in (
                ("benefit days used", referral.benefit_days_used is not None),
                ("skilled days", referral.skilled_days is not None)) if given]
            assumptions.append(
                f"This {PAYER_TYPES[payer_type]} payer's rate is "
                + ("PDPM" if percent is None else f"{percent}% of PDPM")
                + ", not Medicare's: the 100-day benefit period, coinsurance and sequestration "
                  "do not apply to it" + (f"; not used: {', '.join(unused)}." if unused else "."))
        elif not detail["benefit_days_used_known"]:
            assumptions.append(
                "SNF days already used in the benefit period not given: assumed none (a new "
                "benefit period), so Medicare covers up to 100 days"
                + (" and coinsurance starts on day 21 of this stay." if original else "."))
        elif used:
            assumptions.append(
                f"{used} SNF day(s) of the benefit period already used: Medicare covers at most "
                f"{max(0, pdpm.MAX_COVERED_DAYS - used)} day(s) of this stay"
                + (f", with coinsurance from day {detail['coinsurance_from_day']} of the stay."
                   if detail["coinsurance_from_day"] else "."))
        coinsurance_owed = detail["coinsurance_from_day"] is not None
        if coinsurance_owed and not detail["coinsurance_known"]:
            assumptions.append(f"No SNF coinsurance amount is loaded for "
                               f"{referral.first_day.year}: the patient's share from day 21 "
                               "is not shown.")
        for year in detail["fiscal_years"]:
            label = f"{year['days']} day(s) in FY{year['fiscal_year']}"
            if year["priced_with"] != year["fiscal_year"]:
                assumptions.append(
                    f"No PDPM tables are loaded for FY{year['fiscal_year']}: {label} are priced "
                    f"with FY{year['priced_with']}'s, the "
                    f"{'newest' if year['priced_with'] < year['fiscal_year'] else 'oldest'} "
                    "loaded.")
            if year["status"] == "proposed":
                assumptions.append(
                    f"{label} are priced on FY{year['priced_with']}'s proposed rates "
                    f"({year['rule']}), not final ones."
                    + (f" {year['notes']}" if year["notes"] else ""))
        # Days of a fiscal year priced by a rate set up for another, by that rate's year.
        other_years: dict[int, list[int]] = {}
        for year in detail["fiscal_years"]:
            if year["rate_fiscal_year"] != year["fiscal_year"]:
                other_years.setdefault(year["rate_fiscal_year"], []).append(year["fiscal_year"])
        for rate_year, years in sorted(other_years.items()):
            assumptions.append(
                f"The rate is set up for FY{rate_year}, but the stay has days in "
                + ", ".join(f"FY{y}" for y in sorted(years))
                + ": they are priced with the PDPM tables of the fiscal year each day falls in, "
                  "at the rate's wage index and VBP multiplier (CMS updates both each year: a "
                  "rate set up for that year would use the new ones).")
        if contract:
            share = "the PDPM per diem" if percent is None else f"{percent}% of the PDPM per diem"
            assumptions.append(
                f"Medicare Advantage contract: {share}; the plan's own cost sharing and any "
                "sequestration pass-through are by contract and not modeled, and its days are "
                "taken as Original Medicare's (100 a benefit period, while skilled care is "
                "needed).")
        elif original:
            assumptions.append(
                "Medicare's payment after coinsurance, and its bad debt reimbursement, are "
                "reduced 2% by sequestration (applied day by day here; CMS applies it per claim "
                "and on the cost report).")
        if detail["not_skilled_days"]:
            assumptions.append(
                f"Skilled need is expected for {detail['skilled_days']} day(s): Medicare Part A "
                f"does not cover the {detail['not_skilled_days']} day(s) after it.")
        then = detail["then_payer"]
        if then and then["days"]:
            changes = "".join(f", {cents(amount)} from {starts}"
                              for starts, amount in referral.then_payer.later)
            assumptions.append(
                f"The {then['days']} day(s) Medicare does not cover are paid by {then['name']} "
                f"({then['payer_type']}) at {then['per_day']} a day{changes}, its "
                + ("rates in force at the facility on those days." if changes else
                   "rate in force at the facility."))
        if detail["coinsurance_total"] > 0:
            assumptions.append(
                f"{weights.coinsurance_collection_pct}% of the coinsurance is expected to be "
                "collected (business weights); Medicare reimburses 65% of the rest as bad debt, "
                "after the facility's collection effort, on the cost report.")
        stay = detail["interrupted_stay"]
        if stay:
            assumptions.append(
                f"Interrupted stay: a readmission {stay['gap_days']} day(s) after "
                f"{stay['prior_case_number']} ended (within the 3-day interruption window), so "
                f"the variable per diem continues from day {stay['prior_days'] + 1}: PT/OT and "
                "NTA days do not restart. The prior stay's end is its expected one.")
        if detail["hiv_aids"]:
            nta = detail["groups"]["nta"]
            assumptions.append(
                f"HIV/AIDS: the nursing component is paid x 1.18 and NTA group {nta} as "
                f"{pdpm.AIDS_NTA_REMAP[nta]}, as the CMS pricer does for a B20 diagnosis on the "
                "claim.")
        if detail["qrp_reduced"]:
            assumptions.append("The facility did not meet the SNF Quality Reporting Program: "
                               "its rates are the reduced ones (the annual update less 2 points).")
        for year, components in detail["qrp_derived"].items():
            names = [COMPONENT_WORDS[c] for c in components]
            assumptions.append(
                f"FY{year}'s QRP-reduced {', '.join(names)} "
                + ("rate is" if len(names) == 1 else "rates are")
                + " not published in the loaded tables: derived by the rule's method, rate x "
                  "(1 + update - 0.02) / (1 + update), within a cent of CMS's.")
        for year in detail["coinsurance_by_year"]:
            if year["amount_of_year"] != year["calendar_year"]:
                assumptions.append(
                    f"No SNF coinsurance amount is loaded for {year['calendar_year']}: "
                    f"{year['amount_of_year']}'s {year['per_day']} a day is assumed.")
        beyond_cap = detail["uncovered_days"] - detail["not_skilled_days"]
        earn = ("are paid by the then-payer" if then and then["days"]
                else "earn nothing under it")
        if beyond_cap:
            if used:
                assumptions.append(
                    f"Medicare Part A covers at most {pdpm.MAX_COVERED_DAYS} days a benefit "
                    f"period; with {used} already used, {beyond_cap} day(s) of this stay "
                    f"{earn}.")
            else:
                assumptions.append(
                    f"Medicare Part A covers at most {pdpm.MAX_COVERED_DAYS} days; "
                    f"{beyond_cap} day(s) {earn}.")
    elif payer_type == PART_A:
        assumptions.append(
            f"Original Medicare Part A pays by PDPM; this payer's rate is "
            f"{RATE_METHOD_WORDS[rate.method]}: the stay is priced as it is set up, without the 100-day benefit period, "
              "coinsurance and sequestration.")
    assumptions.extend(referral.stated)
    assumptions.extend(cost_stated)
    if referral.medication_cost_per_day is None:
        assumptions.append("Medication cost not given: the cost model's default was used.")

    return {"revenue": earned, "cost": spent, "margin": margin, "margin_pct": margin_pct,
            "factors": factors, "score": score, "recommendation": recommendation,
            "hard_stops": hard_stops, "assumptions": assumptions}
