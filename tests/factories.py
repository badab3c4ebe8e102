"""The tests' factories and small checks, in one place: the API client, organizations and users,
facilities, payers, rates and cost models, fully configured facilities and referrals, and the
helpers that read responses and stored rows.

Everything is made through the API or the real repositories. These are plain functions taking
the API client, so module-scoped fixtures can use them too (signing up costs a quarter of a
second: a module signs up its organizations once where it can); the fixtures themselves are in
tests/conftest.py. A single thing (facility, payer, rate, cost model) is made with the token
given; an organization's set-up (org_payers, configured_facility) as its owner.

The configured facilities' numbers are chosen so that evaluations can be worked out by hand:

* cost model: fixed 150.00 + nursing (2/3/4/5 h by acuity x 40.00) + therapy 50.00 + each
  required service + medication (default 20.00) a day; a moderate referral costs 340.00 a day;
* Medicaid: per diem 400.00;
* commercial: by acuity, low 300.00, moderate 380.00, high 450.00, complex 600.00;
* Medicare Part A: PDPM FY2026, urban, wage index 1.1, VBP multiplier 1.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json as jsonlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

import psycopg2

# --- the API client -----------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    mimetype: str | None

    def json(self):
        return jsonlib.loads(self.body)


class ApiClient:
    """Calls the registered functions through the local router, as the Functions host would."""

    def __init__(self, router):
        self.router = router

    def request(self, method, path, *, json=None, body=None, token=None, headers=None):
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        if token:
            headers["authorization"] = f"Bearer {token}"
        if json is not None:
            body = jsonlib.dumps(json).encode()
            headers.setdefault("content-type", "application/json")
        headers.setdefault("x-forwarded-for", "203.0.113.9")
        response = self.router.dispatch(method, path, headers, body)
        return Response(response.status_code, dict(response.headers), response.get_body(),
                        response.mimetype)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def new_client(app) -> ApiClient:
    from local.router import Router
    return ApiClient(Router(app))


# --- reading responses --------------------------------------------------------------------

def ok(response) -> dict:
    assert response.status == 200, (response.status, response.body)
    return response.json()


def created(response) -> dict:
    assert response.status == 201, (response.status, response.body)
    return response.json()


def header(response, name: str) -> str | None:
    return {k.lower(): v for k, v in response.headers.items()}.get(name.lower())


# What pydantic says and a user cannot act on: no 422 message holds it.
NOT_PLAIN = ("Value error", "Input should", "String should", "Field required",
             "Extra inputs", "should match pattern", "^", "[A-", "valid UUID")


def is_plain(message: str) -> bool:
    return not any(fragment in message for fragment in NOT_PLAIN)


def fields_named(response) -> set[str]:
    """The fields a 422 problem names (each with a message in plain words)."""
    assert response.status == 422, (response.status, response.body)
    assert response.mimetype == "application/problem+json"
    errors = response.json()["errors"]
    assert all(is_plain(error["message"]) for error in errors), errors
    return {error["field"] for error in errors}


def without_request_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "request_id"}


def at(timestamp: str) -> datetime:
    """A response's timestamp, comparable (pydantic drops a zero microsecond part)."""
    return datetime.fromisoformat(timestamp)


