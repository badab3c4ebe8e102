"""Factories and checks shared by the tests of payers, rates, cost models and business weights.

Plain functions taking the API client, so module-scoped fixtures can use them too (signing up
costs a quarter of a second: a module signs up its organizations once where it can)."""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from tests.conftest import PASSWORD, ApiClient, Org, unique_subdomain


def header(response, name: str) -> str | None:
    return {k.lower(): v for k, v in response.headers.items()}.get(name.lower())


def fields_named(response) -> set[str]:
    """The fields a 422 problem names."""
    assert response.status == 422, (response.status, response.body)
    assert response.mimetype == "application/problem+json"
    return {error["field"] for error in response.json()["errors"]}


def at(timestamp: str) -> datetime:
    """A response's timestamp, comparable (pydantic drops a zero microsecond part)."""
    return datetime.fromisoformat(timestamp)


def without_request_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "request_id"}


def new_client(app) -> ApiClient:
    from local.router import Router
    return ApiClient(Router(app))


def signup(client: ApiClient, name: str = "Organization") -> Org:
    subdomain = unique_subdomain()
    email = f"owner@{subdomain}.example"
    response = client.post("/api/signup", json={
        "organization_name": name, "subdomain": subdomain, "email": email,
        "password": PASSWORD})
    assert response.status == 201, response.body
    data = response.json()
    return Org(uuid.UUID(data["organization"]["id"]), subdomain, email, PASSWORD, data["token"])


def add_user(client: ApiClient, org: Org, role: str) -> str:
    """A user with this role in the organization, signed in; returns the token."""
    from shared import db
    from shared.repositories import users
    from shared.security import hash_password
    email = f"{role}-{secrets.token_hex(3)}@{org.subdomain}.example"
    with db.tenant_transaction(org.id) as cur:
        users.insert(cur, organization_id=org.id, email=email,
                     password_hash=hash_password(PASSWORD), role=role)
    response = client.post("/api/auth/login", json={
        "subdomain": org.subdomain, "email": email, "password": PASSWORD})
    assert response.status == 200, response.body
    return response.json()["token"]


@dataclass
class Tenant:
    """An organization with a signed-in user of each role, and one active facility."""
    org: Org
    tokens: dict[str, str] = field(default_factory=dict)
    facility_id: str = ""

    @property
    def token(self) -> str:
        return self.org.token

    @property
    def id(self) -> uuid.UUID:
        return self.org.id


def tenant(client: ApiClient, name: str, roles=("admin", "coordinator", "viewer")) -> Tenant:
    org = signup(client, name)
    result = Tenant(org, {"owner": org.token, **{role: add_user(client, org, role)
                                                  for role in roles}})
    result.facility_id = facility(client, org.token)["id"]
    return result


def created(response) -> dict:
    assert response.status == 201, (response.status, response.body)
    return response.json()


def facility(client: ApiClient, token: str, **fields) -> dict:
    body = {"name": f"Facility {secrets.token_hex(4)}", "bed_count": 100, **fields}
    return created(client.post("/api/facilities", json=body, token=token))


def payer_body(**fields) -> dict:
    return {"name": f"Payer {secrets.token_hex(4)}", "payer_type": "commercial", **fields}


def payer(client: ApiClient, token: str, **fields) -> dict:
    return created(client.post("/api/payers", json=payer_body(**fields), token=token))


ACUITY_RATES = {"low": 210, "moderate": 265.5, "high": 340, "complex": 455}
PDPM_TERMS = {"fiscal_year": 2026, "locality": "urban", "wage_index": 0.9512,
              "vbp_multiplier": 0.99}


def rate_body(facility_id, payer_id, method: str = "per_diem", **fields) -> dict:
    """A valid rate body for the method, open-ended from 2025-01-01 unless told."""
    terms = {"per_diem": {"per_diem": 250}, "acuity": {"acuity_rates": dict(ACUITY_RATES)},
             "pdpm": dict(PDPM_TERMS)}[method]
    return {"facility_id": str(facility_id), "payer_id": str(payer_id), "method": method,
            "effective_from": "2025-01-01", **terms, **fields}


def rate(client: ApiClient, token: str, facility_id, payer_id, method: str = "per_diem",
         **fields) -> dict:
    return created(client.post("/api/rates", json=rate_body(facility_id, payer_id, method,
                                                             **fields), token=token))


NURSING_HOURS = {"low": 2.5, "moderate": 3.25, "high": 4, "complex": 5.5}


def cost_model_body(facility_id, **fields) -> dict:
    return {"facility_id": str(facility_id), "fixed_daily_cost": 180,
            "nursing_hours_per_day": dict(NURSING_HOURS), "nursing_wage_hourly": 42.5,
            "therapy_cost_per_day": 60, **fields}


def cost_model(client: ApiClient, token: str, facility_id, **fields) -> dict:
    return created(client.post("/api/cost-models", json=cost_model_body(facility_id, **fields),
                               token=token))


def audit_rows(admin_sql, object_type: str, object_id=None, *, organization_id=None) -> list:
    """The audit rows of one object (or of a type in an organization), oldest first."""
    return admin_sql("""
        SELECT action, object_id::text, user_id::text, request_id, changes
          FROM audit_logs
         WHERE object_type = %(type)s
           AND (%(object_id)s::uuid IS NULL OR object_id = %(object_id)s::uuid)
           AND (%(org)s::uuid IS NULL OR organization_id = %(org)s::uuid)
         ORDER BY occurred_at, action""",
        {"type": object_type, "object_id": str(object_id) if object_id else None,
         "org": str(organization_id) if organization_id else None})


def count(admin_sql, table: str, organization_id) -> int:
    return admin_sql(f"SELECT count(*) AS n FROM {table} WHERE organization_id = %s",
                     (str(organization_id),))[0]["n"]


def pages(client: ApiClient, path: str, token: str, *, limit: int) -> list[list[dict]]:
    """Every page of a list, following next_cursor until it is null."""
    result, cursor = [], None
    sep = "&" if "?" in path else "?"
    while True:
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, token=token)
        assert response.status == 200, response.body
        page = response.json()
        assert len(page["items"]) <= limit
        result.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return result
        assert len(result) < 50
