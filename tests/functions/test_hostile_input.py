"""Hostile and odd input never becomes a 500: control characters in bodies, queries and paths,
ancient referral dates, a per diem of a cent. Also what the same review fixed around it: 405
with Allow for a wrong method, the session's end in /api/me, who recorded an outcome, a new
facility's target from the organization's weights, saved weights steering an evaluation, and
the OpenAPI document built once."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from decimal import Decimal as D

import pytest

from tests.factories import (add_member, configured_facility, created, header, is_plain,
                             new_client, new_org, ok, org_payers, referral)

PROBLEM_KEYS = {"type", "title", "status", "detail", "request_id"}


def problem(response, status: int) -> dict:
    """The problem+json body of a response that must have this status."""
    assert response.status == status, (response.status, response.body)
    assert response.mimetype == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == status
    return body


def named(response) -> dict[str, list[str]]:
    """The fields a 422 problem names, each with its messages."""
    body = problem(response, 422)
    found: dict[str, list[str]] = {}
    for error in body.get("errors", []):
        assert is_plain(error["message"]), error
        found.setdefault(error["field"], []).append(error["message"])
    return found


@pytest.fixture(scope="module")
def api(database, app):
    return new_client(app)


@pytest.fixture(scope="module")
def home(api):
    """An organization with a configured facility (rates of every payer, a cost model)."""
    org = new_org(api, "Hostile Input Care")
    place = configured_facility(api, org, org_payers(api, org), name="Harbor View")
    return org, place


CONTROL = ["\u0000", "\u0001", "\u001b", "\u007f", "\r", "\u000b"]


# --- control characters in bodies -----------------------------------------------------------

@pytest.mark.parametrize("char", CONTROL, ids=repr)
def test_a_control_character_in_a_facility_name_is_named_not_a_500(api, home, char):
    org, _ = home

    response = api.post("/api/facilities", json={"name": f"Maple{char}Grove", "bed_count": 10},
                        token=org.token)

    assert "name" in named(response)
    listed = ok(api.get("/api/facilities?limit=200", token=org.token))["items"]
    assert not any(char in f["name"] for f in listed)


def test_a_nul_in_a_facility_name_is_refused_on_change_too(api, home):
    org, place = home

    response = api.patch(f"/api/facilities/{place.id}", json={"name": "Harbor\u0000View"},
                         token=org.token)

    assert "name" in named(response)
    assert ok(api.get(f"/api/facilities/{place.id}", token=org.token))["name"] == "Harbor View"


@pytest.mark.parametrize("char", ["\u0000", "\u0007"], ids=repr)
def test_a_control_character_in_a_payer_name_is_named(api, home, char):
    org, _ = home

    response = api.post("/api/payers", json={"name": f"Anthem{char}Plus",
                                             "payer_type": "commercial"}, token=org.token)

    assert "name" in named(response)


@pytest.mark.parametrize("char", ["\n", "\t"], ids=repr)
@pytest.mark.parametrize("path, body", [
    ("/api/facilities", {"bed_count": 10}),
    ("/api/payers", {"payer_type": "commercial"}),
])
def test_a_name_with_a_line_break_or_tab_must_be_one_line(api, home, path, body, char):
    org, _ = home

    response = api.post(path, json={"name": f"Two{char}Lines", **body}, token=org.token)

    errors = named(response)
    assert set(errors) == {"name"}
    assert any("must be one line" in message for message in errors["name"])


def test_a_nul_in_the_organization_name_at_signup_is_named(api):
    response = api.post("/api/signup", json={
        "organization_name": "Lake\u0000side", "subdomain": f"nul-{uuid.uuid4().hex[:8]}",
        "email": "owner@nul.example", "password": "correct horse battery staple"})

    assert "organization_name" in named(response)


@pytest.mark.parametrize("field", ["subdomain", "email"])
def test_a_nul_in_the_sign_in_subdomain_or_email_is_named(api, home, field):
    org, _ = home
    body = {"subdomain": org.subdomain, "email": org.email, "password": org.password}
    body[field] = body[field][:3] + "\u0000" + body[field][3:]

    response = api.post("/api/auth/login", json=body)

    assert field in named(response)


def test_a_nul_in_a_password_reset_request_email_is_named(api, home):
    org, _ = home

    response = api.post("/api/auth/password-reset",
                        json={"subdomain": org.subdomain, "email": "own\u0000er@x.example"})

    assert "email" in named(response)


@pytest.mark.parametrize("path", ["/api/admissions/evaluate", "/api/admissions"])
@pytest.mark.parametrize("char", ["\u0000", "\u0008"], ids=repr)
def test_a_control_character_in_an_admission_note_is_named(api, home, path, char):
    org, place = home

    response = api.post(path, json=referral(place, note=f"needs a{char}ride"), token=org.token)

    assert "note" in named(response)


def test_a_note_may_hold_a_line_feed(api, home):
    org, place = home

    made = created(api.post("/api/admissions",
                            json=referral(place, note="first line\nsecond line"),
                            token=org.token))

    shown = ok(api.get(f"/api/admissions/{made['id']}", token=org.token))
    assert shown["note"] == "first line\nsecond line"


# --- control characters in queries and paths ------------------------------------------------

def b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "a%00b",
    "a%01b",
    "%7F",
    b64(["Maple\u0000Grove", str(uuid.uuid4())]),
    b64(["Maple", "\u0000"]),
], ids=["nul", "soh", "del", "nul-in-decoded-name", "nul-in-decoded-id"])
def test_a_control_character_in_a_cursor_is_a_422_naming_cursor(api, home, cursor):
    org, _ = home

    response = api.get(f"/api/facilities?cursor={cursor}", token=org.token)

    errors = named(response)
    assert set(errors) == {"cursor"}
    assert all(e["location"] == "query" for e in response.json()["errors"])


@pytest.mark.parametrize("path", ["/api/payers", "/api/rates", "/api/cost-models",
                                  "/api/admissions", "/api/users"])
def test_a_nul_cursor_on_any_list_is_a_422_not_a_500(api, home, path):
    org, _ = home

    decoded_nul = b64(["x\u0000", str(uuid.uuid4())])

    assert "cursor" in named(api.get(f"{path}?cursor=a%00b", token=org.token))
    assert "cursor" in named(api.get(f"{path}?cursor={decoded_nul}", token=org.token))


def test_a_nul_in_another_query_parameter_is_a_4xx(api, home):
    org, _ = home

    for path in ("/api/dashboard?months=1%00", "/api/admissions?status=pending%00",
                 "/api/facilities?include_inactive=true%00"):
        response = api.get(path, token=org.token)
        assert 400 <= response.status < 500, (path, response.status, response.body)
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/api/signup/subdomains/ab%00c", "/api/branding/ab%00c",
                                  "/api/branding/ab%00c/logo", "/api/signup/subdomains/ab%01cd",
                                  "/api/branding/%7Fabc"])
def test_a_control_character_in_a_path_value_is_a_404(api, path):
    body = problem(api.get(path), 404)

    assert body["type"].endswith("/not-found")


def test_a_path_value_is_decoded_before_it_is_checked(api, home):
    org, _ = home
    encoded = "".join(f"%{b:02X}" for b in org.subdomain.encode())

    branding = ok(api.get(f"/api/branding/{encoded}"))

    assert branding["name"] == "Hostile Input Care"
    availability = ok(api.get(f"/api/signup/subdomains/{encoded}"))
    assert (availability["subdomain"], availability["available"]) == (org.subdomain, False)


# --- dates before any data ------------------------------------------------------------------

ANCIENT = ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00Z", "1999-06-01T12:00:00Z",
           "2014-12-31T23:59:59Z", "2015-01-01T04:59:59+05:00"]


@pytest.mark.parametrize("received", ANCIENT)
@pytest.mark.parametrize("path", ["/api/admissions/evaluate", "/api/admissions",
                                  "/api/admissions/compare"])
def test_a_referral_received_before_2015_is_named_not_a_500(api, home, admin_sql, path,
                                                            received):
    org, place = home
    body = referral(place, referral_received_at=received)
    if path.endswith("compare"):
        del body["facility_id"]
    before = admin_sql("SELECT count(*) AS n FROM admissions WHERE organization_id = %s",
                       (str(org.id),))[0]["n"]

    response = api.post(path, json=body, token=org.token)

    errors = named(response)
    assert "referral_received_at" in errors
    assert any("2015-01-01" in m for m in errors["referral_received_at"])
    assert admin_sql("SELECT count(*) AS n FROM admissions WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == before


def test_a_referral_on_the_first_of_2015_is_not_refused_for_its_date(api, home):
    org, place = home

    response = api.post("/api/admissions/evaluate",
                        json=referral(place, referral_received_at="2015-01-01T00:00:00Z"),
                        token=org.token)

    assert response.status != 500
    if response.status == 422:  # no rate in force then, which is not the date's fault
        assert "referral_received_at" not in named(response)


# --- a per diem of a cent -------------------------------------------------------------------

@pytest.fixture(scope="module")
def cent_rate(api):
    """An organization whose only facility's Medicaid rate is 0.01 a day."""
    org = new_org(api, "Cent Rate Care")
    payers = org_payers(api, org)
    place = configured_facility(api, org, payers, with_rates=False, name="Penny Lane")
    created(api.post("/api/rates", json={
        "facility_id": place.id, "payer_id": place.payer_id("medicaid"), "method": "per_diem",
        "effective_from": "2025-01-01", "per_diem": 0.01}, token=org.token))
    return org, place