def iso(moment: datetime) -> str:
    """A moment as a request's UTC timestamp."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def decimals(mapping: dict) -> dict:
    return {k: Decimal(str(v)) for k, v in mapping.items()}


# --- organizations, users and sessions ----------------------------------------------------

PASSWORD = "correct horse battery staple"


def unique_subdomain(prefix: str = "org") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def fresh_address() -> str:
    """A source address no other test uses: the per-address sign-in counter is shared by the
    run. In the canonical form the functions store it in ("0a1b" is written "a1b"), so a test
    that hashes it finds the stored key."""
    return str(ipaddress.IPv6Address(f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}"
                                     f"::{secrets.token_hex(2)}"))


def token_digest(token: str) -> psycopg2.Binary:
    """A session token as it is stored: its SHA-256."""
    return psycopg2.Binary(hashlib.sha256(token.encode()).digest())


@dataclass
class Org:
    """An organization made through the real signup, with its owner signed in."""
    id: uuid.UUID
    subdomain: str
    email: str
    password: str
    token: str


def signup(client: ApiClient, *, subdomain=None, email=None, name="Lakeside Care",
                password=PASSWORD, address=None, headers=None) -> Response:
    """POST /api/signup (a fresh subdomain and its owner's address unless told); the response,
    whatever it is. Each from a fresh source address: signups are throttled per address."""
    subdomain = subdomain or unique_subdomain()
    headers = {"X-Forwarded-For": address or fresh_address(), **(headers or {})}
    return client.post("/api/signup", headers=headers, json={
        "organization_name": name, "subdomain": subdomain,
        "email": email or f"owner@{subdomain}.example", "password": password})


def new_org(client: ApiClient, name: str = "Organization", *,
            tier: str | None = "enterprise") -> Org:
    """A new organization, through the real signup, with its owner signed in. It is then put on
    `tier` (active, the plan's limits), Enterprise unless told, so that tests of other things
    are not stopped by a trial's limits; tier=None keeps the real 14-day trial."""
    subdomain = unique_subdomain()
    email = f"owner@{subdomain}.example"
    data = created(signup(client, subdomain=subdomain, email=email, name=name))
    org = Org(uuid.UUID(data["organization"]["id"]), subdomain, email, PASSWORD, data["token"])
    if tier is not None:
        on_plan(org, tier)
    return org


def on_plan(org: Org, tier: str, **values) -> None:
    """Set the organization's stored plan and standing directly (status active unless told),
    as a state to start a test from; no audit row, no e-mail."""
    from shared import db
    from shared.repositories import plans
    with db.tenant_transaction(org.id) as cur:
        plans.update_account(cur, organization_id=org.id,
                             values={"tier": tier, "status": "active", **values})


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """One argon2 hash of PASSWORD for the run."""
    from shared.security import hash_password
    return hash_password(PASSWORD)


def _insert_user(cur, org: Org, role: str, email: str) -> dict:
    from shared.repositories import users
    return users.insert(cur, organization_id=org.id, email=email,
                        password_hash=_password_hash(), role=role)


def _new_email(org: Org, role: str) -> str:
    return f"{role}-{secrets.token_hex(3)}@{org.subdomain}.example"


def add_user(client: ApiClient, org: Org, role: str) -> str:
    """A user with this role in the organization (through the repository), signed in through
    the real sign-in; returns the token."""
    from shared import db
    email = _new_email(org, role)
    with db.tenant_transaction(org.id) as cur:
        _insert_user(cur, org, role, email)
    return ok(client.post("/api/auth/login", json={
        "subdomain": org.subdomain, "email": email, "password": PASSWORD}))["token"]


@dataclass(frozen=True)
class Member:
    token: str
    id: str
    email: str


def add_member(org: Org, role: str, *, email: str | None = None) -> Member:
    """A user with this role and a live session, made quickly: both through the repositories,
    so no sign-in and no argon2 work per user. The user can also sign in with PASSWORD like
    anyone else."""
    from shared import db
    from shared.repositories import sessions
    from shared.security import new_session_token, token_hash
    email = email or _new_email(org, role)
    token = new_session_token(org.id)
    with db.tenant_transaction(org.id) as cur:
        user = _insert_user(cur, org, role, email)
        sessions.insert(cur, organization_id=org.id, user_id=user["id"],
                        token_hash=token_hash(token),
                        expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    return Member(token=token, id=str(uuid.UUID(str(user["id"]))), email=email)


# --- facilities, payers, rates, cost models -----------------------------------------------

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
    org = new_org(client, name)
    result = Tenant(org, {"owner": org.token, **{role: add_user(client, org, role)
                                                  for role in roles}})
    # Urban at PDPM_TERMS' wage index: a PDPM rate must agree with its facility's.
    result.facility_id = facility(client, org.token, locality="urban",
                                  wage_index=PDPM_TERMS["wage_index"])["id"]
    return result


# --- configured facilities and referrals (the numbers of the module docstring) -------------

CONFIGURED_CENSUS = {"bed_count": 100, "current_census": 80, "target_occupancy_pct": 90}
CONFIGURED_COST_MODEL = {
    "fixed_daily_cost": 150,
    "nursing_hours_per_day": {"low": 2, "moderate": 3, "high": 4, "complex": 5},
    "nursing_wage_hourly": 40,
    "therapy_cost_per_day": 50,
    "service_costs": {"iv_therapy": 85, "wound_vac": 62, "dialysis": 140},
    "default_medication_cost_per_day": 20,
    "supported_services": ["iv_therapy", "wound_vac"],
}
MEDICAID_PER_DIEM = 400
COMMERCIAL_BY_ACUITY = {"low": 300, "moderate": 380, "high": 450, "complex": 600}
MEDICARE_PDPM_TERMS = {"fiscal_year": 2026, "locality": "urban", "wage_index": 1.1,
                       "vbp_multiplier": 1}
PAYERS = {"medicare_a": "Medicare Part A", "medicaid": "Ohio Medicaid",
          "commercial": "Anthem Commercial"}
# Inside Medicare's FY2026 (2025-10-01 to 2026-09-30) and calendar 2026, and in the past.
IN_FY2026 = "2026-06-01T10:00:00Z"


def org_payers(client: ApiClient, org: Org) -> dict[str, dict]:
    """One payer of each type the configured facilities take, by payer type."""
    return {payer_type: payer(client, org.token, payer_type=payer_type, name=name)
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
    """A facility (census 80 of 100 beds, target 90%) with a rate of each payer (Medicare Part A
    on PDPM from 2025-10-01, commercial by acuity, any other per diem) and a cost model."""
    token = org.token
    # The facility's wage index is its Medicare rate's: a PDPM rate must agree with it.
    made = Configured(facility(client, token, **{
        **CONFIGURED_CENSUS, "wage_index": MEDICARE_PDPM_TERMS["wage_index"],
        **facility_fields}), payers)
    if with_rates:
        for payer_type, p in payers.items():
            if payer_type == "medicare_a":
                terms = {"method": "pdpm", "effective_from": "2025-10-01", **MEDICARE_PDPM_TERMS}
            elif payer_type == "commercial":
                terms = {"method": "acuity", "acuity_rates": dict(COMMERCIAL_BY_ACUITY)}
            else:
                terms = {"method": "per_diem", "per_diem": MEDICAID_PER_DIEM}
            made.rates[payer_type] = rate(client, token, made.id, p["id"], **terms)
    if with_cost_model:
        made.cost_model = cost_model(client, token, made.id, **{
            **CONFIGURED_COST_MODEL, **(cost_model_fields or {})})
    return made


def referral(place: Configured, payer_type: str = "medicaid", **fields) -> dict:
    """A referral body to this facility (10 days, moderate, received in FY2026 unless told)."""
    return {"facility_id": place.id, "payer_id": place.payer_id(payer_type),
            "length_of_stay_days": 10, "acuity": "moderate",
            "referral_received_at": IN_FY2026, **fields}


# --- lists and stored rows ----------------------------------------------------------------

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


# --- two-factor sign-in -------------------------------------------------------------------

class Authenticator:
    """A user's authenticator app: the code of each time step in the window, each step once
    (the server accepts every step once), from the step before now onwards."""

    def __init__(self, secret: str):
        self.secret = secret
        self.last_step = 0

    def code_at(self, step: int) -> str:
        import pyotp
        return pyotp.TOTP(self.secret).generate_otp(step)

    def code(self) -> str:
        from shared.totp import WINDOW, current_step
        step = max(self.last_step + 1, current_step() - WINDOW)
        assert step <= current_step() + WINDOW, "every code of the window is used"
        self.last_step = step
        return self.code_at(step)


def enroll(client: ApiClient, token: str) -> tuple[Authenticator, list[str]]:
    """Turn on two-factor sign-in for the token's user; their authenticator and recovery codes."""
    setup = ok(client.post("/api/me/two-factor", token=token))
    app = Authenticator(setup["secret"])
    codes = ok(client.post("/api/me/two-factor/confirm", token=token,
                           json={"code": app.code()}))["recovery_codes"]
    return app, codes


def sign_in_two_steps(client: ApiClient, org: Org, app: Authenticator, *, email=None,
                      address=None) -> str:
    """Password, then a code: the session's token."""
    headers = {"X-Forwarded-For": address or fresh_address()}
    first = ok(client.post("/api/auth/login", headers=headers, json={
        "subdomain": org.subdomain, "email": email or org.email, "password": PASSWORD}))
    return ok(client.post("/api/auth/login/code", headers=headers, json={
        "challenge": first["second_step"]["challenge"], "code": app.code()}))["token"]
