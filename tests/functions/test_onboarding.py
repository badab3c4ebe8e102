"""POST /api/onboarding/defaults: a new organization's facility gets a Medicare Part A payer, the
current PDPM rate at the facility's locality and wage index, a cost model template and the
default weights, each audited, and can evaluate a Medicare referral at once; what exists is kept
(twice changes nothing); owners and admins only; another organization's facility is a 404."""
from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest

from tests.factories import add_user, audit_rows, count, created, facility, fields_named, payer


def start(client, token, facility_id):
    return client.post("/api/onboarding/defaults", json={"facility_id": str(facility_id)},
                       token=token)


def test_a_new_facility_starts_from_defaults_and_evaluates_a_medicare_referral(client, make_org,
                                                                              admin_sql):
    trial = make_org("Onboarding Trial", tier=None)
    made = facility(client, trial.token, locality="rural", wage_index="0.8456",
                    current_census=50)

    response = start(client, trial.token, made["id"])

    assert response.status == 201, response.body
    body = response.json()
    assert (body["payer"]["name"], body["payer"]["payer_type"]) == ("Medicare Part A", "medicare_a")
    rate = body["rate"]
    assert (rate["method"], rate["locality"], rate["wage_index"], rate["vbp_multiplier"]) == (
        "pdpm", "rural", "0.8456", "1.00000")
    fiscal_year = admin_sql("SELECT max(fiscal_year) AS y FROM pdpm_base_rates")[0]["y"]
    assert (rate["fiscal_year"], rate["effective_from"]) == (fiscal_year, f"{fiscal_year - 1}-10-01")
    model = body["cost_model"]
    assert model["facility_id"] == made["id"] and "iv_therapy" in model["supported_services"]
    assert set(model["nursing_hours_per_day"]) == {"low", "moderate", "high", "complex"}
    assert body["business_weights"]["is_default"] is False and body["kept"] == []
    assert body["warnings"] == []
    for kind, object_id in (("payer", body["payer"]["id"]), ("rate", rate["id"]),
                            ("cost_model", model["id"])):
        assert [r["action"] for r in audit_rows(admin_sql, kind, object_id)] == [f"{kind}.create"]
    assert [r["action"] for r in audit_rows(admin_sql, "business_weights",
                                            organization_id=trial.id)] == ["business_weights.update"]

    evaluated = client.post("/api/admissions/evaluate", token=trial.token, json={
        "facility_id": made["id"], "payer_id": body["payer"]["id"], "length_of_stay_days": 20,
        "acuity": "moderate", "required_services": ["iv_therapy"], "hipps_code": "KBGE1"})
    assert evaluated.status == 200, evaluated.body
    assert evaluated.json()["rate"]["id"] == rate["id"]
    assert evaluated.json()["hard_stops"] == []


def test_running_it_twice_keeps_what_exists_and_adds_nothing(client, org, admin_sql):
    made = facility(client, org.token)
    assert start(client, org.token, made["id"]).status == 201
    before = {t: count(admin_sql, t, org.id) for t in ("payers", "rates", "cost_models")}

    again = start(client, org.token, made["id"])

    assert again.status == 201, again.body
    body = again.json()
    assert body["rate"] is None and body["cost_model"] is None
    assert len(body["kept"]) == 4  # the payer, the rate, the cost model, the weights
    assert {t: count(admin_sql, t, org.id) for t in before} == before


def test_an_existing_medicare_payer_is_used_rather_than_a_second_one(client, org):
    mine = payer(client, org.token, name="CMS Part A", payer_type="medicare_a")
    made = facility(client, org.token)

    body = start(client, org.token, made["id"]).json()

    assert body["payer"]["id"] == mine["id"] and body["rate"]["payer_id"] == mine["id"]


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_may_not_start_from_defaults(client, org, role, admin_sql):
    made = facility(client, org.token)
    token = add_user(client, org, role)

    assert start(client, token, made["id"]).status == 403
    assert count(admin_sql, "payers", org.id) == 0


def test_an_admin_may(client, org):
    made = facility(client, org.token)
    assert start(client, add_user(client, org, "admin"), made["id"]).status == 201


