"""Every registered route and the role it declares, pinned in one table: a changed role, or a new
route nobody listed, fails here until the table is changed on purpose. Then, for every route the
table lists, what a caller without the role gets: 401 with no session, 403 one role below,
before the path or body is even read (an under-privileged caller learns no field rules)."""
from __future__ import annotations

import pytest

from function_app import app
from shared.models.users import Role
from shared.routing import http_functions
from tests.factories import add_member, new_client, new_org

PUBLIC = None  # no session is read

# (method, route after /api/) -> the least role that may call it, or PUBLIC.
ROLES: dict[tuple[str, str], Role | None] = {
    ("GET", "health"): PUBLIC,
    ("GET", "openapi.json"): PUBLIC,
    **{(method, "{*path}"): PUBLIC  # the catch-all: 404 or 405 as problem+json
       for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")},
    # signing up, in and out
    ("POST", "signup"): PUBLIC,
    ("GET", "signup/subdomains/{subdomain}"): PUBLIC,
    ("POST", "auth/login"): PUBLIC,
    ("POST", "auth/logout"): Role.viewer,
    ("POST", "auth/password-reset"): PUBLIC,
    ("POST", "auth/password-reset/confirm"): PUBLIC,
    ("GET", "me"): Role.viewer,
    ("POST", "me/password"): Role.viewer,
    ("GET", "me/sessions"): Role.viewer,
    ("DELETE", "me/sessions/{id:guid}"): Role.viewer,
    ("DELETE", "users/{id:guid}/sessions"): Role.admin,
    # two-factor sign-in
    ("POST", "auth/login/code"): PUBLIC,
    ("POST", "auth/login/enroll"): PUBLIC,
    ("POST", "auth/login/enroll/confirm"): PUBLIC,
    ("GET", "me/two-factor"): Role.viewer,
    ("POST", "me/two-factor"): Role.viewer,
    ("POST", "me/two-factor/confirm"): Role.viewer,
    ("POST", "me/two-factor/recovery-codes"): Role.viewer,
    ("POST", "me/two-factor/disable"): Role.viewer,
    ("PUT", "organization/two-factor"): Role.owner,
    # users and invitations
    ("GET", "users"): Role.admin,
    ("PATCH", "users/{id:guid}"): Role.admin,
    ("POST", "invitations"): Role.admin,
    ("GET", "invitations"): Role.admin,
    ("DELETE", "invitations/{id:guid}"): Role.admin,
    ("POST", "invitations/accept"): PUBLIC,
    ("GET", "usage"): Role.viewer,
    ("GET", "admissions/export"): Role.viewer,
    ("POST", "admissions/{id:guid}/reopen"): Role.admin,
    ("POST", "onboarding/defaults"): Role.admin,
    ("GET", "audit-log"): Role.admin,
    ("GET", "audit-log/export"): Role.admin,
    ("GET", "billing"): Role.viewer,
    ("POST", "billing/checkout"): Role.owner,
    ("POST", "billing/portal"): Role.owner,
    ("POST", "stripe/webhook"): PUBLIC,
    ("POST", "invitations/preview"): PUBLIC,
    # organization and branding
    ("GET", "organization"): Role.viewer,
    ("PATCH", "organization"): Role.admin,
    ("PUT", "organization/logo"): Role.admin,
    ("DELETE", "organization/logo"): Role.admin,
    ("POST", "organization/close"): Role.owner,
    ("POST", "organization/reopen"): Role.owner,
    ("POST", "organization/exports"): Role.owner,
    ("GET", "organization/exports"): Role.owner,
    ("GET", "organization/exports/{id:guid}/download"): Role.owner,
    ("GET", "branding/{subdomain}"): PUBLIC,
    ("GET", "branding/{subdomain}/logo"): PUBLIC,
    # configuration: anyone reads, admins write
    ("GET", "facilities"): Role.viewer,
    ("POST", "facilities"): Role.admin,
    ("GET", "facilities/{id:guid}"): Role.viewer,
    ("PATCH", "facilities/{id:guid}"): Role.admin,
    ("DELETE", "facilities/{id:guid}"): Role.admin,
    ("GET", "payers"): Role.viewer,
    ("POST", "payers"): Role.admin,
    ("GET", "payers/{id:guid}"): Role.viewer,
    ("PATCH", "payers/{id:guid}"): Role.admin,
    ("DELETE", "payers/{id:guid}"): Role.admin,
    ("GET", "rates"): Role.viewer,
    ("POST", "rates"): Role.admin,
    ("GET", "rates/{id:guid}"): Role.viewer,
    ("PATCH", "rates/{id:guid}"): Role.admin,
    ("DELETE", "rates/{id:guid}"): Role.admin,
    ("GET", "cost-models"): Role.viewer,
    ("POST", "cost-models"): Role.admin,
    ("GET", "cost-models/{id:guid}"): Role.viewer,
    ("PATCH", "cost-models/{id:guid}"): Role.admin,
    ("DELETE", "cost-models/{id:guid}"): Role.admin,
    ("GET", "business-weights"): Role.viewer,
    ("PUT", "business-weights"): Role.admin,
    ("GET", "reference"): Role.viewer,
    # admissions: coordinators evaluate and decide, anyone reads
    ("POST", "admissions/evaluate"): Role.coordinator,
    ("POST", "admissions/compare"): Role.coordinator,
    ("POST", "admissions"): Role.coordinator,
    ("GET", "admissions"): Role.viewer,
    ("GET", "admissions/{id:guid}"): Role.viewer,
    ("POST", "admissions/{id:guid}/decision"): Role.coordinator,
    ("GET", "dashboard"): Role.viewer,
}


def declared_roles() -> dict[tuple[str, str], Role | None]:
    """(method, route) -> role, as the registered functions declare them."""
    declared = {}
    for function in http_functions(app):
        assert function.spec is not None, f"{function.name} does not wear @endpoint"
        for method in function.methods:
            assert (method, function.route) not in declared, (method, function.route)
            declared[(method, function.route)] = function.spec.role
    return declared


def test_every_registered_route_declares_the_role_in_the_table():
    declared = declared_roles()

    assert set(declared) - set(ROLES) == set(), "routes not in ROLES: add them on purpose"
    assert set(ROLES) - set(declared) == set(), "ROLES lists routes that are not registered"
    changed = {key: (ROLES[key], role) for key, role in declared.items() if role != ROLES[key]}
    assert changed == {}, "(expected, declared) roles differ"


def test_the_roles_rank_owner_admin_coordinator_viewer():
    ranked = [Role.owner, Role.admin, Role.coordinator, Role.viewer]
    for i, higher in enumerate(ranked):
        for j, lower in enumerate(ranked):
            assert higher.at_least(lower) == (i <= j), (higher, lower)


# --- what a caller without the role gets -------------------------------------------------------

GUARDED = sorted(key for key, role in ROLES.items() if role is not PUBLIC)
BELOW = {Role.owner: Role.admin, Role.admin: Role.coordinator, Role.coordinator: Role.viewer}


def address(route: str) -> str:
    """A path for the route whose parameters name nothing that exists: reading the path first
    would answer 404 instead of 401 or 403."""
    return "/api/" + route.replace("{id:guid}", "00000000-0000-4000-8000-000000000000")


@pytest.fixture(scope="module")
def members(database):
    """One organization with a signed-in member of each role."""
    org = new_org(new_client(app), "Roles")
    return {role: add_member(org, role.value).token for role in Role}


# A body that breaks every rule: malformed JSON would be a 400, and its absence a 400 too.
INVALID_BODY = b'{"name": '


@pytest.mark.parametrize("method, route", GUARDED, ids=[f"{m} {r}" for m, r in GUARDED])
def test_no_session_is_401_before_the_input_is_read(client, method, route):
    response = client.request(method, address(route), body=INVALID_BODY,
                              headers={"content-type": "application/json"})

    assert response.status == 401, response.body
    assert response.mimetype == "application/problem+json"


BELOW_ROLE = [key for key in GUARDED if ROLES[key] in BELOW]


@pytest.mark.parametrize("method, route", BELOW_ROLE, ids=[f"{m} {r}" for m, r in BELOW_ROLE])
def test_one_role_below_is_403_before_the_input_is_read(client, members, method, route):
    below = BELOW[ROLES[(method, route)]]

    response = client.request(method, address(route), body=INVALID_BODY, token=members[below],
                              headers={"content-type": "application/json"})

    assert response.status == 403, response.body
    assert response.mimetype == "application/problem+json"
    assert ROLES[(method, route)].value in response.json()["detail"]