def test_a_cent_per_diem_caps_margin_pct_and_is_stored_listed_and_charted(api, cent_rate,
                                                                          admin_sql):
    org, place = cent_rate
    body = referral(place, "medicaid", length_of_stay_days=30)

    evaluated = ok(api.post("/api/admissions/evaluate", json=body, token=org.token))
    made = created(api.post("/api/admissions", json=body, token=org.token))

    assert D(evaluated["revenue"]["total"]) == D("0.30")
    assert D(evaluated["margin_pct"]) == D("-99999.99")
    assert D(made["margin_pct"]) == D("-99999.99")
    assert D(made["margin"]) == D(evaluated["margin"]) < 0
    stored = admin_sql("SELECT margin_pct, revenue_total FROM admissions WHERE id = %s",
                       (made["id"],))[0]
    assert (stored["margin_pct"], stored["revenue_total"]) == (D("-99999.99"), D("0.30"))
    shown = ok(api.get(f"/api/admissions/{made['id']}", token=org.token))
    assert D(shown["margin_pct"]) == D("-99999.99")
    listed = ok(api.get("/api/admissions", token=org.token))["items"]
    assert [D(a["margin_pct"]) for a in listed if a["id"] == made["id"]] == [D("-99999.99")]
    months = ok(api.get("/api/dashboard?months=36", token=org.token))["months"]
    averages = [D(m["average_margin_pct"]) for m in months if m["referrals"]]
    assert averages and min(averages) <= D("-99999.99") / len(listed)


