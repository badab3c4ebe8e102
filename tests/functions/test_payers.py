"""Payers: create, list, get, change, deactivate; roles; validation; audit; and tenancy."""
from __future__ import annotations

import uuid

import pytest

from shared.catalog import PAYER_TYPES
from tests.factories import (at, audit_rows, count, fields_named, header, new_client, new_org,
                             pages, payer, payer_body, tenant, without_request_id)


@pytest.fixture(scope="module")
def ours(database, app):
    """An organization with an admin, a coordinator and a viewer, shared by the tests that only
    look at the payers they make themselves."""
    return tenant(new_client(app), "Payers A")


@pytest.fixture(scope="module")
def theirs(database, app):
    return new_org(new_client(app), "Payers B")


@pytest.fixture
def unchanged(ours, admin_sql):
    """Asserts, after the test, that no payer or audit row of `ours` was added or changed."""
    def snapshot():
        return (admin_sql("SELECT * FROM payers WHERE organization_id = %s ORDER BY id",
                          (str(ours.id),)),
                admin_sql("SELECT id FROM audit_logs WHERE organization_id = %s ORDER BY id",
                          (str(ours.id),)))
    before = snapshot()
    yield
    assert snapshot() == before


def stored(admin_sql, payer_id) -> dict:
    rows = admin_sql("SELECT * FROM payers WHERE id = %s", (str(payer_id),))
    assert len(rows) == 1
    return rows[0]


def names(items: list[dict]) -> list[str]:
    return [item["name"] for item in items]


# --- create, get --------------------------------------------------------------------------

def test_create_returns_the_new_active_payer(client, ours):
    response = client.post("/api/payers", json={"name": "  Aetna Medicare  ",
                                                "payer_type": "medicare_advantage"},
                           token=ours.token)

    assert response.status == 201, response.body
    body = response.json()
    assert set(body) == {"id", "name", "payer_type", "is_active", "created_at", "updated_at"}
    uuid.UUID(body["id"])
    assert (body["name"], body["payer_type"], body["is_active"]) == (
        "Aetna Medicare", "medicare_advantage", True)
    assert body["created_at"] and body["updated_at"]
    assert header(response, "X-Request-Id")


@pytest.mark.parametrize("payer_type", sorted(PAYER_TYPES))
def test_every_catalog_payer_type_is_accepted(client, ours, payer_type):
    response = client.post("/api/payers", json=payer_body(payer_type=payer_type),
                           token=ours.token)

    assert response.status == 201, response.body
    assert response.json()["payer_type"] == payer_type


def test_get_returns_the_payer(client, ours):
    made = payer(client, ours.token, payer_type="va")

    response = client.get(f"/api/payers/{made['id']}", token=ours.token)

    assert response.status == 200
    assert response.json() == made


def test_get_of_a_missing_payer_is_not_found(client, ours):
    response = client.get(f"/api/payers/{uuid.uuid4()}", token=ours.token)

    assert response.status == 404
    assert response.mimetype == "application/problem+json"
    assert "payer" in response.json()["detail"]


# --- list ---------------------------------------------------------------------------------

def test_list_pages_through_every_payer_once_in_name_order(client, org):
    for name in ("Echo", "Alpha", "Delta", "Bravo", "Charlie"):
        payer(client, org.token, name=name)

    result = pages(client, "/api/payers", org.token, limit=2)

    assert [names(page) for page in result] == [["Alpha", "Bravo"], ["Charlie", "Delta"],
                                                ["Echo"]]


def test_list_without_a_limit_is_one_page_with_no_next_cursor(client, org):
    payer(client, org.token, name="Beta")
    payer(client, org.token, name="Alpha")

    page = client.get("/api/payers", token=org.token).json()

    assert names(page["items"]) == ["Alpha", "Beta"]
    assert page["next_cursor"] is None


def test_delete_deactivates_and_the_list_hides_it_unless_asked(client, org):
    payer(client, org.token, name="Kept")
    gone = payer(client, org.token, name="Gone")

    response = client.delete(f"/api/payers/{gone['id']}", token=org.token)

    assert response.status == 204
    assert response.body == b""
    fetched = client.get(f"/api/payers/{gone['id']}", token=org.token)
    assert fetched.status == 200
    assert fetched.json()["is_active"] is False
    assert names(client.get("/api/payers", token=org.token).json()["items"]) == ["Kept"]
    everything = client.get("/api/payers?include_inactive=true", token=org.token).json()
    assert [(i["name"], i["is_active"]) for i in everything["items"]] == [
        ("Gone", False), ("Kept", True)]


def test_paging_with_include_inactive_keeps_the_inactive_ones(client, org):
    for name in ("A", "B", "C"):
        made = payer(client, org.token, name=name)
        if name != "B":
            assert client.delete(f"/api/payers/{made['id']}", token=org.token).status == 204

    result = pages(client, "/api/payers?include_inactive=true", org.token, limit=1)

    assert [names(page) for page in result] == [["A"], ["B"], ["C"]]
    assert names(client.get("/api/payers", token=org.token).json()["items"]) == ["B"]


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=201", "limit"),
                                          ("cursor=nonsense", "cursor"),
                                          ("include_inactive=perhaps", "include_inactive"),
                                          ("payer_type=va", "payer_type")])
