"""A large organization's export: built a chunk at a time across timer runs, each run within
its budget of rows (so well within the host's time limit), complete, no row twice, and its
progress shown while it is prepared. On real PostgreSQL; each run's time is printed (-s)."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
import zipfile

from shared.services import organization_export
from shared.services.organization_export import Budget
from shared.settings import get_settings
from tests.factories import configured_facility, created, ok, org_payers, referral

ADMISSIONS = 20_000


def seed_admissions(client, org, admin_sql, count: int) -> None:
    """One admission saved and decided through the API, then copies of it as the superuser
    (each its own id and case number, the same evaluation)."""
    place = configured_facility(client, org, org_payers(client, org))
    first = created(client.post("/api/admissions", token=org.token, json=referral(place)))
    ok(client.post(f"/api/admissions/{first['id']}/decision", token=org.token,
                   json={"decision": "accepted"}))
    columns = ", ".join(r["name"] for r in admin_sql("""
        SELECT attname::text AS name FROM pg_attribute
         WHERE attrelid = 'admissions'::regclass AND attnum > 0 AND NOT attisdropped
           AND attname NOT IN ('id', 'case_number') AND attgenerated = ''"""))
    admin_sql(f"""
        INSERT INTO admissions (id, case_number, {columns})
        SELECT gen_random_uuid(), 'BULK-' || lpad(g::text, 6, '0'), {columns}
          FROM admissions, generate_series(2, %(count)s) g
         WHERE id = %(id)s""", {"count": count, "id": first["id"]})


def downloaded(client, org, export_id) -> zipfile.ZipFile:
    response = client.get(f"/api/organization/exports/{export_id}/download", token=org.token)
    assert response.status == 200, response.body
    return zipfile.ZipFile(io.BytesIO(response.body))


def assert_every_admission_once(archive: zipfile.ZipFile, count: int) -> None:
    table = list(csv.DictReader(io.StringIO(archive.read("admissions.csv").decode())))
    nested = json.loads(archive.read("admissions.json"))
    for rows in (table, nested):
        assert len(rows) == count
        assert len({row["id"] for row in rows}) == count  # none twice, none left out
    manifest = json.loads(archive.read("manifest.json"))
    rows = {f["name"]: f["rows"] for f in manifest["files"]}
    assert rows["admissions.csv"] == rows["admissions.json"] == count


def test_a_large_export_is_built_over_several_runs_each_within_its_budget(client, make_org,
                                                                          admin_sql):
    settings = get_settings()
    run_rows, chunk_rows = settings.data_export_run_rows, settings.data_export_chunk_rows
    org = make_org("Large")
    seed_admissions(client, org, admin_sql, ADMISSIONS)
    export = client.post("/api/organization/exports", token=org.token).json()
    stored_rows = sum(r["n"] for r in admin_sql("""
        SELECT count(*) AS n FROM admissions WHERE organization_id = %(o)s
        UNION ALL SELECT count(*) FROM admissions WHERE organization_id = %(o)s""",
                                                 {"o": str(org.id)}))

    runs, progress = [], []
    while True:
        started = time.perf_counter()
        # The row budget alone decides (no time net), so the count of runs is exact here.
        counts = organization_export.build_due(budget=Budget(seconds=math.inf))
        runs.append((counts, time.perf_counter() - started))
        largest = admin_sql("SELECT max(rows) AS n FROM data_export_parts"
                            " WHERE export_id = %s", (export["id"],))[0]["n"]
        assert largest is None or largest <= chunk_rows
        listed = ok(client.get("/api/organization/exports", token=org.token))["items"][0]
        if listed["status"] != "requested":
            break
        progress.append(listed["progress"])
        assert len(runs) < 20

    for number, (counts, seconds) in enumerate(runs, 1):
        print(f"run {number}: {counts['chunks']} chunks, {counts['rows']} rows, {seconds:.2f} s")
    assert listed["status"] == "ready"
    assert all(counts["rows"] <= run_rows for counts, _ in runs)
    # The admissions alone (as CSV and as JSON) take their rows / run_rows runs; the other
    # tables' few rows and the zip fit within one more.
    assert math.ceil(stored_rows / run_rows) <= len(runs) <= math.ceil(stored_rows / run_rows) + 1
    # what Settings shows meanwhile: "admissions.csv: 9,999 of 20,000 rows"
    assert any(p["file"] == "admissions.csv" and 0 < p["file_rows"] < p["file_total"] == ADMISSIONS
               and p["files_done"] < p["files_total"] for p in progress), progress
    assert admin_sql("SELECT count(*) AS n FROM data_export_parts")[0]["n"] == 0
    assert_every_admission_once(downloaded(client, org, export["id"]), ADMISSIONS)


def test_a_run_the_host_stops_in_the_middle_of_a_chunk_loses_that_chunk_only(client, make_org,
                                                                           admin_sql):
    chunk_rows = get_settings().data_export_chunk_rows
    org = make_org("Stopped")
    seed_admissions(client, org, admin_sql, 5_000)
    export = client.post("/api/organization/exports", token=org.token).json()
    # The second chunk of admissions.csv hangs once its rows are read and rendered...
    admin_sql("""
        CREATE FUNCTION hang_second_chunk() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.file = 'admissions.csv' AND EXISTS (SELECT 1 FROM data_export_parts p
                 WHERE p.export_id = NEW.export_id AND p.file = NEW.file) THEN
                PERFORM pg_sleep(120);
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER hang_second_chunk BEFORE INSERT ON data_export_parts
            FOR EACH ROW EXECUTE FUNCTION hang_second_chunk();""")
    run = subprocess.Popen([sys.executable, "-c", "from shared.services import "
                            "organization_export as e; e.build_due()"], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while not (hung := admin_sql("SELECT pid FROM pg_stat_activity"
                                     " WHERE wait_event = 'PgSleep'")):
            assert run.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        # ...and the host stops the run there, as at its time limit; the database ends the
        # dead run's transaction.
        run.send_signal(signal.SIGKILL)
        run.wait()
        admin_sql("SELECT pg_terminate_backend(%s)", (hung[0]["pid"],))
    finally:
        run.kill()
        admin_sql("DROP TRIGGER hang_second_chunk ON data_export_parts;"
                  " DROP FUNCTION hang_second_chunk()")
    stopped_at = admin_sql("SELECT file_rows FROM data_exports WHERE id = %s",
                           (export["id"],))[0]
    assert stopped_at == {"file_rows": chunk_rows}  # the first chunk kept, the second lost

    organization_export.build_due()

    assert_every_admission_once(downloaded(client, org, export["id"]), 5_000)
