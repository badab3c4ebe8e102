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
PER_DIEM = {"medicaid": Decimal("262.50"), "private_pay": Decimal("395.00")}
BY_ACUITY = {
    "medicare_advantage": ("455.00", "520.00", "610.00", "725.00"),
    "managed_medicaid": ("255.00", "280.00", "318.00", "365.00"),
    "commercial": ("480.00", "545.00", "640.00", "760.00"),
}
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
        "fixed_daily_cost": Decimal("104.00") if rural else Decimal("118.00"),
        "nursing_hours_per_day": {"low": Decimal("3.1"), "moderate": Decimal("3.7"),
                                  "high": Decimal("4.5"), "complex": Decimal("5.6")},
        # Blended RN, LPN and aide hours at a loaded wage.
        "nursing_wage_hourly": Decimal("30.50") if rural else Decimal("34.20"),
        "therapy_cost_per_day": Decimal("42.00"),
        "service_costs": {s: Decimal(c) for s, c in SERVICES.items()},
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
        services = rng.sample(sorted(SERVICES), k=rng.choices([0, 1, 2, 3], [40, 35, 18, 7])[0])
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