def test_a_cent_per_diem_compares_without_error(api, cent_rate):
    org, place = cent_rate
    body = referral(place, "medicaid")
    del body["facility_id"]

    compared = ok(api.post("/api/admissions/compare", json=body, token=org.token))

    text = json.dumps(compared)
    assert "-99999.99" in text


# --- wrong methods and unknown paths ----------------------------------------------------------

@pytest.mark.parametrize("method, path, allow", [
    ("DELETE", "/api/facilities", "GET, POST"),
    ("PUT", "/api/facilities", "GET, POST"),
    ("PUT", "/api/facilities/{id}", "DELETE, GET, PATCH"),
    ("POST", "/api/facilities/{id}", "DELETE, GET, PATCH"),
    ("GET", "/api/auth/login", "POST"),
    ("DELETE", "/api/business-weights", "GET, PUT"),
    ("POST", "/api/admissions/{id}", "GET"),
    ("GET", "/api/admissions/{id}/decision", "POST"),
])
def test_a_wrong_method_on_an_existing_path_is_a_405_with_allow(api, home, method, path,
                                                                allow):
    org, place = home
    path = path.replace("{id}", place.id)

    response = api.request(method, path, token=org.token)

    body = problem(response, 405)
    assert body["type"].endswith("/method-not-allowed")
    assert header(response, "Allow") == allow
    for method_allowed in allow.split(", "):
        assert method_allowed in body["detail"]


def test_a_wrong_method_answers_405_even_without_a_session(api):
    response = api.request("PATCH", "/api/me")

    problem(response, 405)
    assert header(response, "Allow") == "GET"


@pytest.mark.parametrize("method, path", [("GET", "/api/facility"),
                                          ("PUT", "/api/no-such-thing"),
                                          ("GET", "/api/facilities/a/b/c")])
def test_an_unknown_path_is_a_404_without_allow(api, method, path):
    response = api.request(method, path)

    problem(response, 404)
    assert header(response, "Allow") is None


# --- what the session, the decision and the weights say ----------------------------------------

def test_me_tells_when_the_session_expires(api, home):
    org, _ = home
    login = ok(api.post("/api/auth/login", json={
        "subdomain": org.subdomain, "email": org.email, "password": org.password}))

    me = ok(api.get("/api/me", token=login["token"]))

    assert me["session_expires_at"] is not None
    assert datetime.fromisoformat(me["session_expires_at"]) == \
        datetime.fromisoformat(login["expires_at"])


