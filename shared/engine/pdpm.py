"""Medicare Part A PDPM per diems, step by step as CMS's SNF pricer computes them.

For a claim of `days` days after `prior_days` already used (`CalculateTotalPaymentRate`):
1. PT and OT rates (CMI x base, in cents) times the sum of their variable per-diem factors;
2. the NTA rate times the sum of its factors;
3. nursing, SLP and non-case-mix rates times the days; each step rounded;
4. labor = round(round(total x labor share) x wage index); non-labor = round(total x (1 - share));
5. payment = labor + non-labor, times the value-based purchasing multiplier, rounded.
A day's per diem is the one-day claim for that day."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from shared.engine.money import cents

COMPONENTS = ("PT", "OT", "SLP", "NURSING", "NTA")
MAX_COVERED_DAYS = 100
COINSURANCE_FROM_DAY = 21
# HIPPS characters 1-4: PT/OT group (shared), SLP, nursing, NTA; character 5 the assessment.
HIPPS_COMPONENTS = (("PT", "OT"), ("SLP",), ("NURSING",), ("NTA",))


@dataclass(frozen=True)
class Classification:
    """The PDPM groups: PT and OT share one group."""
    pt_ot: str
    slp: str
    nursing: str
    nta: str

    def group_of(self, component: str) -> str:
        return {"PT": self.pt_ot, "OT": self.pt_ot, "SLP": self.slp, "NURSING": self.nursing,
                "NTA": self.nta}[component]


def fiscal_year_of(day) -> int:
    """Medicare's fiscal year of a date: FY2027 runs from 1 October 2026 to 30 September 2027."""
    return day.year + 1 if day.month >= 10 else day.year


@dataclass(frozen=True)
class FiscalYear:
    """What is known about a fiscal year's tables: final or proposed, from which rule."""
    fiscal_year: int
    status: str                      # final, proposed
    rule: str
    net_update: Decimal | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Tables:
    """One fiscal year and area of the reference data."""
    fiscal_year: int
    area: str
    base_rates: dict[str, Decimal]            # PT, OT, SLP, NURSING, NTA, NON_CASE_MIX
    cmis: dict[str, dict[str, Decimal]]       # component -> group -> CMI
    hipps: dict[str, dict[str, str]]          # component -> HIPPS letter -> group
    labor_share: Decimal
    vpd: dict[str, list[tuple[int, int, Decimal]]] = field(default_factory=dict)
    # The published QRP-reduced base rates (None where not published).
    qrp_base_rates: dict[str, Decimal | None] = field(default_factory=dict)

    def factor(self, schedule: str, day: int) -> Decimal:
        for first, last, factor in self.vpd[schedule]:
            if first <= day <= last:
                return factor
        raise ValueError(f"no {schedule} variable per-diem factor for day {day}")


def classification_from_hipps(tables: Tables, code: str) -> Classification:
    """`KBGE1` -> TK, SB, HBC1, NE. Raises ValueError naming the bad character."""
    code = code.strip().upper()
    if len(code) not in (4, 5):
        raise ValueError("a HIPPS code has 5 characters, such as KBGE1")
    if len(code) == 5 and code[4] not in "01":
        raise ValueError(f"character 5 ({code[4]}) is not an assessment indicator (0 or 1)")
    groups = []
    for position, components in enumerate(HIPPS_COMPONENTS):
        letter = code[position]
        group = tables.hipps[components[0]].get(letter)
        if group is None:
            raise ValueError(f"character {position + 1} ({letter}) is not a "
                             f"{'/'.join(components)} group letter")
        groups.append(group)
    return Classification(*groups)


def check_classification(tables: Tables, classification: Classification) -> None:
    for component in COMPONENTS:
        group = classification.group_of(component)
        if group not in tables.cmis[component]:
            raise ValueError(f"{group} is not a {component} group in FY{tables.fiscal_year}")


