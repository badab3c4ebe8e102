"""Facilities: create, list, get, change, deactivate; roles; validation; and tenancy."""
from __future__ import annotations

import json
import uuid

import pytest

from shared import paging
from tests.factories import (created, facility, fields_named, header, new_client, new_org,
                             without_request_id)


def stored(admin_sql, facility_id) -> dict:
    rows = admin_sql("SELECT * FROM facilities WHERE id = %s", (str(facility_id),))
    assert len(rows) == 1
    return rows[0]


def audit_for(admin_sql, facility_id) -> list[dict]:
    return admin_sql("""
        SELECT action, user_id::text, host(source_address) AS source_address, request_id,
               changes, xmin::text AS xid
          FROM audit_logs WHERE object_type = 'facility' AND object_id = %s
         ORDER BY occurred_at, action""", (str(facility_id),))


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["items"]]


@pytest.fixture(scope="module")
def quiet_org(database, app):
    """One organization, with one facility, for the tests whose requests are all refused
    (argon2 makes each signup cost about half a second). Nothing in it may change."""
    client = new_client(app)
    org = new_org(client, "Quiet")
    org.facility_id = facility(client, org.token, name="Quiet Facility")["id"]
    yield org


@pytest.fixture
def nothing_stored(quiet_org, admin_sql):
    """Asserts, after the test, that no facility or audit row of quiet_org changed."""
    def snapshot():
        return (admin_sql("SELECT * FROM facilities WHERE organization_id = %s ORDER BY id",
                          (str(quiet_org.id),)),
                admin_sql("SELECT id FROM audit_logs WHERE organization_id = %s ORDER BY id",
                          (str(quiet_org.id),)))
    before = snapshot()
    yield
    assert snapshot() == before


# --- create, get, list --------------------------------------------------------------------

def test_create_fills_in_the_defaults(client, org):
    response = client.post("/api/facilities", json={"name": "Maple Grove", "bed_count": 120},
                           token=org.token)

    assert response.status == 201, response.body
    body = response.json()
    uuid.UUID(body["id"])
    assert body["name"] == "Maple Grove"
    assert body["bed_count"] == 120
    assert body["state"] is None
    assert body["locality"] == "urban"
    assert body["wage_index"] == "1.0000"
    assert body["target_occupancy_pct"] == "90.00"
    assert body["current_census"] == 0
    assert body["is_active"] is True
    assert body["created_at"] and body["updated_at"]
    assert header(response, "X-Request-Id")


def test_create_keeps_every_field_sent(client, org):
    response = client.post("/api/facilities", json={
        "name": "  Lakeside  ", "bed_count": 120, "state": "OH", "locality": "rural",
        "wage_index": 0.9512, "target_occupancy_pct": 92, "current_census": 104},
        token=org.token)

    assert response.status == 201, response.body
    body = response.json()
    assert (body["name"], body["state"], body["locality"], body["wage_index"],
            body["target_occupancy_pct"], body["current_census"]) == (
        "Lakeside", "OH", "rural", "0.9512", "92.00", 104)


WAGE_INDEX_WARNING = "1.0000 is what a facility saved without a wage index gets"


def test_a_facility_saved_without_a_wage_index_says_so_until_one_is_set(client, org):
    """Tester UX item: a facility saved without a wage index silently used 1.0000. It is not
    required (a facility taking no Medicare Part A needs none): the facility answers with a
    warning on the field, in every read, until a wage index is set."""
    body = created(client.post("/api/facilities", json={"name": "Quiet Pines", "bed_count": 40},
                               token=org.token))
    assert [w["field"] for w in body["warnings"]] == ["wage_index"]
    assert WAGE_INDEX_WARNING in body["warnings"][0]["message"]
    assert "0.8456" in body["warnings"][0]["message"]      # rural Ohio, what it overstates
    listed = client.get("/api/facilities", token=org.token).json()["items"]
    assert next(f for f in listed if f["id"] == body["id"])["warnings"] == body["warnings"]

    changed = client.request("PATCH", f"/api/facilities/{body['id']}",
                             json={"wage_index": 0.8456}, token=org.token)
    assert changed.status == 200 and changed.json()["warnings"] == []
    assert client.get(f"/api/facilities/{body['id']}", token=org.token).json()["warnings"] == []


def test_the_document_says_the_wage_index_is_optional_and_warned_about(client):
    document = client.get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "warnings" in schemas["FacilityCreate"]["properties"]["wage_index"]["description"]
    assert "warnings" in schemas["FacilityPublic"]["properties"]


