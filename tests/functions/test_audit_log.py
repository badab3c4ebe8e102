"""GET /api/audit-log and /api/audit-log/export: owners and admins read who did what, when and
from where, filtered by user, action, object and dates, paged newest first; the CSV holds the
same rows and never a formula; another organization's entries never appear. GET
/api/admissions/export: the admissions list's filters, as CSV, for every role."""
from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.factories import (add_user, configured_facility, created, facility, fields_named, ok,
                             org_payers, pages, payer, referral)

LOG = "/api/audit-log"


def entries(client, token, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return ok(client.get(f"{LOG}?{query}", token=token))


def rows_of(response) -> list[dict]:
    assert response.status == 200, response.body
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.body.decode())))


def test_the_log_says_who_did_what_when_and_from_where_newest_first(client, org, admin_sql):
    made = facility(client, org.token, name="Audit House")
    client.patch(f"/api/facilities/{made['id']}", json={"current_census": 5}, token=org.token)

    items = entries(client, org.token, object_id=made["id"])["items"]

    assert [i["action"] for i in items] == ["facility.update", "facility.create"]
    assert items[0]["user_email"] == org.email and items[0]["object_type"] == "facility"
    assert items[0]["changes"] == {"current_census": 5}
    assert items[0]["source_address"] and items[0]["request_id"]
    assert items[0]["occurred_at"] >= items[1]["occurred_at"]


def test_filters_by_user_action_prefix_object_type_and_dates(client, org, admin_sql):
    admin = add_user(client, org, "admin")
    admin_id = ok(client.get("/api/me", token=admin))["user"]["id"]
    payer(client, admin, name="Filtered Payer")
    facility(client, org.token)

    by_admin = entries(client, org.token, user_id=admin_id)["items"]
    assert {i["action"] for i in by_admin} == {"session.create", "payer.create"}  # signed in, added
    assert {i["object_type"] for i in entries(client, org.token, action="payer")["items"]} == {"payer"}
    assert entries(client, org.token, object_type="facility")["items"]
    assert entries(client, org.token, action="facility.create", since="2000-01-01",
                   until="2000-01-31")["items"] == []
    today = admin_sql("SELECT (now() AT TIME ZONE 'UTC')::date AS d")[0]["d"]
    assert entries(client, org.token, since=today, until=today)["items"]


def test_the_log_pages_without_gaps_or_repeats(client, org):
    for n in range(7):
        facility(client, org.token, name=f"Paged {n}")

    seen = [i["id"] for page in pages(client, f"{LOG}?object_type=facility", org.token, limit=3)
            for i in page]

    assert len(seen) == len(set(seen)) == 7


def test_the_export_holds_the_filtered_rows_and_no_formula(client, org):
    facility(client, org.token, name="=HYPERLINK(\"http://evil\")")

    rows = rows_of(client.get(f"{LOG}/export?object_type=facility", token=org.token))

    assert [r["action"] for r in rows] == ["facility.create"]
    assert rows[0]["user_email"] == org.email
    assert "HYPERLINK" in rows[0]["changes"]
    assert all(not value.startswith("=") for row in rows for value in row.values())


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_may_not_read_the_log(client, org, role):
    token = add_user(client, org, role)
    assert client.get(LOG, token=token).status == 403
    assert client.get(f"{LOG}/export", token=token).status == 403


def test_another_organizations_entries_never_appear(client, org, other_org):
    theirs = facility(client, other_org.token, name="Their Secret")

    assert entries(client, org.token, object_id=theirs["id"])["items"] == []
    mine = entries(client, org.token)["items"]
    assert all(i["object_id"] != theirs["id"] for i in mine)
    assert "Their Secret" not in client.get(f"{LOG}/export", token=org.token).body.decode()


@pytest.mark.parametrize("query", ["user_id=nope", "action=DROP%20TABLE", "since=2026-13-01",
                                   "since=2026-05-02&until=2026-05-01", "limit=0", "cursor=zzz",
                                   "colour=red"])
def test_bad_filters_are_a_problem_naming_the_field(client, org, query):
    response = client.get(f"{LOG}?{query}", token=org.token)
    assert fields_named(response)


def test_admissions_export_follows_the_lists_filters_for_every_role(client, org, other_org):
    payers = org_payers(client, org)
    place = configured_facility(client, org, payers, name="Export House")
    first = created(client.post("/api/admissions", json=referral(place), token=org.token))
    second = created(client.post("/api/admissions", json=referral(place), token=org.token))
    ok(client.post(f"/api/admissions/{second['id']}/decision", json={"decision": "accepted"},
                   token=org.token))
    viewer = add_user(client, org, "viewer")

    every = rows_of(client.get("/api/admissions/export", token=viewer))
    accepted = rows_of(client.get("/api/admissions/export?status=accepted", token=viewer))

    assert {r["case_number"] for r in every} == {first["case_number"], second["case_number"]}
    assert [r["case_number"] for r in accepted] == [second["case_number"]]
    assert accepted[0]["facility"] == "Export House" and accepted[0]["status"] == "accepted"
    assert rows_of(client.get("/api/admissions/export", token=other_org.token)) == []
    assert fields_named(client.get(f"/api/admissions/export?facility_id={uuid.uuid4()}x",
                                   token=org.token))
