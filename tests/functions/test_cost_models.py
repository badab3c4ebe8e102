"""Cost models: create, list with a facility filter, get, change, deactivate; one active per
facility; catalog services only; roles; audit; and tenancy."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shared.catalog import SERVICES
from tests.factories import (NURSING_HOURS, at, audit_rows, cost_model, cost_model_body,
                             count, decimals, facility, fields_named, header, new_client, pages,
                             tenant, without_request_id)


@pytest.fixture(scope="module")
def ours(database, app):
    """An organization with an admin, a coordinator and a viewer. Each test makes its own
    facility, since a facility has one active cost model."""
    return tenant(new_client(app), "Cost models A")


@pytest.fixture(scope="module")
def theirs(database, app):
    return tenant(new_client(app), "Cost models B", roles=())


@pytest.fixture
def facility_id(client, ours):
    return facility(client, ours.token)["id"]


# The optional lines: therapy at a CMI of 1.0 by discipline, labs, imaging, supplies, transport.
LINES = ("pt_cost_per_day_at_cmi_1", "ot_cost_per_day_at_cmi_1", "slp_cost_per_day_at_cmi_1",
         "labs_cost_per_day", "imaging_cost_per_day", "supplies_cost_per_day",
         "transport_cost_per_stay")


def stored(admin_sql, cost_model_id) -> dict:
    rows = admin_sql("SELECT * FROM cost_models WHERE id = %s", (str(cost_model_id),))
    assert len(rows) == 1
    return rows[0]


def of_facility(admin_sql, facility_id) -> list[dict]:
    return admin_sql("SELECT * FROM cost_models WHERE facility_id = %s ORDER BY created_at",
                     (str(facility_id),))


# --- create, get --------------------------------------------------------------------------

def test_create_returns_the_cost_model_with_its_defaults(client, ours, facility_id):
    response = client.post("/api/cost-models", json=cost_model_body(facility_id),
                           token=ours.token)

    assert response.status == 201, response.body
    made = response.json()
    assert set(made) == {"id", "facility_id", "fixed_daily_cost", "nursing_hours_per_day",
                         "nursing_wage_hourly", "therapy_cost_per_day", "service_costs",
                         "default_medication_cost_per_day", "supported_services", "is_active",
                         "created_at", "updated_at", *LINES}
    # The optional lines are not in a cost model unless sent.
    assert {k: made[k] for k in LINES} == dict.fromkeys(LINES)
    uuid.UUID(made["id"])
    assert {k: made[k] for k in ("facility_id", "fixed_daily_cost", "nursing_wage_hourly",
                                 "therapy_cost_per_day", "default_medication_cost_per_day",
                                 "service_costs", "supported_services", "is_active")} == {
        "facility_id": facility_id, "fixed_daily_cost": "180.00",
        "nursing_wage_hourly": "42.50", "therapy_cost_per_day": "60.00",
        "default_medication_cost_per_day": "0.00", "service_costs": {},
        "supported_services": [], "is_active": True}
    assert decimals(made["nursing_hours_per_day"]) == decimals(NURSING_HOURS)
    assert header(response, "X-Request-Id")


def test_create_keeps_service_costs_and_the_supported_services_once_each_in_order(
        client, ours, facility_id, admin_sql):
    made = cost_model(client, ours.token, facility_id,
                      service_costs={"dialysis": 310, "iv_therapy": 45.5},
                      supported_services=["wound_vac", "iv_therapy", "wound_vac"],
                      default_medication_cost_per_day=12.25)

    assert decimals(made["service_costs"]) == {"dialysis": Decimal(310),
                                               "iv_therapy": Decimal("45.5")}
    assert made["supported_services"] == ["iv_therapy", "wound_vac"]
    assert made["default_medication_cost_per_day"] == "12.25"
    assert stored(admin_sql, made["id"])["supported_services"] == ["iv_therapy", "wound_vac"]


def test_every_catalog_service_is_accepted(client, ours, facility_id):
    made = cost_model(client, ours.token, facility_id,
                      service_costs={service: 10 for service in SERVICES},
                      supported_services=list(SERVICES))

    assert set(made["service_costs"]) == set(SERVICES)
    assert made["supported_services"] == sorted(SERVICES)


def test_get_returns_the_cost_model(client, ours, facility_id):
    made = cost_model(client, ours.token, facility_id, supported_services=["oxygen"])

    response = client.get(f"/api/cost-models/{made['id']}", token=ours.token)

    assert response.status == 200
    assert response.json() == made


# --- list ---------------------------------------------------------------------------------

def test_list_filters_by_facility(client, ours):
    first, second = facility(client, ours.token)["id"], facility(client, ours.token)["id"]
    a = cost_model(client, ours.token, first)
    b = cost_model(client, ours.token, second)

    def ids(query):
        response = client.get(f"/api/cost-models?limit=200{query}", token=ours.token)
        assert response.status == 200, response.body
        return [item["id"] for item in response.json()["items"]]

    assert ids(f"&facility_id={first}") == [a["id"]]
    assert ids(f"&facility_id={second}") == [b["id"]]
    assert {a["id"], b["id"]} <= set(ids(""))
    assert ids(f"&facility_id={uuid.uuid4()}") == []


def test_list_pages_newest_first_and_hides_inactive_unless_asked(client, ours, facility_id):
    made = []
    for _ in range(3):
        if made:
            assert client.delete(f"/api/cost-models/{made[-1]['id']}",
                                 token=ours.token).status == 204
        made.append(cost_model(client, ours.token, facility_id))

    everything = pages(client, f"/api/cost-models?facility_id={facility_id}"
                               "&include_inactive=true", ours.token, limit=2)
    active = pages(client, f"/api/cost-models?facility_id={facility_id}", ours.token, limit=2)

    assert [[item["id"] for item in page] for page in everything] == [
        [made[2]["id"], made[1]["id"]], [made[0]["id"]]]
    assert [item["is_active"] for page in everything for item in page] == [True, False, False]
    assert [[item["id"] for item in page] for page in active] == [[made[2]["id"]]]


@pytest.mark.parametrize("query, field", [("facility_id=nope", "facility_id"),
                                          ("limit=201", "limit"), ("cursor=xyz", "cursor"),
                                          ("payer_id=" + str(uuid.UUID(int=1)), "payer_id")])
def test_bad_list_parameters_are_unprocessable(client, ours, query, field):
    response = client.get(f"/api/cost-models?{query}", token=ours.token)

    assert fields_named(response) == {field}


# --- one active per facility --------------------------------------------------------------

def test_a_second_active_cost_model_for_a_facility_conflicts(client, ours, facility_id,
                                                             admin_sql):
    first = cost_model(client, ours.token, facility_id)
    audited = count(admin_sql, "audit_logs", ours.id)

    response = client.post("/api/cost-models", json=cost_model_body(facility_id),
                           token=ours.token)

    assert response.status == 409, response.body
    assert response.mimetype == "application/problem+json"
    assert "active cost model" in response.json()["detail"]
    assert [str(row["id"]) for row in of_facility(admin_sql, facility_id)] == [first["id"]]
    assert count(admin_sql, "audit_logs", ours.id) == audited


def test_after_deactivating_the_first_a_new_cost_model_may_be_created(client, ours,
                                                                      facility_id):
    first = cost_model(client, ours.token, facility_id)
    assert client.delete(f"/api/cost-models/{first['id']}", token=ours.token).status == 204

    second = client.post("/api/cost-models", json=cost_model_body(facility_id,
                                                                  fixed_daily_cost=190),
                         token=ours.token)

    assert second.status == 201, second.body
    assert second.json()["fixed_daily_cost"] == "190.00"
    assert client.get(f"/api/cost-models/{first['id']}",
                      token=ours.token).json()["is_active"] is False


def test_a_deactivated_or_unknown_facility_takes_no_cost_model(client, ours, admin_sql):
    gone = facility(client, ours.token)["id"]
    assert client.delete(f"/api/facilities/{gone}", token=ours.token).status == 204

    for facility_id in (gone, str(uuid.uuid4())):
        response = client.post("/api/cost-models", json=cost_model_body(facility_id),
                               token=ours.token)
        assert fields_named(response) == {"facility_id"}
    assert of_facility(admin_sql, gone) == []


# --- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize("change, prefix", [
    ({"service_costs": {"teleportation": 5}}, "service_costs"),
    ({"service_costs": {"IV_THERAPY": 5}}, "service_costs"),
    ({"service_costs": {"dialysis": -1}}, "service_costs"),
    ({"supported_services": ["dialysis", "massage"]}, "supported_services"),
    ({"supported_services": "dialysis"}, "supported_services"),
])
def test_services_outside_the_catalog_are_refused(client, ours, facility_id, admin_sql,
                                                  change, prefix):
    response = client.post("/api/cost-models", json=cost_model_body(facility_id, **change),
                           token=ours.token)

    named = fields_named(response)
    assert len(named) == 1 and named.pop().startswith(prefix)
    assert of_facility(admin_sql, facility_id) == []


@pytest.mark.parametrize("change, field", [
    ({"fixed_daily_cost": -1}, "fixed_daily_cost"),
    ({"fixed_daily_cost": 100_001}, "fixed_daily_cost"),
    ({"fixed_daily_cost": False}, "fixed_daily_cost"),
    ({"nursing_wage_hourly": 1001}, "nursing_wage_hourly"),
    ({"therapy_cost_per_day": 1.234}, "therapy_cost_per_day"),
    ({"nursing_hours_per_day": {"low": 1, "moderate": 2, "high": 3}},
     "nursing_hours_per_day.complex"),
    ({"nursing_hours_per_day": {**NURSING_HOURS, "high": 25}}, "nursing_hours_per_day.high"),
    ({"nursing_hours_per_day": {**NURSING_HOURS, "extreme": 9}},
     "nursing_hours_per_day.extreme"),
    ({"is_active": False}, "is_active"),
])
def test_a_wrong_field_on_create_is_named(client, ours, facility_id, admin_sql, change, field):
    response = client.post("/api/cost-models", json=cost_model_body(facility_id, **change),
                           token=ours.token)

    assert fields_named(response) == {field}
    assert of_facility(admin_sql, facility_id) == []


def test_missing_fields_are_all_named(client, ours, facility_id):
    response = client.post("/api/cost-models", json={"facility_id": facility_id},
                           token=ours.token)

    assert fields_named(response) == {"fixed_daily_cost", "nursing_hours_per_day",
                                      "nursing_wage_hourly", "therapy_cost_per_day"}


# --- change -------------------------------------------------------------------------------

def test_patch_changes_only_the_fields_sent(client, ours, facility_id, admin_sql):
    made = cost_model(client, ours.token, facility_id, supported_services=["oxygen"])

    response = client.patch(f"/api/cost-models/{made['id']}", json={
        "fixed_daily_cost": 199.99, "supported_services": ["tpn", "dialysis"],
        "service_costs": {"tpn": 80}}, token=ours.token)

    assert response.status == 200, response.body
    body = response.json()
    assert (body["fixed_daily_cost"], body["supported_services"]) == (
        "199.99", ["dialysis", "tpn"])
    assert decimals(body["service_costs"]) == {"tpn": Decimal(80)}
    kept = ("id", "facility_id", "nursing_hours_per_day", "nursing_wage_hourly",
            "therapy_cost_per_day", "default_medication_cost_per_day", "is_active",
            "created_at")
    assert {k: body[k] for k in kept} == {k: made[k] for k in kept}
    assert at(body["updated_at"]) > at(made["updated_at"])
    assert stored(admin_sql, made["id"])["fixed_daily_cost"] == Decimal("199.99")
    assert client.get(f"/api/cost-models/{made['id']}", token=ours.token).json() == body


@pytest.mark.parametrize("field", ["fixed_daily_cost", "nursing_hours_per_day",
                                   "nursing_wage_hourly", "therapy_cost_per_day",
                                   "service_costs", "default_medication_cost_per_day",
                                   "supported_services"])
def test_patch_refuses_null_and_names_the_field(client, ours, facility_id, admin_sql, field):
    made = cost_model(client, ours.token, facility_id)
    before = stored(admin_sql, made["id"])

    response = client.patch(f"/api/cost-models/{made['id']}", json={field: None},
                            token=ours.token)

    assert fields_named(response) == {field}
    assert stored(admin_sql, made["id"]) == before


@pytest.mark.parametrize("change, prefix", [
    ({"service_costs": {"jetpack": 1}}, "service_costs"),
    ({"supported_services": ["jetpack"]}, "supported_services"),
    ({"facility_id": str(uuid.uuid4())}, "facility_id"),
])
def test_patch_refuses_unknown_services_and_a_new_facility(client, ours, facility_id,
                                                           admin_sql, change, prefix):
    made = cost_model(client, ours.token, facility_id)
    before = stored(admin_sql, made["id"])

    response = client.patch(f"/api/cost-models/{made['id']}", json=change, token=ours.token)

    named = fields_named(response)
    assert len(named) == 1 and named.pop().startswith(prefix)
    assert stored(admin_sql, made["id"]) == before


def test_an_empty_patch_changes_nothing(client, ours, facility_id, admin_sql):
    made = cost_model(client, ours.token, facility_id)

    response = client.patch(f"/api/cost-models/{made['id']}", json={}, token=ours.token)

    assert response.status == 200
    assert response.json() == made
    assert [r["action"] for r in audit_rows(admin_sql, "cost_model", made["id"])] == [
        "cost_model.create"]


def test_patching_the_same_nursing_hours_records_no_change(client, ours, facility_id,
                                                           admin_sql):
    made = cost_model(client, ours.token, facility_id)

    response = client.patch(f"/api/cost-models/{made['id']}",
                            json={"nursing_hours_per_day": NURSING_HOURS}, token=ours.token)

    assert response.status == 200
    assert response.json()["updated_at"] == made["updated_at"]
    assert [r["action"] for r in audit_rows(admin_sql, "cost_model", made["id"])] == [
        "cost_model.create"]


# --- deactivate and audit -----------------------------------------------------------------

def test_every_write_leaves_one_audit_row_with_what_changed(client, ours, facility_id,
                                                            admin_sql):
    owner_id = client.get("/api/me", token=ours.token).json()["user"]["id"]
    made = client.post("/api/cost-models", json=cost_model_body(
        facility_id, supported_services=["oxygen"]), token=ours.token)
    cost_model_id = made.json()["id"]
    changed = client.patch(f"/api/cost-models/{cost_model_id}",
                           json={"therapy_cost_per_day": 60, "nursing_wage_hourly": 45},
                           token=ours.token)
    deleted = client.delete(f"/api/cost-models/{cost_model_id}", token=ours.token)
    again = client.delete(f"/api/cost-models/{cost_model_id}", token=ours.token)
    assert (made.status, changed.status, deleted.status, again.status) == (201, 200, 204, 204)
    assert deleted.body == b""

    rows = audit_rows(admin_sql, "cost_model", cost_model_id)

    assert [r["action"] for r in rows] == ["cost_model.create", "cost_model.update",
                                           "cost_model.deactivate"]
    assert all(r["object_id"] == cost_model_id and r["user_id"] == owner_id for r in rows)
    assert [r["request_id"] for r in rows] == [header(r, "X-Request-Id")
                                               for r in (made, changed, deleted)]
    assert rows[0]["changes"]["facility_id"] == facility_id
    assert rows[0]["changes"]["supported_services"] == ["oxygen"]
    assert Decimal(rows[0]["changes"]["fixed_daily_cost"]) == Decimal(180)
    # the unchanged therapy cost is left out
    assert {k: Decimal(v) for k, v in rows[1]["changes"].items()} == {
        "nursing_wage_hourly": Decimal(45)}
    assert rows[2]["changes"] == {"is_active": False}
    assert stored(admin_sql, cost_model_id)["is_active"] is False


# --- roles --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_readers_can_get_and_list_cost_models(client, ours, facility_id, role):
    made = cost_model(client, ours.token, facility_id)
    token = ours.tokens[role]

    assert client.get(f"/api/cost-models/{made['id']}", token=token).json() == made
    listed = client.get(f"/api/cost-models?facility_id={facility_id}", token=token).json()
    assert listed["items"] == [made]


@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_readers_cannot_create_change_or_deactivate_a_cost_model(client, ours, facility_id,
                                                                 admin_sql, role):
    made = cost_model(client, ours.token, facility_id)
    before = stored(admin_sql, made["id"])
    empty_facility = facility(client, ours.token)["id"]
    token = ours.tokens[role]

    responses = [
        client.post("/api/cost-models", json=cost_model_body(empty_facility), token=token),
        client.patch(f"/api/cost-models/{made['id']}", json={"fixed_daily_cost": 1},
                     token=token),
        client.delete(f"/api/cost-models/{made['id']}", token=token),
    ]

    for response in responses:
        assert response.status == 403, response.body
        assert response.mimetype == "application/problem+json"
    assert stored(admin_sql, made["id"]) == before
    assert of_facility(admin_sql, empty_facility) == []
    assert [r["action"] for r in audit_rows(admin_sql, "cost_model", made["id"])] == [
        "cost_model.create"]


def test_an_admin_can_create_change_and_deactivate_a_cost_model(client, ours, facility_id):
    token = ours.tokens["admin"]

    made = client.post("/api/cost-models", json=cost_model_body(facility_id), token=token)
    assert made.status == 201, made.body
    cost_model_id = made.json()["id"]
    changed = client.patch(f"/api/cost-models/{cost_model_id}",
                           json={"supported_services": ["dialysis"]}, token=token)
    assert changed.status == 200 and changed.json()["supported_services"] == ["dialysis"]
    assert client.delete(f"/api/cost-models/{cost_model_id}", token=token).status == 204


def test_without_a_session_nothing_is_answered(client, ours, facility_id):
    made = cost_model(client, ours.token, facility_id)

    assert client.get("/api/cost-models").status == 401
    assert client.get(f"/api/cost-models/{made['id']}").status == 401
    assert client.post("/api/cost-models", json=cost_model_body(facility_id)).status == 401


# --- other organizations ------------------------------------------------------------------

def test_another_organizations_cost_model_answers_exactly_as_a_missing_one(
        client, ours, theirs, facility_id, admin_sql):
    made = cost_model(client, ours.token, facility_id)
    before = stored(admin_sql, made["id"])
    audited = count(admin_sql, "audit_logs", theirs.id)
    mine = f"/api/cost-models/{made['id']}"
    missing = f"/api/cost-models/{uuid.uuid4()}"

    for method, kwargs in (("GET", {}), ("PATCH", {"json": {"fixed_daily_cost": 1}}),
                           ("DELETE", {})):
        foreign = client.request(method, mine, token=theirs.token, **kwargs)
        absent = client.request(method, missing, token=theirs.token, **kwargs)
        assert foreign.status == absent.status == 404, method
        assert foreign.mimetype == absent.mimetype == "application/problem+json"
        assert without_request_id(foreign.json()) == without_request_id(absent.json()), method
        assert foreign.json()["request_id"] != absent.json()["request_id"]

    assert stored(admin_sql, made["id"]) == before
    assert count(admin_sql, "audit_logs", theirs.id) == audited
    for query in (f"?facility_id={facility_id}", "?include_inactive=true&limit=200"):
        listed = client.get(f"/api/cost-models{query}", token=theirs.token).json()["items"]
        assert made["id"] not in {item["id"] for item in listed}


def test_another_organizations_facility_is_unprocessable_and_nothing_is_written(
        client, ours, theirs, admin_sql):
    before = {org.id: (count(admin_sql, "cost_models", org.id),
                       count(admin_sql, "audit_logs", org.id)) for org in (ours, theirs)}

    response = client.post("/api/cost-models", json=cost_model_body(theirs.facility_id),
                           token=ours.token)

    assert fields_named(response) == {"facility_id"}
    assert {org.id: (count(admin_sql, "cost_models", org.id),
                     count(admin_sql, "audit_logs", org.id)) for org in (ours, theirs)} == before
    assert of_facility(admin_sql, theirs.facility_id) == []


# --- the optional lines: therapy at a CMI of 1.0, labs, imaging, supplies, transport -----------

def test_the_optional_lines_are_kept_changed_and_taken_out(client, ours, facility_id, admin_sql):
    lines = {"pt_cost_per_day_at_cmi_1": "40.20", "ot_cost_per_day_at_cmi_1": "40.20",
             "slp_cost_per_day_at_cmi_1": "22.55", "labs_cost_per_day": "9.00",
             "imaging_cost_per_day": "4.00", "supplies_cost_per_day": "14.00",
             "transport_cost_per_stay": "250.00"}
    made = cost_model(client, ours.token, facility_id, **lines)
    assert {k: made[k] for k in LINES} == lines
    assert {k: stored(admin_sql, made["id"])[k] for k in LINES} == {
        k: Decimal(v) for k, v in lines.items()}

    # Sent as null, a line is taken out of the model (counted as 0, and said so).
    response = client.patch(f"/api/cost-models/{made['id']}", json={
        "imaging_cost_per_day": None, "transport_cost_per_stay": 310.5}, token=ours.token)
    assert response.status == 200, response.body
    body = response.json()
    assert (body["imaging_cost_per_day"], body["transport_cost_per_stay"]) == (None, "310.50")
    assert body["labs_cost_per_day"] == "9.00"
    row = stored(admin_sql, made["id"])
    assert (row["imaging_cost_per_day"], row["transport_cost_per_stay"]) == (None, Decimal("310.50"))


@pytest.mark.parametrize("field", LINES)
@pytest.mark.parametrize("value", [-1, 1.234, "ten"])
def test_a_bad_optional_line_is_a_422_naming_it(client, ours, facility_id, admin_sql, field,
                                                value):
    response = client.post("/api/cost-models", json=cost_model_body(facility_id, **{field: value}),
                           token=ours.token)
    assert response.status == 422, response.body
    assert fields_named(response) == {field}
    assert of_facility(admin_sql, facility_id) == []