def test_another_organizations_facility_is_not_found_and_untouched(client, org, other_org,
                                                                   admin_sql):
    theirs = facility(client, other_org.token)

    response = start(client, org.token, theirs["id"])

    assert response.status == 404
    assert count(admin_sql, "payers", org.id) == 0 and count(admin_sql, "payers", other_org.id) == 0
    assert start(client, org.token, uuid.uuid4()).status == 404


@pytest.mark.parametrize("body", [{}, {"facility_id": "not-a-uuid"}, {"facility_id": None},
                                  {"facility_id": str(uuid.uuid4()), "extra": 1}])
def test_bad_input_is_a_problem_naming_the_field(client, org, body):
    response = client.post("/api/onboarding/defaults", json=body, token=org.token)

    assert fields_named(response) & {"facility_id", "extra"}  # a 422 problem+json


def test_a_deactivated_facility_is_refused(client, org):
    made = facility(client, org.token)
    assert client.delete(f"/api/facilities/{made['id']}", token=org.token).status == 204

    response = start(client, org.token, made["id"])

    assert response.status == 422 and fields_named(response) == {"facility_id"}


def test_the_cost_model_template_is_the_demos_sourced_figures():
    # local/demo.py gives each default's source; the template must not drift from it.
    from local import demo
    from shared.services import onboarding
    assert onboarding.THERAPY_AT_CMI_1 == demo.THERAPY_AT_CMI_1
    assert onboarding.ANCILLARIES == demo.ANCILLARIES
    assert onboarding.THERAPY_PER_DAY == demo.THERAPY_FLAT
    assert {k: v for k, v in onboarding.TEMPLATE.items()} == {
        "urban": {"fixed_daily_cost": D("100.00"), "nursing_wage_hourly": D("31.50")},
        "rural": {"fixed_daily_cost": D("88.00"), "nursing_wage_hourly": D("28.50")}}


def test_a_referral_with_a_hipps_code_costs_its_therapy_by_the_groups(client, org):
    trial = org
    made = facility(client, trial.token, locality="urban", wage_index="1.0000")
    body = start(client, trial.token, made["id"]).json()
    model = body["cost_model"]
    assert (model["pt_cost_per_day_at_cmi_1"], model["transport_cost_per_stay"]) == (
        "40.20", "250.00")
    evaluated = client.post("/api/admissions/evaluate", token=trial.token, json={
        "facility_id": made["id"], "payer_id": body["payer"]["id"], "length_of_stay_days": 20,
        "acuity": "moderate", "hipps_code": "KBGE1"}).json()
    breakdown = evaluated["cost"]["breakdown"]
    # KBGE1: PT/OT TK (PT 1.44, OT 1.46), SLP SB (1.72). PT 40.20 x 1.44 = 57.888 -> 57.89;
    # OT 40.20 x 1.46 = 58.692 -> 58.69; SLP 22.55 x 1.72 = 38.786 -> 38.79; 155.37 a day.
    assert {k: D(v) for k, v in breakdown["therapy_by_discipline"].items()} == {
        "pt": D("57.89"), "ot": D("58.69"), "slp": D("38.79")}
    assert D(breakdown["therapy"]) == D("155.37")
    # Urban: fixed 100 + 3.7 h x 31.50 = 116.55 + 155.37 + medication 22 + labs 9 + imaging 4
    # + supplies 14 = 420.92 a day; 20 days 8418.40 + transport 250 = 8668.40.
    assert D(evaluated["cost"]["per_day"]) == D("420.92")
    assert D(evaluated["cost"]["total"]) == D("8668.40")


def test_defaults_on_a_facility_saved_without_a_wage_index_warn_that_the_rate_uses_1(
        client, make_org):
    """Tester UX item: "Start from sensible defaults" built the PDPM rate on the 1.0000 a
    facility saved without a wage index gets, overstating revenue, and said nothing."""
    trial = make_org("Onboarding Unset Wage", tier=None)
    made = created(client.post("/api/facilities", json={"name": "Plain Acres", "bed_count": 30,
                                                        "locality": "rural"},
                               token=trial.token))
    body = start(client, trial.token, made["id"]).json()
    assert body["rate"]["wage_index"] == "1.0000"
    assert [w["field"] for w in body["warnings"]] == ["wage_index"]
    message = body["warnings"][0]["message"]
    assert "Plain Acres" in message and "PDPM rate" in message and "1.0000" in message
