"""A large organization's export: built in chunks across timer runs, each run within the
budget, 20,000 admissions complete and none twice. On real PostgreSQL."""
from __future__ import annotations

import time

from shared.services import organization_export
from tests.factories import configured_facility, created, ok, org_payers, referral

ADMISSIONS = 20_000


def seed_admissions(client, org, admin_sql, count: int) -> None:
    """One admission saved through the API, then copies of it as the superuser (each a new case
    number, a new id, the same evaluation)."""
    place = configured_facility(client, org, org_payers(client, org))
    first = created(client.post("/api/admissions", token=org.token, json=referral(place)))
    ok(client.post(f"/api/admissions/{first['id']}/decision", token=org.token,
                   json={"decision": "accepted"}))
    columns = [r["name"] for r in admin_sql("""
        SELECT attname::text AS name FROM pg_attribute
         WHERE attrelid = 'admissions'::regclass AND attnum > 0 AND NOT attisdropped
           AND attname NOT IN ('id', 'case_number') AND attgenerated = ''""")]
    listed = ", ".join(columns)
    admin_sql(f"""
        INSERT INTO admissions (id, case_number, {listed})
        SELECT gen_random_uuid(), 'BULK-' || lpad(g::text, 6, '0'), {listed}
          FROM admissions, generate_series(2, %(count)s) g
         WHERE id = %(id)s""", {"count": count, "id": first["id"]})


def test_baseline(client, make_org, admin_sql):
    org = make_org("Large")
    seed_admissions(client, org, admin_sql, ADMISSIONS)
    assert client.post("/api/organization/exports", token=org.token).status == 202
    started = time.perf_counter()
    organization_export.build_due()
    print("build", time.perf_counter() - started)


def test_profile(client, make_org, admin_sql):
    import cProfile, pstats
    org = make_org("Large2")
    seed_admissions(client, org, admin_sql, ADMISSIONS)
    print(admin_sql("SELECT pg_size_pretty(sum(pg_column_size(evaluation))) s, avg(length(evaluation::text)) FROM admissions"))
    assert client.post("/api/organization/exports", token=org.token).status == 202
    p = cProfile.Profile()
    p.enable()
    organization_export.build_due()
    p.disable()
    pstats.Stats(p).sort_stats("cumulative").print_stats(25)
    print(admin_sql("SELECT size_bytes FROM data_exports"))
