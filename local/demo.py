"""Demo data for `make run`: three facilities, the usual payers, realistic rates and cost models,
and four months of evaluated and decided referrals, so every screen means something on first
start. Made through the real services (evaluations are the engine's own), once."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from shared import db
from shared.models.admissions import AdmissionIn
from shared.models.cost_models import CostModelCreate
from shared.models.facilities import FacilityCreate
from shared.models.payers import PayerCreate
from shared.models.rates import RateCreate
from shared.repositories import admissions as admissions_repository
from shared.repositories import facilities as facilities_repository
from shared.repositories import users
from shared.services import admissions, cost_models, facilities, operator, payers, rates
from shared.tenancy import Actor

FACILITIES = [
    FacilityCreate(name="Maple Grove Health & Rehab", bed_count=120, state="OH", locality="urban",
                   wage_index=Decimal("0.9512"), target_occupancy_pct=Decimal(92),
                   current_census=104),
    FacilityCreate(name="Riverside Care Center", bed_count=90, state="OH", locality="urban",
                   wage_index=Decimal("0.8921"), target_occupancy_pct=Decimal(90),
                   current_census=71),
    FacilityCreate(name="Hillcrest Skilled Nursing", bed_count=60, state="OH", locality="rural",
                   wage_index=Decimal("0.8456"), target_occupancy_pct=Decimal(88),
                   current_census=57),
]
PAYERS = [("Medicare Part A", "medicare_a"), ("Humana Medicare Advantage", "medicare_advantage"),
          ("Ohio Medicaid", "medicaid"), ("CareSource Managed Medicaid", "managed_medicaid"),
          ("Anthem Commercial", "commercial"), ("Private pay", "private_pay")]
# Daily amounts by payer type: flat per diems, or by acuity (low, moderate, high, complex).
# Assumption: local private-pay prices, and Medicaid per diems near Ohio's, which are adjusted
# by case mix (here by acuity); Medicaid pays about the cost of a long stay and less than that
# of one needing a complex service or costly drugs, as MedPAC reports of Medicaid broadly.
PER_DIEM = {"private_pay": Decimal("395.00")}
BY_ACUITY = {
    "medicare_advantage": ("455.00", "520.00", "610.00", "725.00"),
    "medicaid": ("262.00", "285.00", "330.00", "390.00"),
    "managed_medicaid": ("270.00", "292.00", "330.00", "380.00"),
    "commercial": ("480.00", "545.00", "640.00", "760.00"),
}
# Where the demo's costs come from. Where no public figure fits, the comment says "assumption".
# The check: MedPAC puts the Medicare FFS margin of freestanding SNFs at 22% in 2023 (March 2025
# report to Congress) and 24.4% in 2024 (December 2025 meeting), with an average Medicare
# payment of $20,970 a stay of 30.7 days ($683 a day, December 2025 meeting); the demo's Medicare
# referrals land near there (tests/local/test_demo.py), and Medicaid long stays near or under
# cost, as MedPAC reports Medicaid pays less than the cost of care.
#
# Therapy a day at a PDPM case-mix index of 1.0, by discipline: PDPM's PT, OT and SLP CMIs were
# derived from therapy costs a day (FY2019 SNF PPS final rule, 83 FR 39162), so a stay's therapy
# cost is this x its CMIs. Wages: BLS OEWS May 2021 physical therapists median $45.97/hour
# (OT taken at the same wage: assumption); BLS OEWS May 2020 speech-language pathologists median
# $38.69/hour. Assumptions: x 1.4 for benefits and payroll taxes (BLS ECEC puts benefits near 30%
# of compensation), 80% of paid time treating, and 30 minutes a day of PT and of OT and 20 of SLP
# at a CMI of 1.0. PT: 45.97 x 1.4 / 0.8 x 30/60 = 40.22; SLP: 38.69 x 1.4 / 0.8 x 20/60 = 22.57.
THERAPY_AT_CMI_1 = {"pt_cost_per_day_at_cmi_1": Decimal("40.20"),
                    "ot_cost_per_day_at_cmi_1": Decimal("40.20"),
                    "slp_cost_per_day_at_cmi_1": Decimal("22.55")}
# Therapy a day without PDPM groups (Medicaid, commercial, Medicare Advantage by acuity): a long
# stay gets little; assumption: about 15 minutes a day of PT or OT at the loaded wage above.
THERAPY_FLAT = Decimal("20.00")
# Non-therapy ancillaries and transport: assumption, an administrator's typical month-end
# figures per patient day (labs drawn on site, portable X-ray, wound and incontinence supplies),
# and a wheelchair van or ambulance at discharge (the hospital arranges admission).
ANCILLARIES = {"labs_cost_per_day": Decimal("9.00"), "imaging_cost_per_day": Decimal("4.00"),
               "supplies_cost_per_day": Decimal("14.00"),
               "transport_cost_per_stay": Decimal("250.00")}
# Each complex service a day: assumption (the supplies, equipment rental and extra staff time).
SERVICES = {"iv_therapy": 85, "wound_vac": 62, "dialysis": 140, "tracheostomy": 95,
            "bariatric": 45, "isolation": 38, "tube_feeding": 30, "behavioral": 55,
            "intensive_therapy": 120, "oxygen": 18, "wound_care_complex": 48}
SUPPORTED = [
    ["iv_therapy", "wound_vac", "isolation", "tube_feeding", "intensive_therapy", "oxygen",
     "wound_care_complex", "bariatric"],
    ["iv_therapy", "isolation", "oxygen", "behavioral", "tube_feeding", "wound_care_complex"],
    ["oxygen", "isolation", "wound_care_complex"],
]
HIPPS = ["KBGE1", "NAHD1", "MBJF1", "CAKE1", "JCGC1", "DAPE1", "KAXF1", "LALF1"]


def populate(login: dict) -> bool:
    """Add the demo configuration and history to the demo organization, unless it has some.
    Returns whether anything was added."""
    from shared.repositories import organizations

    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        organization_id = organizations.find_id_by_subdomain(cur, subdomain=login["subdomain"])
    with db.tenant_transaction(organization_id) as cur:
        if facilities_repository.list_active(cur, organization_id=organization_id, limit=1):
            return False
    # Three facilities and 120 referrals are more than a trial holds: the demo organization is
    # on Enterprise, set as the operator would (python -m ops enterprise demo).
    operator.set_enterprise(login["subdomain"], "make run")
    with db.tenant_transaction(organization_id) as cur:
        owner = users.find_for_sign_in(cur, organization_id=organization_id, email=login["email"])
        actor = Actor(organization_id, owner["id"], "127.0.0.1", "demo-seed")
        made = [facilities.create_facility(cur, actor, f) for f in FACILITIES]
        made_payers = [payers.create_payer(cur, actor, PayerCreate(name=n, payer_type=t))
                       for n, t in PAYERS]
        for facility, supported in zip(made, SUPPORTED):
            _configure(cur, actor, facility, made_payers, supported)
        _history(cur, actor, made, made_payers)
    return True


def _configure(cur, actor: Actor, facility, payer_list, supported: list[str]) -> None:
    for payer in payer_list:
        terms = {"facility_id": facility.id, "payer_id": payer.id,
                 "effective_from": "2025-10-01"}
        if payer.payer_type == "medicare_a":
            terms.update(method="pdpm", fiscal_year=2026, locality=facility.locality,
                         wage_index=facility.wage_index, vbp_multiplier=Decimal("0.99124"))
        elif payer.payer_type in PER_DIEM:
            terms.update(method="per_diem", per_diem=PER_DIEM[payer.payer_type])
        else:
            amounts = BY_ACUITY[payer.payer_type]
            terms.update(method="acuity", acuity_rates=dict(zip(
                ("low", "moderate", "high", "complex"), map(Decimal, amounts))))
        rates.create_rate(cur, actor, RateCreate.model_validate(terms, strict=False))
    rural = facility.locality == "rural"
    cost_models.create_cost_model(cur, actor, CostModelCreate.model_validate({
        "facility_id": facility.id,
        # Dietary, housekeeping, plant, administration and capital a patient day: assumption.
        "fixed_daily_cost": Decimal("88.00") if rural else Decimal("100.00"),
        "nursing_hours_per_day": {"low": Decimal("3.1"), "moderate": Decimal("3.7"),
                                  "high": Decimal("4.5"), "complex": Decimal("5.6")},
        # Blended RN, LPN and aide hours at a loaded wage: assumption, a mix of about 1 RN, 1
        # LPN and 2.5 aide hours in 4.5, at BLS OEWS medians with benefits.
        "nursing_wage_hourly": Decimal("28.50") if rural else Decimal("31.50"),
        "therapy_cost_per_day": THERAPY_FLAT,
        **THERAPY_AT_CMI_1,
        **ANCILLARIES,
        "service_costs": {s: Decimal(c) for s, c in SERVICES.items()},
        # Assumption: pharmacy cost a day when the referral does not say.
        "default_medication_cost_per_day": Decimal("22.00"),
        "supported_services": supported,
    }, strict=False))


def _history(cur, actor: Actor, facility_list, payer_list) -> None:
    """About 120 referrals over the last four months, most of them decided."""
    rng = random.Random(20261126)
    now = datetime.now(timezone.utc)
    weights = [34, 14, 22, 12, 10, 8]  # payer mix
    for _ in range(120):
        received = now - timedelta(days=rng.uniform(0.2, 118), hours=rng.uniform(0, 10))
        payer = rng.choices(payer_list, weights)[0]
        acuity = rng.choices(["low", "moderate", "high", "complex"], [20, 40, 28, 12])[0]
        # Long-stay Medicaid referrals seldom need a complex service; post-acute ones often do.
        medicaid = payer.payer_type in ("medicaid", "managed_medicaid")
        services = rng.sample(sorted(SERVICES), k=rng.choices(
            [0, 1, 2, 3], [65, 25, 8, 2] if medicaid else [40, 35, 18, 7])[0])
        referral = {
            "facility_id": rng.choice(facility_list).id, "payer_id": payer.id,
            "length_of_stay_days": rng.choice([8, 12, 14, 18, 21, 25, 30, 42, 60]),
            "acuity": acuity, "required_services": services,
            "referral_received_at": received.isoformat(),
        }
        if payer.payer_type == "medicare_a" and rng.random() < 0.6:
            referral["hipps_code"] = rng.choice(HIPPS)
        if rng.random() < 0.25:
            referral["medication_cost_per_day"] = str(rng.choice([15, 40, 85, 160, 320]))
        admission = admissions.create_admission(
            cur, actor, AdmissionIn.model_validate(referral, strict=False))
        if received > now - timedelta(days=2) and rng.random() < 0.6:
            continue  # still pending
        decided_at = received + timedelta(minutes=rng.lognormvariate(4.4, 0.7))
        accept = admission.recommendation == "accept" or (
            admission.recommendation == "review" and rng.random() < 0.5)
        reason = None if accept else rng.choice(["financial", "clinical_capability", "no_bed",
                                                 "payer", "staffing"])
        admissions_repository.decide(
            cur, organization_id=actor.organization_id, id=admission.id,
            status="accepted" if accept else "declined", reason=reason,
            user_id=actor.user_id, at=min(decided_at, now))
        if accept and received < now - timedelta(days=3):
            admitted = rng.random() < 0.88
            admissions_repository.record_outcome(
                cur, organization_id=actor.organization_id, id=admission.id,
                status="admitted" if admitted else "not_admitted",
                reason=None if admitted else "patient_choice",
                user_id=actor.user_id, at=min(decided_at + timedelta(days=1), now))


def plan_of(login: dict) -> str:
    """The name of the demo organization's plan, to say so at start-up."""
    from shared.repositories import organizations, plans
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        organization_id = organizations.find_id_by_subdomain(cur, subdomain=login["subdomain"])
    with db.tenant_transaction(organization_id) as cur:
        return plans.account(cur, organization_id=organization_id)["plan_name"]