def test_get_returns_the_facility(client, org, make_facility):
    created = make_facility(org, state="TX")

    response = client.get(f"/api/facilities/{created['id']}", token=org.token)

    assert response.status == 200
    assert response.json() == created


def test_list_pages_through_every_facility_once_in_name_order(client, org, make_facility):
    for name in ("Echo", "Alpha", "Delta", "Bravo", "Charlie"):
        make_facility(org, name=name)

    seen, cursor, pages = [], None, 0
    while True:
        path = "/api/facilities?limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(path, token=org.token)
        assert response.status == 200, response.body
        page = response.json()
        assert len(page["items"]) <= 2
        seen += names(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 5

    assert seen == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    assert pages == 3


def test_list_without_a_limit_returns_everything_with_no_next_cursor(client, org,
                                                                       make_facility):
    make_facility(org, name="Beta")
    make_facility(org, name="Alpha")

    page = client.get("/api/facilities", token=org.token).json()

    assert names(page) == ["Alpha", "Beta"]
    assert page["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["not-a-cursor", "!!!", paging.encode_cursor("only-one")])
def test_a_cursor_the_list_did_not_give_out_is_unprocessable(client, quiet_org, nothing_stored,
                                                             cursor):
    response = client.get(f"/api/facilities?cursor={cursor}", token=quiet_org.token)

    assert fields_named(response) == {"cursor"}


def test_a_tampered_cursor_with_a_non_uuid_id_is_unprocessable(client, org, make_facility):
    make_facility(org)
    cursor = paging.encode_cursor("Alpha", "not-a-uuid")

    response = client.get(f"/api/facilities?cursor={cursor}", token=org.token)

    assert fields_named(response) == {"cursor"}


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=201", "limit"),
                                          ("limit=two", "limit"), ("colour=red", "colour")])
def test_bad_list_parameters_are_unprocessable(client, quiet_org, nothing_stored, query,
                                               field):
    response = client.get(f"/api/facilities?{query}", token=quiet_org.token)

    assert fields_named(response) == {field}
    assert response.json()["errors"][0]["location"] == "query"


# --- change -------------------------------------------------------------------------------

def test_patch_changes_only_the_fields_sent(client, org, make_facility):
    created = make_facility(org, name="Maple", bed_count=100, state="OH", current_census=50,
                            wage_index=0.95)

    response = client.patch(f"/api/facilities/{created['id']}",
                            json={"current_census": 60, "locality": "rural"}, token=org.token)

    assert response.status == 200, response.body
    body = response.json()
    assert body["current_census"] == 60
    assert body["locality"] == "rural"
    unchanged = ("id", "name", "bed_count", "state", "wage_index", "target_occupancy_pct",
                 "is_active", "created_at")
    assert {k: body[k] for k in unchanged} == {k: created[k] for k in unchanged}
    assert body["updated_at"] > created["updated_at"]
    assert client.get(f"/api/facilities/{created['id']}", token=org.token).json() == body


def test_patch_may_clear_the_optional_state(client, org, make_facility):
    created = make_facility(org, state="OH")

    response = client.patch(f"/api/facilities/{created['id']}", json={"state": None},
                            token=org.token)

    assert response.status == 200
    assert response.json()["state"] is None


def test_patch_refuses_a_census_over_the_beds(client, org, make_facility, admin_sql):
    created = make_facility(org, bed_count=100, current_census=10)

    over = client.patch(f"/api/facilities/{created['id']}", json={"current_census": 101},
                        token=org.token)
    fewer_beds = client.patch(f"/api/facilities/{created['id']}", json={"bed_count": 5},
                              token=org.token)

    assert fields_named(over) == {"current_census"}
    assert fields_named(fewer_beds) == {"current_census"}
    row = stored(admin_sql, created["id"])
    assert (row["bed_count"], row["current_census"]) == (100, 10)


def test_create_refuses_a_census_over_the_beds(client, quiet_org, nothing_stored):
    response = client.post("/api/facilities", json={"name": "Full", "bed_count": 10,
                                                    "current_census": 11},
                           token=quiet_org.token)

    assert fields_named(response) == {"current_census"}


@pytest.mark.parametrize("field", ["name", "bed_count", "locality", "wage_index",
                                   "target_occupancy_pct", "current_census"])
def test_patch_refuses_null_for_a_required_field(client, quiet_org, nothing_stored, field):
    response = client.patch(f"/api/facilities/{quiet_org.facility_id}", json={field: None},
                            token=quiet_org.token)

    assert fields_named(response) == {field}