def test_bad_list_parameters_are_unprocessable(client, ours, query, field):
    response = client.get(f"/api/payers?{query}", token=ours.token)

    assert fields_named(response) == {field}


# --- change -------------------------------------------------------------------------------

def test_patch_changes_only_the_fields_sent(client, ours, admin_sql):
    made = payer(client, ours.token, payer_type="commercial")

    response = client.patch(f"/api/payers/{made['id']}", json={"payer_type": "hospice"},
                            token=ours.token)

    assert response.status == 200, response.body
    body = response.json()
    assert body["payer_type"] == "hospice"
    assert {k: body[k] for k in ("id", "name", "is_active", "created_at")} == {
        k: made[k] for k in ("id", "name", "is_active", "created_at")}
    assert at(body["updated_at"]) > at(made["updated_at"])
    assert stored(admin_sql, made["id"])["payer_type"] == "hospice"
    assert client.get(f"/api/payers/{made['id']}", token=ours.token).json() == body


def test_patch_renames(client, ours):
    made = payer(client, ours.token)
    new_name = f"Renamed {uuid.uuid4().hex[:6]}"

    response = client.patch(f"/api/payers/{made['id']}", json={"name": new_name},
                            token=ours.token)

    assert response.status == 200
    assert (response.json()["name"], response.json()["payer_type"]) == (
        new_name, made["payer_type"])


@pytest.mark.parametrize("field", ["name", "payer_type"])
def test_patch_refuses_null_and_names_the_field(client, ours, admin_sql, field):
    made = payer(client, ours.token)

    response = client.patch(f"/api/payers/{made['id']}", json={field: None}, token=ours.token)

    assert fields_named(response) == {field}
    row = stored(admin_sql, made["id"])
    assert (row["name"], row["payer_type"]) == (made["name"], made["payer_type"])


def test_an_empty_patch_changes_nothing_and_is_not_audited(client, ours, admin_sql):
    made = payer(client, ours.token)

    response = client.patch(f"/api/payers/{made['id']}", json={}, token=ours.token)

    assert response.status == 200
    assert response.json() == made
    assert [r["action"] for r in audit_rows(admin_sql, "payer", made["id"])] == [
        "payer.create"]


# --- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize("change, field", [
    ({"payer_type": "medicare_b"}, "payer_type"),
    ({"payer_type": "Medicaid"}, "payer_type"),
    ({"payer_type": 3}, "payer_type"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"is_active": False}, "is_active"),
])
def test_a_wrong_field_on_create_is_named_and_nothing_is_stored(client, ours, unchanged,
                                                                change, field):
    response = client.post("/api/payers", json=payer_body(**change), token=ours.token)

    assert fields_named(response) == {field}


def test_a_missing_name_and_type_are_both_named(client, ours, unchanged):
    response = client.post("/api/payers", json={}, token=ours.token)

    assert fields_named(response) == {"name", "payer_type"}


def test_patch_refuses_a_payer_type_outside_the_list(client, ours, admin_sql):
    made = payer(client, ours.token, payer_type="medicaid")

    response = client.patch(f"/api/payers/{made['id']}", json={"payer_type": "workers_comp"},
                            token=ours.token)

    assert fields_named(response) == {"payer_type"}
    assert stored(admin_sql, made["id"])["payer_type"] == "medicaid"


# --- conflicts ----------------------------------------------------------------------------

def test_two_active_payers_cannot_share_a_name(client, ours, admin_sql):
    made = payer(client, ours.token)
    before = count(admin_sql, "payers", ours.id)

    response = client.post("/api/payers", json=payer_body(name=made["name"].upper()),
                           token=ours.token)

    assert response.status == 409
    assert response.mimetype == "application/problem+json"
    assert "name" in response.json()["detail"]
    assert count(admin_sql, "payers", ours.id) == before


def test_renaming_onto_an_active_name_is_a_conflict(client, ours, admin_sql):
    first = payer(client, ours.token)
    second = payer(client, ours.token)

    response = client.patch(f"/api/payers/{second['id']}", json={"name": first["name"]},
                            token=ours.token)

    assert response.status == 409
    assert stored(admin_sql, second["id"])["name"] == second["name"]


def test_a_deactivated_payer_frees_its_name(client, ours):
    made = payer(client, ours.token)
    assert client.delete(f"/api/payers/{made['id']}", token=ours.token).status == 204

    again = client.post("/api/payers", json=payer_body(name=made["name"]), token=ours.token)

    assert again.status == 201, again.body


# --- audit --------------------------------------------------------------------------------