QRP_REDUCTION = Decimal("0.02")      # 42 USC 1395yy(h)(6): the update less 2 points
AIDS_NURSING_FACTOR = Decimal("1.18")  # the pricer's AIDS-adjusted nursing column (S1)
# The pricer's NTA remap for an HIV/AIDS (B20) claim: characters A-D to A, E to B, F to C (S2).
AIDS_NTA_REMAP = {"NA": "NA", "NB": "NA", "NC": "NA", "ND": "NA", "NE": "NB", "NF": "NC"}


def qrp_base_rate(tables: Tables, component: str, net_update: Decimal | None) -> tuple[Decimal, bool]:
    """The QRP-reduced base rate: the published one, else by the rule's method (the year's net
    update less 2 points: rate x (1 + u - 0.02) / (1 + u)); True when by the method."""
    published = tables.qrp_base_rates.get(component)
    if published is not None:
        return published, False
    if net_update is None:
        raise ValueError(f"FY{tables.fiscal_year} has no QRP-reduced {component} rate and no "
                         "net update to derive it from")
    base = tables.base_rates[component]
    return cents(base * (1 + net_update - QRP_REDUCTION) / (1 + net_update)), True


def hiv_aids_classification(classification: Classification) -> Classification:
    return Classification(classification.pt_ot, classification.slp, classification.nursing,
                          AIDS_NTA_REMAP.get(classification.nta, classification.nta))


def component_rates(tables: Tables, classification: Classification, *, qrp: bool = False,
                    net_update: Decimal | None = None, hiv_aids: bool = False
                    ) -> dict[str, Decimal]:
    """The case-mix adjusted rate of each component (CMI x base rate, in cents), and the
    non-case-mix rate; QRP-reduced and HIV/AIDS-adjusted as the pricer does when asked."""
    if hiv_aids:
        classification = hiv_aids_classification(classification)

    def base(component: str) -> Decimal:
        return (qrp_base_rate(tables, component, net_update)[0] if qrp
                else tables.base_rates[component])

    rates = {c: cents(tables.cmis[c][classification.group_of(c)] * base(c)) for c in COMPONENTS}
    rates["NON_CASE_MIX"] = base("NON_CASE_MIX")
    if hiv_aids:
        rates["NURSING"] = cents(rates["NURSING"] * AIDS_NURSING_FACTOR)
    return rates


@dataclass(frozen=True)
class Payment:
    case_mix_total: Decimal
    labor: Decimal
    labor_adjusted: Decimal
    non_labor: Decimal
    before_vbp: Decimal
    payment: Decimal


def claim_payment(tables: Tables, rates: dict[str, Decimal], *, prior_days: int, days: int,
                  wage_index: Decimal, vbp_multiplier: Decimal) -> Payment:
    """The payment for `days` covered days after `prior_days`, rounded as the pricer does."""
    span = range(prior_days + 1, prior_days + days + 1)
    pt_ot_factor = sum(tables.factor("PT_OT", d) for d in span)
    nta_factor = sum(tables.factor("NTA", d) for d in span)
    therapy = cents((rates["PT"] + rates["OT"]) * pt_ot_factor)
    nta = cents(rates["NTA"] * nta_factor)
    flat = cents((rates["NURSING"] + rates["SLP"] + rates["NON_CASE_MIX"]) * days)
    total = therapy + nta + flat
    labor = cents(total * tables.labor_share)
    labor_adjusted = cents(labor * wage_index)
    non_labor = cents(total * (1 - tables.labor_share))
    before_vbp = labor_adjusted + non_labor
    return Payment(total, labor, labor_adjusted, non_labor, before_vbp,
                   cents(before_vbp * vbp_multiplier))


def daily_per_diems(tables: Tables, rates: dict[str, Decimal], *, days: int,
                    wage_index: Decimal, vbp_multiplier: Decimal) -> list[Decimal]:
    """Each covered day's per diem (a one-day claim for that day), for at most 100 days."""
    return [claim_payment(tables, rates, prior_days=day - 1, days=1, wage_index=wage_index,
                          vbp_multiplier=vbp_multiplier).payment
            for day in range(1, min(days, MAX_COVERED_DAYS) + 1)]