def test_an_empty_patch_changes_nothing(client, org, make_facility, admin_sql):
    created = make_facility(org)

    response = client.patch(f"/api/facilities/{created['id']}", json={}, token=org.token)

    assert response.status == 200
    assert response.json() == created
    assert [r["action"] for r in audit_for(admin_sql, created["id"])] == ["facility.create"]


# --- deactivate ---------------------------------------------------------------------------

def test_delete_deactivates_and_the_list_hides_it_unless_asked(client, org, make_facility):
    kept = make_facility(org, name="Kept")
    gone = make_facility(org, name="Gone")

    response = client.delete(f"/api/facilities/{gone['id']}", token=org.token)

    assert response.status == 204
    assert response.body == b""
    fetched = client.get(f"/api/facilities/{gone['id']}", token=org.token)
    assert fetched.status == 200
    assert fetched.json()["is_active"] is False
    assert names(client.get("/api/facilities", token=org.token).json()) == ["Kept"]
    everything = client.get("/api/facilities?include_inactive=true", token=org.token).json()
    assert [(i["name"], i["is_active"]) for i in everything["items"]] == [
        ("Gone", False), ("Kept", True)]
    assert kept["is_active"] is True


def test_deleting_twice_is_fine_and_audited_once(client, org, make_facility, admin_sql):
    created = make_facility(org)

    assert client.delete(f"/api/facilities/{created['id']}", token=org.token).status == 204
    assert client.delete(f"/api/facilities/{created['id']}", token=org.token).status == 204

    assert [r["action"] for r in audit_for(admin_sql, created["id"])] == [
        "facility.create", "facility.deactivate"]


def test_a_deactivated_facility_frees_its_name(client, org, make_facility):
    created = make_facility(org, name="Riverside")
    assert client.delete(f"/api/facilities/{created['id']}", token=org.token).status == 204

    again = client.post("/api/facilities", json={"name": "Riverside", "bed_count": 10},
                        token=org.token)

    assert again.status == 201, again.body


# --- conflicts ----------------------------------------------------------------------------

def test_two_active_facilities_cannot_share_a_name(client, org, make_facility, admin_sql):
    make_facility(org, name="Maple Grove")

    response = client.post("/api/facilities", json={"name": "maple grove", "bed_count": 10},
                           token=org.token)

    assert response.status == 409
    assert response.mimetype == "application/problem+json"
    assert "name" in response.json()["detail"]
    rows = admin_sql("SELECT count(*) AS n FROM facilities WHERE organization_id = %s",
                     (str(org.id),))
    assert rows[0]["n"] == 1


def test_renaming_onto_an_active_name_is_a_conflict(client, org, make_facility, admin_sql):
    make_facility(org, name="Maple Grove")
    other = make_facility(org, name="Oak Park")

    response = client.patch(f"/api/facilities/{other['id']}", json={"name": "Maple Grove"},
                            token=org.token)

    assert response.status == 409
    assert stored(admin_sql, other["id"])["name"] == "Oak Park"
    assert [r["action"] for r in audit_for(admin_sql, other["id"])] == ["facility.create"]


def test_two_organizations_may_use_the_same_name(client, org, other_org, make_facility):
    make_facility(org, name="Maple Grove")

    make_facility(other_org, name="Maple Grove")


# --- audit --------------------------------------------------------------------------------

def test_every_write_is_audited_in_its_own_transaction_with_the_changed_fields(
        client, org, admin_sql):
    owner_id = client.get("/api/me", token=org.token).json()["user"]["id"]
    created = client.post("/api/facilities", json={"name": "Maple", "bed_count": 100,
                                                   "state": "OH"}, token=org.token)
    assert created.status == 201
    facility_id = created.json()["id"]
    create_xid = admin_sql("SELECT xmin::text AS xid FROM facilities WHERE id = %s",
                           (facility_id,))[0]["xid"]
    updated = client.patch(f"/api/facilities/{facility_id}",
                           json={"name": "Maple", "current_census": 10}, token=org.token)
    assert updated.status == 200
    update_xid = admin_sql("SELECT xmin::text AS xid FROM facilities WHERE id = %s",
                           (facility_id,))[0]["xid"]
    deleted = client.delete(f"/api/facilities/{facility_id}", token=org.token)
    assert deleted.status == 204
    delete_xid = admin_sql("SELECT xmin::text AS xid FROM facilities WHERE id = %s",
                           (facility_id,))[0]["xid"]

    rows = audit_for(admin_sql, facility_id)

    assert [r["action"] for r in rows] == ["facility.create", "facility.update",
                                           "facility.deactivate"]
    assert [r["request_id"] for r in rows] == [
        header(created, "X-Request-Id"), header(updated, "X-Request-Id"),
        header(deleted, "X-Request-Id")]
    assert [r["xid"] for r in rows] == [create_xid, update_xid, delete_xid]
    assert len({create_xid, update_xid, delete_xid}) == 3
    assert all(r["user_id"] == owner_id and r["source_address"] == "203.0.113.9"
               for r in rows)
    assert rows[0]["changes"] == {
        "name": "Maple", "bed_count": 100, "state": "OH", "locality": "urban",
        "wage_index": "1.0000", "target_occupancy_pct": "90.00", "current_census": 0}
    assert rows[1]["changes"] == {"current_census": 10}  # the unchanged name is left out
    assert rows[2]["changes"] == {"is_active": False}


