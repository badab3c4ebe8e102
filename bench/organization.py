"""A configured organization for the admission benchmarks, made through the real endpoints (signup,
facilities, payers, rates, cost models), with the figures of local/demo.py: a Medicare Part A
rate on FY2026 PDPM, per diems and by-acuity rates for the others, a cost model per facility."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from bench.facilities_get import _json_request

FACILITIES = [
    {"name": "Maple Grove Health & Rehab", "bed_count": 120, "state": "OH", "locality": "urban",
     "wage_index": 0.9512, "target_occupancy_pct": 92, "current_census": 104},
    {"name": "Riverside Care Center", "bed_count": 90, "state": "OH", "locality": "urban",
     "wage_index": 0.8921, "target_occupancy_pct": 90, "current_census": 71},
    {"name": "Hillcrest Skilled Nursing", "bed_count": 60, "state": "OH", "locality": "rural",
     "wage_index": 0.8456, "target_occupancy_pct": 88, "current_census": 57},
]
PAYERS = [("Medicare Part A", "medicare_a"), ("Ohio Medicaid", "medicaid"),
          ("CareSource Managed Medicaid", "managed_medicaid"), ("Anthem Commercial", "commercial")]
PER_DIEM = {"medicaid": "262.50"}
BY_ACUITY = {"managed_medicaid": ("255.00", "280.00", "318.00", "365.00"),
             "commercial": ("480.00", "545.00", "640.00", "760.00")}
SERVICE_COSTS = {"iv_therapy": "85", "wound_vac": "62", "dialysis": "140", "tracheostomy": "95",
                 "bariatric": "45", "isolation": "38", "tube_feeding": "30", "behavioral": "55",
                 "intensive_therapy": "120", "oxygen": "18", "wound_care_complex": "48"}
SUPPORTED = [
    ["iv_therapy", "wound_vac", "isolation", "tube_feeding", "intensive_therapy", "oxygen",
     "wound_care_complex", "bariatric"],
    ["iv_therapy", "isolation", "oxygen", "behavioral", "tube_feeding", "wound_care_complex"],
    ["oxygen", "isolation", "wound_care_complex"],
]
RATES_FROM = "2025-10-01"


@dataclass
class Organization:
    organization_id: uuid.UUID
    subdomain: str
    token: str
    user_id: uuid.UUID
    facilities: list[dict] = field(default_factory=list)   # as the API returned them
    payers: dict[str, dict] = field(default_factory=dict)  # by payer type

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "content-type": "application/json",
                "x-forwarded-for": "203.0.113.9"}


def _created(router, path: str, body: dict, token: str | None = None) -> dict:
    status, raw = _json_request(router, "POST", path, body, token)
    if status != 201:
        raise RuntimeError(f"POST {path} answered {status}: {raw[:600]!r}")
    return json.loads(raw)


def configure(router, *, name: str, subdomain: str, facilities: int = 1,
              payer_types: tuple[str, ...] = ("medicare_a", "medicaid")) -> Organization:
    """Sign up (then Enterprise, no limits), then facilities, payers, one rate per facility and payer, one cost model per
    facility, all through POST endpoints (201 each or it raises)."""
    signed_up = _created(router, "/api/signup", {
        "organization_name": name, "subdomain": subdomain,
        "email": f"owner@{subdomain}.example", "password": "correct horse battery staple"})
    token = signed_up["token"]
    # More facilities and admissions than a trial holds: on Enterprise, as the operator does.
    from shared.services import operator
    operator.set_enterprise(subdomain, "bench")
    org = Organization(uuid.UUID(signed_up["organization"]["id"]), subdomain, token,
                       uuid.UUID(signed_up["user"]["id"]))
    for spec in FACILITIES[:facilities]:
        org.facilities.append(_created(router, "/api/facilities", spec, token))
    for payer_name, payer_type in PAYERS:
        if payer_type in payer_types:
            org.payers[payer_type] = _created(router, "/api/payers",
                                              {"name": payer_name, "payer_type": payer_type},
                                              token)
    for facility, supported in zip(org.facilities, SUPPORTED):
        for payer_type, payer in org.payers.items():
            terms = {"facility_id": facility["id"], "payer_id": payer["id"],
                     "effective_from": RATES_FROM}
            if payer_type == "medicare_a":
                terms.update(method="pdpm", fiscal_year=2026, locality=facility["locality"],
                             wage_index=facility["wage_index"], vbp_multiplier="0.99124")
            elif payer_type in PER_DIEM:
                terms.update(method="per_diem", per_diem=PER_DIEM[payer_type])
            else:
                terms.update(method="acuity", acuity_rates=dict(zip(
                    ("low", "moderate", "high", "complex"), BY_ACUITY[payer_type])))
            _created(router, "/api/rates", terms, token)
        rural = facility["locality"] == "rural"
        _created(router, "/api/cost-models", {
            "facility_id": facility["id"],
            "fixed_daily_cost": "104.00" if rural else "118.00",
            "nursing_hours_per_day": {"low": "3.1", "moderate": "3.7", "high": "4.5",
                                      "complex": "5.6"},
            "nursing_wage_hourly": "30.50" if rural else "34.20",
            "therapy_cost_per_day": "42.00",
            "service_costs": SERVICE_COSTS,
            "default_medication_cost_per_day": "22.00",
            "supported_services": supported,
        }, token)
    return org