def test_an_admission_shows_who_recorded_its_outcome(api, home):
    org, place = home
    accepter = add_member(org, "coordinator")
    admitter = add_member(org, "coordinator")
    made = created(api.post("/api/admissions", json=referral(place), token=org.token))
    ok(api.post(f"/api/admissions/{made['id']}/decision", json={"decision": "accepted"},
                token=accepter.token))
    accepted = ok(api.get(f"/api/admissions/{made['id']}", token=org.token))
    assert (accepted["decided_by"], accepted["outcome_by"]) == (accepter.id, None)

    ok(api.post(f"/api/admissions/{made['id']}/decision", json={"decision": "admitted"},
                token=admitter.token))

    shown = ok(api.get(f"/api/admissions/{made['id']}", token=org.token))
    assert shown["status"] == "admitted"
    assert shown["outcome_by"] == admitter.id
    assert shown["decided_by"] == accepter.id
    assert shown["outcome_at"] is not None


def test_a_facility_without_a_target_takes_the_organizations_target(api):
    org = new_org(api, "Target Care")
    default = created(api.post("/api/facilities", json={"name": "Before", "bed_count": 50},
                               token=org.token))
    assert default["target_occupancy_pct"] == "90.00"
    body = {"factor_weights": {"margin": 35, "census": 20, "payer": 15, "clinical": 20,
                               "risk": 10},
            "target_margin_pct": 15, "margin_floor_pct": -5, "payer_preferences": {},
            "accept_threshold": 70, "review_threshold": 50}
    ok(api.request("PUT", "/api/business-weights", json={**body, "target_occupancy_pct": 85},
                   token=org.token))

    after = created(api.post("/api/facilities", json={"name": "After", "bed_count": 50},
                             token=org.token))
    explicit = created(api.post("/api/facilities", json={"name": "Explicit", "bed_count": 50,
                                                         "target_occupancy_pct": 97},
                                token=org.token))

    assert after["target_occupancy_pct"] == "85.00"
    assert explicit["target_occupancy_pct"] == "97.00"
    assert ok(api.get(f"/api/facilities/{default['id']}",
                      token=org.token))["target_occupancy_pct"] == "90.00"


def test_a_new_organizations_facility_target_is_ninety(api):
    org = new_org(api, "Fresh Care")

    made = created(api.post("/api/facilities", json={"name": "First", "bed_count": 20},
                            token=org.token))

    assert made["target_occupancy_pct"] == "90.00"


def factor(evaluation: dict, name: str) -> dict:
    return next(f for f in evaluation["factors"] if f["name"] == name)


def test_saved_business_weights_change_the_evaluation(api):
    org = new_org(api, "Weighted Care")
    place = configured_facility(api, org, org_payers(api, org), name="Scale House")
    body = referral(place, "medicaid")
    before = ok(api.post("/api/admissions/evaluate", json=body, token=org.token))
    assert D(factor(before, "payer")["weight"]) == D(15)
    assert D(factor(before, "payer")["value"]) == D(40)

    ok(api.request("PUT", "/api/business-weights", token=org.token, json={
        "factor_weights": {"margin": 0, "census": 0, "payer": 100, "clinical": 0, "risk": 0},
        "target_margin_pct": 15, "margin_floor_pct": -100, "target_occupancy_pct": 90,
        "payer_preferences": {"medicaid": 12}, "accept_threshold": 80,
        "review_threshold": 60}))
    after = ok(api.post("/api/admissions/evaluate", json=body, token=org.token))
    compare_body = dict(body)
    del compare_body["facility_id"]
    compared = ok(api.post("/api/admissions/compare", json=compare_body, token=org.token))
    saved = created(api.post("/api/admissions", json=body, token=org.token))

    assert D(factor(after, "payer")["weight"]) == D(100)
    assert D(factor(after, "payer")["value"]) == D(12)
    assert D(factor(after, "margin")["weight"]) == D(0)
    assert D(after["score"]) == D("12.0")
    assert after["recommendation"] == "decline"
    assert (D(after["score"]), after["recommendation"]) != (D(before["score"]),
                                                            before["recommendation"])
    assert D(saved["score"]) == D("12.0") and saved["recommendation"] == "decline"
    assert "12.0" in json.dumps(compared)


# --- the OpenAPI document -------------------------------------------------------------------

def test_the_openapi_document_is_served_identically_twice_from_one_build(api, app):
    from shared.openapi import document

    first = api.get("/api/openapi.json")
    second = api.get("/api/openapi.json")

    assert first.status == second.status == 200
    assert first.mimetype == "application/json"
    assert first.body == second.body
    assert json.loads(first.body)["openapi"].startswith("3.")
    assert document(app) is document(app)  # built once per process, not per request
    assert first.body == document(app).encode()


def test_the_openapi_document_lists_405_for_the_catch_all(api):
    document = api.get("/api/openapi.json").json()

    catch_all = document["paths"]["/api/{path}"]
    for method in ("get", "post", "put", "patch", "delete"):
        assert {"404", "405"} <= set(catch_all[method]["responses"]), method