def test_a_refused_write_leaves_no_audit_row(client, org, make_facility, admin_sql):
    created = make_facility(org, bed_count=10)

    assert client.patch(f"/api/facilities/{created['id']}", json={"current_census": 11},
                        token=org.token).status == 422
    assert client.post("/api/facilities", json={"name": created["name"], "bed_count": 5},
                       token=org.token).status == 409

    actions = admin_sql("SELECT action FROM audit_logs WHERE organization_id = %s "
                        "AND object_type = 'facility'", (str(org.id),))
    assert [r["action"] for r in actions] == ["facility.create"]


# --- roles --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_readers_can_get_and_list_facilities(client, org, make_user, make_facility, role):
    created = make_facility(org)
    token = make_user(org, role)

    assert client.get(f"/api/facilities/{created['id']}", token=token).json() == created
    assert names(client.get("/api/facilities", token=token).json()) == [created["name"]]


@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_readers_cannot_create_change_or_deactivate_a_facility(client, org, make_user,
                                                                make_facility, admin_sql, role):
    created = make_facility(org, name="Maple", bed_count=100)
    token = make_user(org, role)

    responses = [
        client.post("/api/facilities", json={"name": "New", "bed_count": 10}, token=token),
        client.patch(f"/api/facilities/{created['id']}", json={"bed_count": 50}, token=token),
        client.delete(f"/api/facilities/{created['id']}", token=token),
    ]

    for response in responses:
        assert response.status == 403, response.body
        assert response.mimetype == "application/problem+json"
        assert response.json()["status"] == 403
    row = stored(admin_sql, created["id"])
    assert (row["bed_count"], row["is_active"]) == (100, True)
    count = admin_sql("SELECT count(*) AS n FROM facilities WHERE organization_id = %s",
                      (str(org.id),))
    assert count[0]["n"] == 1


def test_an_admin_can_create_change_and_deactivate_a_facility(client, org, make_user):
    token = make_user(org, "admin")

    created = client.post("/api/facilities", json={"name": "New", "bed_count": 10},
                          token=token)
    assert created.status == 201
    facility_id = created.json()["id"]
    changed = client.patch(f"/api/facilities/{facility_id}", json={"bed_count": 20},
                           token=token)
    assert changed.status == 200 and changed.json()["bed_count"] == 20
    assert client.delete(f"/api/facilities/{facility_id}", token=token).status == 204


# --- other organizations ------------------------------------------------------------------

def test_another_organizations_facility_answers_exactly_as_a_missing_one(
        client, org, other_org, make_facility, admin_sql):
    created = make_facility(org, name="Private", bed_count=100)
    before = stored(admin_sql, created["id"])
    theirs = f"/api/facilities/{created['id']}"
    missing = f"/api/facilities/{uuid.uuid4()}"

    for method, kwargs in (("GET", {}), ("PATCH", {"json": {"bed_count": 1}}),
                           ("DELETE", {})):
        foreign = client.request(method, theirs, token=other_org.token, **kwargs)
        absent = client.request(method, missing, token=other_org.token, **kwargs)
        assert foreign.status == absent.status == 404, method
        assert foreign.mimetype == absent.mimetype == "application/problem+json"
        assert without_request_id(foreign.json()) == without_request_id(absent.json()), method
        assert foreign.json()["request_id"] != absent.json()["request_id"]

    assert stored(admin_sql, created["id"]) == before
    for query in ("", "?include_inactive=true"):
        listed = client.get(f"/api/facilities{query}", token=other_org.token).json()
        assert listed["items"] == []
    assert admin_sql("SELECT count(*) AS n FROM audit_logs WHERE organization_id = %s "
                     "AND object_type = 'facility'", (str(other_org.id),))[0]["n"] == 0
    assert client.get(theirs, token=org.token).json() == created


