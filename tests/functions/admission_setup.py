"""Factories for the admissions and dashboard tests: payers, rates, cost models and fully
configured facilities, each made through the API as the organization's owner.

The numbers are chosen so that evaluations can be worked out by hand:

* cost model: fixed 150.00 + nursing (2/3/4/5 h by acuity x 40.00) + therapy 50.00 + each
  required service + medication (default 20.00) a day; a moderate referral costs 340.00 a day;
* Medicaid: per diem 400.00;
* commercial: by acuity, low 300.00, moderate 380.00, high 450.00, complex 600.00;
* Medicare Part A: PDPM FY2026, urban, wage index 1.1, VBP multiplier 1.
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from tests.conftest import PASSWORD, ApiClient, Org, unique_subdomain

NURSING_HOURS = {"low": 2, "moderate": 3, "high": 4, "complex": 5}
COST_MODEL = {
    "fixed_daily_cost": 150,
    "nursing_hours_per_day": NURSING_HOURS,
    "nursing_wage_hourly": 40,
    "therapy_cost_per_day": 50,
    "service_costs": {"iv_therapy": 85, "wound_vac": 62, "dialysis": 140},
    "default_medication_cost_per_day": 20,
    "supported_services": ["iv_therapy", "wound_vac"],
}
MEDICAID_PER_DIEM = 400
COMMERCIAL_BY_ACUITY = {"low": 300, "moderate": 380, "high": 450, "complex": 600}
PDPM_TERMS = {"fiscal_year": 2026, "locality": "urban", "wage_index": 1.1, "vbp_multiplier": 1}
PAYERS = {"medicare_a": "Medicare Part A", "medicaid": "Ohio Medicaid",
          "commercial": "Anthem Commercial"}
# Inside Medicare's FY2026 (2025-10-01 to 2026-09-30) and calendar 2026, and in the past.
IN_FY2026 = "2026-06-01T10:00:00Z"


def new_client(app) -> ApiClient:
    from local.router import Router
    return ApiClient(Router(app))


def created(response) -> dict:
    assert response.status == 201, (response.status, response.body)
    return response.json()


def ok(response) -> dict:
    assert response.status == 200, (response.status, response.body)
    return response.json()


def fields_named(response) -> set[str]:
    """The fields a 422 problem names."""
    assert response.status == 422, (response.status, response.body)
    assert response.mimetype == "application/problem+json"
    return {error["field"] for error in response.json().get("errors", [])}


def without_request_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "request_id"}


def signup(client: ApiClient, name: str = "Organization") -> Org:
    subdomain = unique_subdomain()
    email = f"owner@{subdomain}.example"
    data = created(client.post("/api/signup", json={
        "organization_name": name, "subdomain": subdomain, "email": email,
        "password": PASSWORD}))
    return Org(uuid.UUID(data["organization"]["id"]), subdomain, email, PASSWORD, data["token"])


def add_user(client: ApiClient, org: Org, role: str) -> str:
    """A signed-in user with this role; returns the token."""
    from shared import db
    from shared.repositories import users
    from shared.security import hash_password
    email = f"{role}-{secrets.token_hex(3)}@{org.subdomain}.example"
    with db.tenant_transaction(org.id) as cur:
        users.insert(cur, organization_id=org.id, email=email,
                     password_hash=hash_password(PASSWORD), role=role)
    return ok(client.post("/api/auth/login", json={
        "subdomain": org.subdomain, "email": email, "password": PASSWORD}))["token"]


def user_id(client: ApiClient, token: str) -> str:
    return ok(client.get("/api/me", token=token))["user"]["id"]


def facility(client: ApiClient, org: Org, **fields) -> dict:
    body = {"name": f"Facility {secrets.token_hex(3)}", "bed_count": 100,
            "current_census": 80, "target_occupancy_pct": 90, **fields}
    return created(client.post("/api/facilities", json=body, token=org.token))


def payer(client: ApiClient, org: Org, payer_type: str, name: str | None = None) -> dict:
    return created(client.post("/api/payers", json={
        "name": name or f"{PAYERS.get(payer_type, payer_type)} {secrets.token_hex(2)}",
        "payer_type": payer_type}, token=org.token))


def rate(client: ApiClient, org: Org, facility_id, payer_id, method: str, *,
         effective_from: str = "2025-01-01", effective_to: str | None = None,
         **terms) -> dict:
    body = {"facility_id": str(facility_id), "payer_id": str(payer_id), "method": method,
            "effective_from": effective_from, **terms}
    if effective_to:
        body["effective_to"] = effective_to
    return created(client.post("/api/rates", json=body, token=org.token))


def per_diem_rate(client, org, facility_id, payer_id, per_diem=MEDICAID_PER_DIEM, **kw) -> dict:
    return rate(client, org, facility_id, payer_id, "per_diem", per_diem=per_diem, **kw)


def acuity_rate(client, org, facility_id, payer_id, acuity_rates=None, **kw) -> dict:
    return rate(client, org, facility_id, payer_id, "acuity",
                acuity_rates=acuity_rates or dict(COMMERCIAL_BY_ACUITY), **kw)


def pdpm_rate(client, org, facility_id, payer_id, *, effective_from="2025-10-01", **terms) -> dict:
    return rate(client, org, facility_id, payer_id, "pdpm", effective_from=effective_from,
                **{**PDPM_TERMS, **terms})


def cost_model(client: ApiClient, org: Org, facility_id, **fields) -> dict:
    return created(client.post("/api/cost-models", json={
        "facility_id": str(facility_id), **COST_MODEL, **fields}, token=org.token))


def org_payers(client: ApiClient, org: Org) -> dict[str, dict]:
    """One payer of each type the configured facilities take, by payer type."""
    return {payer_type: payer(client, org, payer_type, name)
            for payer_type, name in PAYERS.items()}


@dataclass
class Configured:
    """A facility with a rate of every payer and an active cost model."""
    facility: dict
    payers: dict[str, dict]
    rates: dict[str, dict] = field(default_factory=dict)
    cost_model: dict | None = None

    @property
    def id(self) -> str:
        return self.facility["id"]

    def payer_id(self, payer_type: str) -> str:
        return self.payers[payer_type]["id"]


def configured_facility(client: ApiClient, org: Org, payers: dict[str, dict], *,
                        with_rates: bool = True, with_cost_model: bool = True,
                        cost_model_fields: dict | None = None, **facility_fields) -> Configured:
    made = Configured(facility(client, org, **facility_fields), payers)
    if with_rates:
        for payer_type, p in payers.items():
            if payer_type == "medicare_a":
                made.rates[payer_type] = pdpm_rate(client, org, made.id, p["id"])
            elif payer_type == "commercial":
                made.rates[payer_type] = acuity_rate(client, org, made.id, p["id"])
            else:
                made.rates[payer_type] = per_diem_rate(client, org, made.id, p["id"])
    if with_cost_model:
        made.cost_model = cost_model(client, org, made.id, **(cost_model_fields or {}))
    return made


def referral(place: Configured, payer_type: str = "medicaid", **fields) -> dict:
    """A referral body to this facility (10 days, moderate, received in FY2026 unless told)."""
    return {"facility_id": place.id, "payer_id": place.payer_id(payer_type),
            "length_of_stay_days": 10, "acuity": "moderate",
            "referral_received_at": IN_FY2026, **fields}


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def month_start(offset: int, today: date | None = None) -> datetime:
    """Midnight UTC on the first day of the month `offset` months from this one (-1: last)."""
    today = today or datetime.now(timezone.utc).date()
    index = today.year * 12 + today.month - 1 + offset
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)


def month_key(offset: int, today: date | None = None) -> str:
    return month_start(offset, today).strftime("%Y-%m")


def count(admin_sql, table: str, organization_id) -> int:
    return admin_sql(f"SELECT count(*) AS n FROM {table} WHERE organization_id = %s",
                     (str(organization_id),))[0]["n"]
