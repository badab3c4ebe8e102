"""The move of a legacy deployment, end to end on real PostgreSQL: migrate, verify, use through
the API, roll back, verify the rollback, move again; an interrupted move resumed; a concurrent
one refused; broken legacy rows reported with nothing written."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from legacy.__main__ import main
from legacy.connections import ToolError
from legacy.migrate import Request, migrate
from legacy.rollback import organization_tables
from legacy.verify import verify
from tests.factories import created, ok
from tests.legacy.conftest import OWNER_EMAIL, PASSWORD


def _organization(admin_sql, subdomain):
    rows = admin_sql("SELECT id, tier, status FROM organizations WHERE subdomain = %s",
                     (subdomain,))
    return rows[0] if rows else None


def _rows_left(admin_sql, organization_id) -> dict:
    """Rows of the organization in every table with organization_id (as the superuser)."""
    tables = admin_sql("""
        SELECT DISTINCT c.relname AS name FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname = 'organization_id'""")
    left = {t["name"]: admin_sql(f"SELECT count(*) AS n FROM {t['name']} WHERE "
                                 "organization_id = %s", (organization_id,))[0]["n"]
            for t in tables}
    left["organizations"] = len(admin_sql("SELECT 1 FROM organizations WHERE id = %s",
                                          (organization_id,)))
    return {table: n for table, n in left.items() if n}


def _request(database, legacy_db, subdomain, **overrides) -> Request:
    values = {"legacy_dsn": legacy_db.dsn, "target_dsn": database.owner_dsn,
              "name": "Legacy Care Group", "subdomain": subdomain, "tier": "enterprise",
              "owner_email": OWNER_EMAIL, "backup": "pg_dump legacy.dump", "operator": "tests"}
    return Request(**{**values, **overrides})


def test_a_legacy_database_is_moved_verified_used_rolled_back_and_moved_again(
        client, database, legacy_db, subdomain, move_args, admin_sql, capsys):
    before = legacy_db.fingerprint()
    assert main(move_args) == 0
    output = capsys.readouterr()
    assert "moved" in output.out
    progress = [line for line in output.err.splitlines() if line.startswith("admissions")]
    assert progress[-1].split()[1:3] == ["240/240", "100.0%"]
    assert "rows/s" in progress[-1] and "ETA" in progress[-1]
    organization = _organization(admin_sql, subdomain)
    assert (organization["tier"], organization["status"]) == ("enterprise", "active")
    # The move writes the configuration with SQL of its own, which bumps the version the
    # functions' cached configurations are keyed by, as the API's writes do
    assert admin_sql("SELECT configuration_version FROM organizations WHERE id = %s",
                     (organization["id"],))[0]["configuration_version"] > 0
    by_month = admin_sql("""
        SELECT u.period_start, u.admissions,
               (SELECT count(*) FROM admissions a WHERE a.organization_id = u.organization_id
                   AND date_trunc('month', a.created_at AT TIME ZONE 'UTC')::date
                       = u.period_start) AS rows
          FROM usage_periods u WHERE u.organization_id = %s""", (organization["id"],))
    assert by_month and all(m["admissions"] == m["rows"] for m in by_month)  # usage history
    assert sum(m["admissions"] for m in by_month) == 240

    verify_args = ["verify", "--legacy", legacy_db.dsn, "--target", database.owner_dsn,
                   "--subdomain", subdomain, "--sample", "5", "--seed", "1"]
    assert main(verify_args) == 0
    report = capsys.readouterr().out
    assert "VERIFIED" in report and "DIFF" not in report
    assert "5 sampled" in report

    # The owner signs in with the old (pbkdf2) password; its hash becomes argon2 at once.
    session = ok(client.post("/api/auth/login", json={
        "subdomain": subdomain, "email": OWNER_EMAIL, "password": PASSWORD}))
    assert session["user"]["role"] == "owner"
    stored = admin_sql("SELECT password_hash FROM users WHERE organization_id = %s AND "
                       "email = %s", (organization["id"], OWNER_EMAIL))[0]["password_hash"]
    assert stored.startswith("$argon2id$")
    # A scrypt user too.
    scrypt_user = admin_sql("SELECT email FROM users WHERE organization_id = %s AND "
                            "password_hash LIKE 'scrypt:%%' AND is_active ORDER BY email LIMIT 1",
                            (organization["id"],))[0]["email"]
    ok(client.post("/api/auth/login", json={
        "subdomain": subdomain, "email": scrypt_user, "password": PASSWORD}))

    # The history with the legacy case numbers, and one admission in full.
    token = session["token"]
    listed = ok(client.get("/api/admissions?limit=5", token=token))["items"]
    assert len(listed) == 5 and all(a["case_number"].startswith("SNF-") for a in listed)
    detail = ok(client.get(f"/api/admissions/{listed[0]['id']}", token=token))
    assert Decimal(detail["evaluation"]["revenue"]["total"]) == Decimal(listed[0]["revenue_total"])

    # A new admission takes the year's next number after the highest legacy one.
    year = datetime.now(timezone.utc).year
    highest = legacy_db.sql("SELECT max(split_part(case_number, '-', 3)::int) AS n FROM "
                            "admissions WHERE split_part(case_number, '-', 2) = %s",
                            (str(year),))[0]["n"] or 0
    facility = ok(client.get("/api/facilities", token=token))["items"][0]
    payer = next(p for p in ok(client.get("/api/payers", token=token))["items"]
                 if p["payer_type"] == "medicaid")
    new = created(client.post("/api/admissions", token=token, json={
        "facility_id": facility["id"], "payer_id": payer["id"], "length_of_stay_days": 14,
        "acuity": "low"}))
    assert new["case_number"] == f"{subdomain.upper()}-{year}-{highest + 1:06d}"

    # Verified again after the switch: the work done since is shown, not a difference.
    assert main(verify_args) == 0
    report = capsys.readouterr().out
    assert "admissions        legacy        240  moved        240  mapped        240  (+1 made " \
           "in the product since)" in report

    # Rolled back: nothing of the organization anywhere, the legacy database untouched.
    assert main(["rollback", "--target", database.owner_dsn, "--subdomain", subdomain,
                 "--confirm", subdomain]) == 2   # work was done since the move
    assert "Refusing" in capsys.readouterr().err
    assert main(["rollback", "--target", database.owner_dsn, "--subdomain", subdomain,
                 "--confirm", subdomain, "--discard-new-work"]) == 0
    assert "no row of the organization is left" in capsys.readouterr().out
    assert _rows_left(admin_sql, organization["id"]) == {}
    assert legacy_db.fingerprint() == before
    assert main(verify_args) == 2
    assert "rolled back" in capsys.readouterr().err

    # And the move can be repeated.
    assert main(move_args) == 0
    assert main(verify_args) == 0
    assert "VERIFIED" in capsys.readouterr().out


def test_the_rollback_covers_every_table_that_holds_organization_id(database, admin_sql):
    import psycopg2
    import psycopg2.extras
    conn = psycopg2.connect(database.owner_dsn)
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            ordered = organization_tables(cur)
    finally:
        conn.close()
    everything = {r["relname"] for r in admin_sql("""
        SELECT DISTINCT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname = 'organization_id'""")}
    assert set(ordered) == everything
    # Children first: admissions before the facilities, rates and users it references.
    assert ordered.index("admissions") < min(ordered.index(t) for t in ("facilities", "rates",
                                                                         "users"))


def test_an_interrupted_move_resumes_without_duplicating_anything(
        database, legacy_db, subdomain, admin_sql):
    def interrupt(step):
        if step.table == "admissions" and step.done >= 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        migrate(_request(database, legacy_db, subdomain, chunk=50), interrupt)
    organization = _organization(admin_sql, subdomain)
    moved = admin_sql("SELECT count(*) AS n FROM admissions WHERE organization_id = %s",
                      (organization["id"],))[0]["n"]
    # Ranges of 50 ids, two at a time: stopped after the ranges in flight were committed.
    assert moved % 50 == 0 and 100 <= moved < 240
    assert admin_sql("SELECT finished_at FROM legacy_imports WHERE subdomain = %s",
                     (subdomain,))[0]["finished_at"] is None
    checks = verify(legacy_db.dsn, database.owner_dsn, subdomain, sample=0)
    assert not all(c.passed for c in checks)    # half-way is not verified

    steps = []
    # Another chunk size on resuming: ranges overlap the finished ones, nothing is doubled.
    outcome = migrate(_request(database, legacy_db, subdomain, chunk=70), steps.append)
    assert outcome.resumed
    first_admissions_step = next(s for s in steps if s.table == "admissions")
    assert first_admissions_step.done_at_start == moved    # went on where it stopped
    counts = admin_sql("""
        SELECT count(*) AS n, count(DISTINCT case_number) AS numbers FROM admissions
         WHERE organization_id = %s""", (organization["id"],))[0]
    legacy_n = legacy_db.sql("SELECT count(*) AS n FROM admissions")[0]["n"]
    assert counts == {"n": legacy_n, "numbers": legacy_n}
    assert all(c.passed for c in verify(legacy_db.dsn, database.owner_dsn, subdomain, sample=3))


def test_a_second_run_at_the_same_time_is_refused(database, legacy_db, make_legacy, subdomain):
    reached, release = threading.Event(), threading.Event()
    outcome = {}

    def hold(step):
        if step.table == "admissions" and not reached.is_set():
            reached.set()
            release.wait(30)

    def first():
        try:
            outcome["first"] = migrate(_request(database, legacy_db, subdomain), hold)
        except BaseException as exc:  # reported by the assertion below
            outcome["first"] = exc

    runner = threading.Thread(target=first)
    runner.start()
    try:
        assert reached.wait(30)
        other = make_legacy(admissions=10)
        with pytest.raises(ToolError) as refused:
            migrate(_request(database, other, subdomain + "-b"))
        assert refused.value.code == 3
        assert "Another legacy migration or rollback is running" in str(refused.value)
    finally:
        release.set()
        runner.join(60)
    assert not isinstance(outcome["first"], BaseException), outcome["first"]
    assert all(c.passed for c in verify(legacy_db.dsn, database.owner_dsn, subdomain, sample=0))


def test_broken_legacy_rows_are_reported_and_nothing_is_written(
        legacy_db, move_args, subdomain, admin_sql, capsys):
    legacy_db.sql("""
        INSERT INTO admissions (case_number, facility_id, payer_id, rate_id, length_of_stay,
                                acuity, referral_date, expected_revenue, expected_cost, margin,
                                margin_pct, score, recommendation, created_by)
        VALUES ('SNF-2024-900001', 9999, 1, 1, 10, 'low', '2024-05-01', 1000, 900, 100, 10, 60,
                'REVIEW', 1) RETURNING id""")
    legacy_db.sql("INSERT INTO users (email, password_hash, role) VALUES (%s, 'x', 'viewer')",
                  (OWNER_EMAIL.upper(),))
    broken = legacy_db.sql("SELECT id FROM admissions WHERE case_number = 'SNF-2024-900001'")

    assert main(move_args) == 4
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert f"admissions: 1 row point at a facility that does not exist (legacy id " \
           f"{broken[0]['id']})" in err
    assert "users: 2 rows share an e-mail address" in err
    assert OWNER_EMAIL.lower() not in err.lower()        # ids, never addresses
    assert "Traceback" not in err
    assert _organization(admin_sql, subdomain) is None
    assert admin_sql("SELECT 1 FROM legacy_imports WHERE subdomain = %s", (subdomain,)) == []


def test_the_move_refuses_to_start_without_the_backup_acknowledged(
        move_args, subdomain, admin_sql, capsys):
    args = move_args[:move_args.index("--backup-confirmed")]
    assert main(args) == 2
    assert "--backup-confirmed" in capsys.readouterr().err
    assert _organization(admin_sql, subdomain) is None


def test_a_tier_too_small_for_the_legacy_deployment_is_refused(move_args, subdomain, admin_sql,
                                                                capsys):
    args = list(move_args)
    args[args.index("--tier") + 1] = "starter"
    assert main(args) == 2
    assert "3 active facilities; Starter allows 1" in capsys.readouterr().err
    assert _organization(admin_sql, subdomain) is None


def test_a_trial_move_gets_the_trial_standing(move_args, subdomain, admin_sql, legacy_db):
    legacy_db.sql("UPDATE facilities SET is_active = false WHERE id > 1")
    legacy_db.sql("UPDATE users SET is_active = false WHERE id > 5")
    args = list(move_args)
    args[args.index("--tier") + 1] = "trial"
    assert main(args) == 0
    organization = admin_sql("SELECT tier, status, trial_ends_at > now() AS open FROM "
                             "organizations WHERE subdomain = %s", (subdomain,))[0]
    assert organization == {"tier": "trial", "status": "trialing", "open": True}


def test_a_finished_move_is_not_run_twice(move_args, capsys):
    assert main(move_args) == 0
    assert main(move_args) == 2
    assert "was moved in already" in capsys.readouterr().err


def test_verification_fails_on_any_difference(database, legacy_db, move_args, subdomain,
                                              admin_sql, capsys):
    assert main(move_args) == 0
    organization = _organization(admin_sql, subdomain)
    admin_sql("UPDATE rates SET per_diem = per_diem + 1 WHERE id = (SELECT id FROM rates WHERE "
              "organization_id = %s AND per_diem IS NOT NULL LIMIT 1)", (organization["id"],))
    admin_sql("UPDATE users SET role = 'viewer' WHERE organization_id = %s AND role = 'admin'",
              (organization["id"],))
    capsys.readouterr()
    assert main(["verify", "--legacy", legacy_db.dsn, "--target", database.owner_dsn,
                 "--subdomain", subdomain, "--sample", "0"]) == 1
    report = capsys.readouterr().out
    assert "DIFF rates.daily_rate" in report
    assert "DIFF differing legacy user ids" in report
    assert "NOT VERIFIED: 2 check(s) failed: sums of money columns, users." in report


def test_an_unreachable_database_is_a_clear_message(database, subdomain, capsys):
    assert main(["verify", "--legacy", "postgresql://nobody@127.0.0.1:1/none", "--target",
                 database.owner_dsn, "--subdomain", subdomain]) == 2
    err = capsys.readouterr().err
    assert "Cannot connect to the legacy database 127.0.0.1:1/none" in err
    assert "Traceback" not in err


def test_the_rollback_needs_the_subdomain_repeated(database, move_args, subdomain, admin_sql,
                                                   capsys):
    assert main(move_args) == 0
    assert main(["rollback", "--target", database.owner_dsn, "--subdomain", subdomain]) == 2
    assert "--confirm" in capsys.readouterr().err
    assert _organization(admin_sql, subdomain) is not None


def test_a_row_refused_half_way_stops_the_move_clearly_and_it_resumes_once_corrected(
        database, legacy_db, subdomain, admin_sql):
    """A conflicting admission written into the organization while the move runs (as if by
    hand): the chunk is refused and rolled back, the message names the constraint, not the
    row's values; with the conflict gone the same command finishes."""
    first = legacy_db.sql("SELECT case_number FROM admissions ORDER BY id LIMIT 1")[0]

    def conflict(step):
        if step.table == "admissions" and step.done == 0:
            organization = _organization(admin_sql, subdomain)
            admin_sql("""
                INSERT INTO admissions (organization_id, case_number, facility_id, payer_id,
                                        rate_id, length_of_stay_days, acuity,
                                        referral_received_at, revenue_total, cost_total, margin,
                                        margin_pct, score, recommendation, evaluation, created_by)
                SELECT r.organization_id, %s, r.facility_id, r.payer_id, r.id, 5, 'low', now(),
                       1, 1, 0, 0, 50, 'review', '{}', u.id
                  FROM rates r JOIN users u ON u.organization_id = r.organization_id
                 WHERE r.organization_id = %s LIMIT 1""",
                      (first["case_number"], organization["id"]))

    with pytest.raises(ToolError) as stopped:
        migrate(_request(database, legacy_db, subdomain), conflict)
    message = str(stopped.value)
    assert "refused a row of admissions" in message
    assert "admissions_organization_id_case_number_key" in message
    assert first["case_number"] not in message
    organization = _organization(admin_sql, subdomain)
    assert admin_sql("SELECT count(*) AS n FROM legacy_id_map WHERE organization_id = %s AND "
                     "legacy_table = 'admissions'", (organization["id"],))[0]["n"] == 0

    admin_sql("DELETE FROM admissions WHERE organization_id = %s", (organization["id"],))
    assert migrate(_request(database, legacy_db, subdomain)).resumed
    assert all(c.passed for c in verify(legacy_db.dsn, database.owner_dsn, subdomain, sample=0))


def test_a_cost_model_the_product_would_refuse_is_found_before_anything_is_written(
        legacy_db, move_args, subdomain, admin_sql, capsys):
    legacy_db.sql("UPDATE cost_models SET fixed_daily_cost = -1 WHERE id = 2")
    assert main(move_args) == 4
    assert "cost_models: 1 row have a negative amount" in capsys.readouterr().err
    assert _organization(admin_sql, subdomain) is None