def test_lists_show_only_the_callers_organization(client, org, other_org, make_facility):
    make_facility(org, name="Ours")
    make_facility(other_org, name="Theirs")

    assert names(client.get("/api/facilities", token=org.token).json()) == ["Ours"]
    assert names(client.get("/api/facilities", token=other_org.token).json()) == ["Theirs"]


# --- malformed input ----------------------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_body_that_is_not_json_is_a_bad_request(client, quiet_org, nothing_stored, method):
    path = "/api/facilities" if method == "POST" else f"/api/facilities/{quiet_org.facility_id}"

    response = client.request(method, path, body=b'{"name": "x", "bed_count": ',
                              token=quiet_org.token)

    assert response.status == 400
    assert response.mimetype == "application/problem+json"
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize("body", [None, b"", b"   \n"])
def test_an_empty_body_on_create_is_a_bad_request(client, quiet_org, nothing_stored, body):
    response = client.request("POST", "/api/facilities", body=body, token=quiet_org.token)

    assert response.status == 400
    assert response.json()["status"] == 400


def test_a_json_body_that_is_not_an_object_is_unprocessable(client, quiet_org, nothing_stored):
    response = client.post("/api/facilities", json=[{"name": "x", "bed_count": 1}],
                           token=quiet_org.token)

    assert response.status == 422


@pytest.mark.parametrize("change, field", [
    ({"bed_count": "12"}, "bed_count"),
    ({"bed_count": 0}, "bed_count"),
    ({"bed_count": 2001}, "bed_count"),
    ({"bed_count": 12.5}, "bed_count"),
    ({"wage_index": 9}, "wage_index"),
    ({"wage_index": 0}, "wage_index"),
    ({"wage_index": 0.12345}, "wage_index"),
    ({"target_occupancy_pct": 101}, "target_occupancy_pct"),
    ({"current_census": -1}, "current_census"),
    ({"state": "ZZ"}, "state"),
    ({"state": "oh"}, "state"),
    ({"locality": "suburban"}, "locality"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"name": 5}, "name"),
    ({"beds": 12}, "beds"),
])
def test_a_wrong_field_on_create_is_named(client, quiet_org, nothing_stored, change, field):
    body = {"name": "Maple", "bed_count": 100, **change}

    response = client.post("/api/facilities", json=body, token=quiet_org.token)

    assert fields_named(response) == {field}
    assert all(e["location"] == "body" for e in response.json()["errors"])


def test_a_missing_name_and_bed_count_are_both_named(client, quiet_org, nothing_stored):
    response = client.post("/api/facilities", json={"state": "OH"}, token=quiet_org.token)

    assert fields_named(response) == {"name", "bed_count"}


def test_every_wrong_field_is_named_at_once_and_nothing_is_stored(client, org, admin_sql):
    response = client.post("/api/facilities", json={
        "bed_count": "12", "wage_index": 9, "state": "ZZ", "unknown": 1}, token=org.token)

    assert fields_named(response) == {"name", "bed_count", "wage_index", "state", "unknown"}
    assert admin_sql("SELECT 1 FROM facilities WHERE organization_id = %s",
                     (str(org.id),)) == []


def test_a_wrong_field_on_patch_is_named(client, quiet_org, nothing_stored):
    response = client.patch(f"/api/facilities/{quiet_org.facility_id}",
                            json={"bed_count": "12", "is_active": True}, token=quiet_org.token)

    assert fields_named(response) == {"bed_count", "is_active"}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("facility_id", ["not-a-uuid", "123", "'%20OR%201=1"])
def test_a_malformed_id_in_the_path_is_not_found(client, quiet_org, nothing_stored, method,
                                                 facility_id):
    kwargs = {"json": {"bed_count": 5}} if method == "PATCH" else {}

    response = client.request(method, f"/api/facilities/{facility_id}", token=quiet_org.token,
                              **kwargs)

    assert response.status == 404
    assert response.mimetype == "application/problem+json"
    assert "errors" not in response.json()


def test_a_body_larger_than_the_limit_is_refused(client, quiet_org, nothing_stored):
    body = json.dumps({"name": "x" * (300 * 1024), "bed_count": 1}).encode()

    response = client.request("POST", "/api/facilities", body=body, token=quiet_org.token)

    assert response.status == 413