def test_every_write_leaves_one_audit_row_with_what_changed(client, ours, admin_sql):
    owner_id = client.get("/api/me", token=ours.token).json()["user"]["id"]
    made = client.post("/api/payers", json=payer_body(name="Audited", payer_type="va"),
                       token=ours.token)
    payer_id = made.json()["id"]
    changed = client.patch(f"/api/payers/{payer_id}",
                           json={"name": "Audited", "payer_type": "other"}, token=ours.token)
    deleted = client.delete(f"/api/payers/{payer_id}", token=ours.token)
    deleted_again = client.delete(f"/api/payers/{payer_id}", token=ours.token)
    assert (made.status, changed.status, deleted.status, deleted_again.status) == (
        201, 200, 204, 204)

    rows = audit_rows(admin_sql, "payer", payer_id)

    assert [r["action"] for r in rows] == ["payer.create", "payer.update", "payer.deactivate"]
    assert all(r["object_id"] == payer_id and r["user_id"] == owner_id for r in rows)
    assert [r["request_id"] for r in rows] == [
        header(made, "X-Request-Id"), header(changed, "X-Request-Id"),
        header(deleted, "X-Request-Id")]
    assert rows[0]["changes"] == {"name": "Audited", "payer_type": "va"}
    assert rows[1]["changes"] == {"payer_type": "other"}  # the unchanged name is left out
    assert rows[2]["changes"] == {"is_active": False}


# --- roles --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_readers_can_get_and_list_payers(client, ours, role):
    made = payer(client, ours.token)
    token = ours.tokens[role]

    assert client.get(f"/api/payers/{made['id']}", token=token).json() == made
    listed = client.get("/api/payers?limit=200", token=token).json()["items"]
    assert made in listed


@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_readers_cannot_create_change_or_deactivate_a_payer(client, ours, admin_sql, role):
    made = payer(client, ours.token, payer_type="medicaid")
    before = (count(admin_sql, "payers", ours.id), count(admin_sql, "audit_logs", ours.id))
    token = ours.tokens[role]

    responses = [
        client.post("/api/payers", json=payer_body(), token=token),
        client.patch(f"/api/payers/{made['id']}", json={"payer_type": "va"}, token=token),
        client.delete(f"/api/payers/{made['id']}", token=token),
    ]

    for response in responses:
        assert response.status == 403, response.body
        assert response.mimetype == "application/problem+json"
    row = stored(admin_sql, made["id"])
    assert (row["payer_type"], row["is_active"]) == ("medicaid", True)
    assert (count(admin_sql, "payers", ours.id),
            count(admin_sql, "audit_logs", ours.id)) == before


def test_an_admin_can_create_change_and_deactivate_a_payer(client, ours, admin_sql):
    token = ours.tokens["admin"]
    admin_id = client.get("/api/me", token=token).json()["user"]["id"]

    made = client.post("/api/payers", json=payer_body(), token=token)
    assert made.status == 201
    payer_id = made.json()["id"]
    changed = client.patch(f"/api/payers/{payer_id}", json={"payer_type": "va"}, token=token)
    assert changed.status == 200 and changed.json()["payer_type"] == "va"
    assert client.delete(f"/api/payers/{payer_id}", token=token).status == 204

    assert {r["user_id"] for r in audit_rows(admin_sql, "payer", payer_id)} == {admin_id}


def test_without_a_session_nothing_is_answered(client, ours):
    made = payer(client, ours.token)

    assert client.get("/api/payers").status == 401
    assert client.get(f"/api/payers/{made['id']}").status == 401
    assert client.post("/api/payers", json=payer_body()).status == 401


# --- other organizations ------------------------------------------------------------------

def test_another_organizations_payer_answers_exactly_as_a_missing_one(client, ours, theirs,
                                                                      admin_sql):
    made = payer(client, ours.token, payer_type="medicaid")
    before = stored(admin_sql, made["id"])
    audited_before = count(admin_sql, "audit_logs", theirs.id)
    mine = f"/api/payers/{made['id']}"
    missing = f"/api/payers/{uuid.uuid4()}"

    for method, kwargs in (("GET", {}), ("PATCH", {"json": {"payer_type": "va"}}),
                           ("DELETE", {})):
        foreign = client.request(method, mine, token=theirs.token, **kwargs)
        absent = client.request(method, missing, token=theirs.token, **kwargs)
        assert foreign.status == absent.status == 404, method
        assert foreign.mimetype == absent.mimetype == "application/problem+json"
        assert without_request_id(foreign.json()) == without_request_id(absent.json()), method
        assert foreign.json()["request_id"] != absent.json()["request_id"]

    assert stored(admin_sql, made["id"]) == before
    assert count(admin_sql, "audit_logs", theirs.id) == audited_before
    assert client.get(mine, token=ours.token).json() == made


def test_lists_show_only_the_callers_organization(client, org, other_org):
    payer(client, org.token, name="Ours")
    payer(client, other_org.token, name="Theirs")

    for token, expected in ((org.token, ["Ours"]), (other_org.token, ["Theirs"])):
        for query in ("", "?include_inactive=true"):
            listed = client.get(f"/api/payers{query}", token=token).json()["items"]
            assert names(listed) == expected


def test_two_organizations_may_use_the_same_payer_name(client, ours, theirs):
    made = payer(client, ours.token)

    payer(client, theirs.token, name=made["name"])
