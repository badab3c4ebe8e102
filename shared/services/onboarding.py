"""Start from sensible defaults: for one facility, a Medicare Part A payer, the current PDPM
rate at the facility's locality and wage index, a cost model template by acuity, and the default
business weights saved as the organization's own. Each is made through its own service, so the
audit rows, the standing and the plan's limits apply as if made one by one; whatever already
exists is kept, so running it twice changes nothing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from shared.errors import Conflict, Unprocessable
from shared.models.business_weights import DEFAULTS
from shared.models.cost_models import CostModelCreate
from shared.models.facilities import wage_index_warning
from shared.models.onboarding import DefaultsIn, DefaultsOut
from shared.models.payers import PayerCreate, PayerPublic
from shared.models.rates import RateCreate
from shared.repositories import cost_models as cost_models_repository
from shared.repositories import payers as payers_repository
from shared.repositories import pdpm
from shared.services import business_weights, cost_models, facilities, payers, rates
from shared.tenancy import Actor

# A starting point by acuity, to be replaced with the facility's own numbers: blended RN, LPN
# and aide hours a day at a loaded wage, near the national staffing reports' medians.
NURSING_HOURS = {"low": Decimal("3.1"), "moderate": Decimal("3.7"), "high": Decimal("4.5"),
                 "complex": Decimal("5.6")}
TEMPLATE = {"urban": {"fixed_daily_cost": Decimal("100.00"), "nursing_wage_hourly": Decimal("31.50")},
            "rural": {"fixed_daily_cost": Decimal("88.00"), "nursing_wage_hourly": Decimal("28.50")}}
# The demo's figures, each sourced (or marked an assumption) in local/demo.py, which a test
# holds equal to these: therapy at a PDPM case-mix index of 1.0 by discipline (the stay's CMIs
# scale it), a flat figure for referrals without PDPM groups, and the ancillary lines.
THERAPY_PER_DAY = Decimal("20.00")
THERAPY_AT_CMI_1 = {"pt_cost_per_day_at_cmi_1": Decimal("40.20"),
                    "ot_cost_per_day_at_cmi_1": Decimal("40.20"),
                    "slp_cost_per_day_at_cmi_1": Decimal("22.55")}
ANCILLARIES = {"labs_cost_per_day": Decimal("9.00"), "imaging_cost_per_day": Decimal("4.00"),
               "supplies_cost_per_day": Decimal("14.00"),
               "transport_cost_per_stay": Decimal("250.00")}
MEDICATION_PER_DAY = Decimal("22.00")
# What most skilled nursing facilities provide, with a cost a day.
SERVICES = {"iv_therapy": Decimal("85.00"), "wound_care_complex": Decimal("48.00"),
            "oxygen": Decimal("18.00"), "isolation": Decimal("38.00")}


def start_from_defaults(cur, actor: Actor, data: DefaultsIn) -> DefaultsOut:
    facility = facilities.get_facility(cur, actor.organization_id, data.facility_id)
    if not facility.is_active:
        raise Unprocessable.for_fields({"facility_id": "is deactivated"})
    kept: list[str] = []

    found = payers_repository.first_active_of_type(cur, organization_id=actor.organization_id,
                                                   payer_type="medicare_a")
    if found:
        payer = PayerPublic.model_validate(found)
        kept.append(f"The Medicare Part A payer {payer.name} was used as it is.")
    else:
        payer = payers.create_payer(cur, actor, PayerCreate(name="Medicare Part A",
                                                            payer_type="medicare_a"))

    fiscal_year = max(pdpm.fiscal_years(cur))
    try:
        rate = rates.create_rate(cur, actor, RateCreate(
            facility_id=facility.id, payer_id=payer.id, method="pdpm",
            # A federal fiscal year starts on October 1 of the year before.
            effective_from=date(fiscal_year - 1, 10, 1), fiscal_year=fiscal_year,
            locality=facility.locality, wage_index=facility.wage_index,
            vbp_multiplier=Decimal("1")))
    except Conflict:  # checked before anything is written: the transaction goes on
        rate = None
        kept.append(f"{facility.name} already has a {payer.name} rate for FY{fiscal_year}.")

    if cost_models_repository.active_for_facility(cur, organization_id=actor.organization_id,
                                                  facility_id=facility.id):
        cost_model = None
        kept.append(f"{facility.name} already has a cost model.")
    else:
        cost_model = cost_models.create_cost_model(cur, actor, CostModelCreate(
            facility_id=facility.id, nursing_hours_per_day=NURSING_HOURS,
            therapy_cost_per_day=THERAPY_PER_DAY,
            default_medication_cost_per_day=MEDICATION_PER_DAY,
            service_costs=SERVICES, supported_services=sorted(SERVICES),
            **THERAPY_AT_CMI_1, **ANCILLARIES, **TEMPLATE[facility.locality]))

    weights = business_weights.get_weights(cur, actor.organization_id)
    if weights.is_default:
        weights = business_weights.put_weights(cur, actor, DEFAULTS)
    else:
        kept.append("The organization's own scoring was kept.")
    warnings = wage_index_warning(
        facility.wage_index, f"The PDPM rate was built on {facility.name}'s wage index, "
                             "1.0000: ") if rate else []
    return DefaultsOut(payer=payer, rate=rate, cost_model=cost_model, business_weights=weights,
                       kept=kept, warnings=warnings)
