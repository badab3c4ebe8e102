"""An owner's export of everything the organization holds: asked for, built by the timer,
downloaded within 24 hours; complete (every table of the organization from the catalog is in
it) and nothing of another organization or any secret is. On real PostgreSQL."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import time
import uuid
import zipfile

import pytest

from shared.services import maintenance, organization_export
from tests.factories import (add_member, configured_facility, count, created, header, ok,
                             org_payers, referral)


def request_and_build(client, org) -> dict:
    requested = client.post("/api/organization/exports", token=org.token)
    assert requested.status == 202, requested.body
    assert requested.json()["status"] == "requested"
    organization_export.build_due()
    return requested.json()


def download(client, org, export_id):
    return client.get(f"/api/organization/exports/{export_id}/download", token=org.token)


def test_the_export_holds_every_table_of_the_organization_and_nothing_else(client, make_org,
                                                                           admin_sql):
    org, other = make_org("Exporting"), make_org("Someone else")
    for each in (org, other):
        place = configured_facility(client, each, org_payers(client, each),
                                    name=f"=HYPERLINK(\"http://x\") {each.subdomain}")
        admission = created(client.post("/api/admissions", token=each.token,
                                        json=referral(place)))
        ok(client.post(f"/api/admissions/{admission['id']}/decision", token=each.token,
                       json={"decision": "accepted"}))
        add_member(each, "viewer")
    export = request_and_build(client, org)

    listed = ok(client.get("/api/organization/exports", token=org.token))["items"]
    assert [(e["id"], e["status"]) for e in listed] == [(export["id"], "ready")]
    response = download(client, org, export["id"])

    assert response.status == 200, response.body
    assert response.mimetype == "application/zip"
    assert "attachment" in header(response, "Content-Disposition")
    assert hashlib.sha256(response.body).hexdigest() == listed[0]["sha256"]
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    manifest = json.loads(archive.read("manifest.json"))
    names = set(archive.namelist()) - {"manifest.json"}
    assert {f["name"] for f in manifest["files"]} == names
    for entry in manifest["files"]:  # each file as the manifest says
        content = archive.read(entry["name"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["name"]
        assert len(content) == entry["bytes"]
        if entry["name"].endswith(".csv"):
            assert len(list(csv.reader(io.StringIO(content.decode())))) == entry["rows"] + 1
    # complete: every table with an organization_id, but the ones named as left out with why
    tables = {r["name"] for r in admin_sql("""
        SELECT DISTINCT c.relname::text AS name FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND a.attname = 'organization_id' AND NOT a.attisdropped""")}
    assert {f"{t}.csv" for t in tables - set(manifest["left_out"])} | {
        "organization.csv", "organization.json", "admissions.json"} == names
    rows = {f["name"]: f["rows"] for f in manifest["files"]}
    for table in ("facilities", "payers", "rates", "cost_models", "admissions", "users",
                  "audit_logs"):
        stored = admin_sql(f"SELECT count(*) AS n FROM {table} WHERE organization_id = %s",
                           (str(org.id),))[0]["n"]
        if table == "audit_logs":
            stored -= 1  # the download's own row came after the export was built
        assert rows[f"{table}.csv"] == stored > 0, table
    everything = b"".join(archive.read(name) for name in names).decode()
    # nothing of the other organization, no secret
    assert str(other.id) not in everything and other.subdomain not in everything
    assert "password_hash" not in everything and "token_hash" not in everything
    assert "$argon2" not in everything
    # formula-safe, like the admissions CSV; the evaluations nested in the JSON
    facilities = list(csv.DictReader(io.StringIO(archive.read("facilities.csv").decode())))
    assert facilities[0]["name"].startswith("'=HYPERLINK")
    admissions = json.loads(archive.read("admissions.json"))
    assert admissions[0]["status"] == "accepted" and isinstance(admissions[0]["evaluation"], dict)
    flat = next(csv.reader(io.StringIO(archive.read("admissions.csv").decode())))
    assert "status" in flat and "evaluation" not in flat  # a spreadsheet cell is too small
    # requested and downloaded, each audited; the owner told by e-mail, with the expiry
    actions = [r["action"] for r in admin_sql(
        "SELECT action FROM audit_logs WHERE object_id = %s ORDER BY occurred_at",
        (export["id"],))]
    assert actions == ["data_export.request", "data_export.download"]
    mail = admin_sql("SELECT to_address, text_body FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'data_export_ready'", (str(org.id),))
    assert mail[0]["to_address"] == org.email and "24 hours" in mail[0]["text_body"]


def test_one_export_is_prepared_at_a_time(client, org):
    assert client.post("/api/organization/exports", token=org.token).status == 202

    again = client.post("/api/organization/exports", token=org.token)

    assert again.status == 409, again.body
    waiting = ok(client.get("/api/organization/exports", token=org.token))["items"][0]
    assert download(client, org, waiting["id"]).status == 409


def test_another_organizations_export_is_not_found(client, org, other_org):
    export = request_and_build(client, other_org)

    assert download(client, org, export["id"]).status == 404
    assert ok(client.get("/api/organization/exports", token=org.token))["items"] == []


def test_an_expired_export_is_gone_and_its_content_dropped(client, org, admin_sql):
    export = request_and_build(client, org)
    admin_sql("UPDATE data_exports SET expires_at = now() - interval '1 second' WHERE id = %s",
              (export["id"],))

    assert download(client, org, export["id"]).status == 410
    maintenance.purge_old_records()
    assert admin_sql("SELECT status, content FROM data_exports WHERE id = %s",
                     (export["id"],)) == [{"status": "expired", "content": None}]
    assert download(client, org, export["id"]).status == 410


def test_a_closed_organization_can_still_export(client, org):
    ok(client.post("/api/organization/close", token=org.token,
                   json={"password": "correct horse battery staple"}))

    export = request_and_build(client, org)

    assert download(client, org, export["id"]).status == 200


def test_a_build_the_host_keeps_stopping_fails_after_three_attempts(client, org, admin_sql):
    requested = client.post("/api/organization/exports", token=org.token).json()
    # three builds begun and stopped by the host's time limit (nothing else left behind)
    admin_sql("UPDATE data_exports SET attempts = 3 WHERE id = %s", (requested["id"],))

    organization_export.build_due()

    assert admin_sql("SELECT status, attempts FROM data_exports WHERE id = %s",
                     (requested["id"],)) == [{"status": "failed", "attempts": 4}]
    listed = ok(client.get("/api/organization/exports", token=org.token))["items"]
    assert listed[0]["status"] == "failed"
    assert client.post("/api/organization/exports", token=org.token).status == 202  # ask again


def test_an_organization_with_replay_records_is_exported_a_row_at_a_time(client, org,
                                                                         admin_sql):
    # idempotency_keys is keyed by a bytea hash: its keyset position did not survive str(),
    # and a build a row at a time read the same row again forever
    for name in ("Replayed once", "Replayed twice", "Replayed thrice"):
        created(client.post("/api/facilities", token=org.token, json={"name": name,
                                                                        "bed_count": 50},
                            headers={"Idempotency-Key": str(uuid.uuid4())}))
    assert count(admin_sql, "idempotency_keys", org.id) == 3
    export = client.post("/api/organization/exports", token=org.token).json()

    for _ in range(5):  # a few hundred rows at most: one or two runs
        organization_export.build_due(budget=organization_export.Budget(rows=500, chunk_rows=1))
        status = admin_sql("SELECT status FROM data_exports WHERE id = %s",
                           (export["id"],))[0]["status"]
        if status != "requested":
            break

    assert status == "ready"
    archive = zipfile.ZipFile(io.BytesIO(download(client, org, export["id"]).body))
    manifest = json.loads(archive.read("manifest.json"))
    assert "idempotency_keys" in manifest["left_out"]
    assert "idempotency_keys.csv" not in archive.namelist()
    facilities = list(csv.DictReader(io.StringIO(archive.read("facilities.csv").decode())))
    assert sorted(f["name"] for f in facilities) == ["Replayed once", "Replayed thrice",
                                                      "Replayed twice"]


def test_a_table_keyed_by_a_type_that_does_not_page_fails_the_export(client, org, admin_sql):
    # a float's text form is not a safe keyset position: refused when the files are planned
    admin_sql("CREATE TABLE export_probe (organization_id uuid NOT NULL, reading real NOT NULL,"
              " PRIMARY KEY (organization_id, reading))")
    try:
        admin_sql("GRANT SELECT ON export_probe TO PUBLIC")
        admin_sql("INSERT INTO export_probe VALUES (%s, 0.1)", (str(org.id),))
        export = client.post("/api/organization/exports", token=org.token).json()
        organization_export.build_due()
    finally:
        admin_sql("DROP TABLE export_probe")

    assert admin_sql("SELECT status FROM data_exports WHERE id = %s",
                     (export["id"],)) == [{"status": "failed"}]


def test_a_chunk_that_does_not_move_past_its_start_fails_instead_of_looping():
    plan = {"name": "facilities.csv", "key": ["id"]}
    page = [{"key_0": "00000000-0000-0000-0000-000000000001"}]

    assert organization_export._position_after(plan, page, None) == [page[0]["key_0"]]
    assert organization_export._position_after(plan, [], ["x"]) is None
    with pytest.raises(RuntimeError, match="did not move past"):
        organization_export._position_after(plan, page, [page[0]["key_0"]])


def test_the_zip_waits_for_the_next_run_when_it_would_not_fit_in_this_one(client, org,
                                                                           admin_sql):
    export = client.post("/api/organization/exports", token=org.token).json()
    # a run already at the host's limit: its chunks go on (no time net), its zip may not start
    late = organization_export.Budget(seconds=math.inf, started=time.monotonic()
                                      - organization_export.HOST_SECONDS)

    organization_export.build_due(budget=late)

    stored = admin_sql("SELECT status, file_index, files FROM data_exports WHERE id = %s",
                       (export["id"],))[0]
    assert stored["status"] == "requested" and stored["file_index"] == len(stored["files"])
    organization_export.build_due()  # the next run starts with the zip
    assert download(client, org, export["id"]).status == 200


def test_the_progress_counts_the_files_the_zip_holds(client, org, admin_sql):
    logo = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    admin_sql("UPDATE organizations SET logo = %s, logo_content_type = 'image/png' WHERE id = %s",
              (logo, str(org.id)))
    export = client.post("/api/organization/exports", token=org.token).json()
    progress = []
    while True:  # a row a run: the files with rows show on their own
        organization_export.build_due(budget=organization_export.Budget(rows=1, chunk_rows=1))
        listed = ok(client.get("/api/organization/exports", token=org.token))["items"][0]
        if listed["status"] != "requested":
            break
        progress.append(listed["progress"])
        assert len(progress) < 200

    archive = zipfile.ZipFile(io.BytesIO(download(client, org, export["id"]).body))
    data_files = set(archive.namelist()) - {"manifest.json"}
    assert {p["files_total"] for p in progress} == {len(data_files)}
    assert {"organization.json", "organization.csv", "logo.png"} <= data_files
    # files of no rows pass within a run; those seen are the zip's
    assert {p["file"] for p in progress if p["file"]} <= data_files
