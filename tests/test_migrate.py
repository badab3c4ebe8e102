"""The migration runner and the schema it leaves, on real PostgreSQL.

Every test that runs the migrations makes its own throwaway database and roles (random
suffixes); the read-only inspections of the catalog share one per module. They live on the server
the run uses (conftest's `database` fixture picks it: TEST_DATABASE_URL, else the machine's
PostgreSQL on 127.0.0.1:5432, else the embedded one) and are dropped afterwards.
"""
from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import psycopg2.errors
import psycopg2.extras
import pytest
from psycopg2 import sql
from psycopg2.extensions import make_dsn

import local.database
from local.database import ROOT, Provisioned, drop, provision
from shared.migrate import LOCK_KEY, MIGRATIONS_DIR, Migration, discover, migrate
from shared.repositories import configuration_versions

FOUNDATION_TABLES = {"organizations", "users", "sessions", "facilities", "audit_logs"}
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


# --- fixtures and helpers ------------------------------------------------------------------------

def _new_target(admin_dsn: str) -> Provisioned:
    suffix = secrets.token_hex(4)
    return Provisioned(admin_dsn, database=f"snf_mig_{suffix}",
                       owner_role=f"snf_mig_owner_{suffix}", app_role=f"snf_mig_app_{suffix}")


@pytest.fixture
def migrated(database):
    """A fresh database provisioned the real way: roles, database, every migration."""
    target = _new_target(database.admin_dsn)
    try:
        provision(target.admin_dsn, target.database, target.owner_role, target.app_role)
        yield target
    finally:
        drop(target)


@pytest.fixture(scope="module")
def schema(database):
    """One fresh database provisioned the real way for this module's read-only inspections of
    the catalog (they change nothing, so they share it: a database costs about a second)."""
    target = _new_target(database.admin_dsn)
    try:
        provision(target.admin_dsn, target.database, target.owner_role, target.app_role)
        yield target
    finally:
        drop(target)


@pytest.fixture
def unmigrated(database, monkeypatch):
    """A fresh database with its roles and grants exactly as `provision` makes them, but with no
    migration applied (provision's call to migrate is replaced by a no-op for its duration)."""
    target = _new_target(database.admin_dsn)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(local.database, "migrate", lambda *args, **kwargs: [])
            provision(target.admin_dsn, target.database, target.owner_role, target.app_role)
        yield target
    finally:
        drop(target)


def _admin_connect(target: Provisioned):
    """A superuser connection to the target database (autocommit)."""
    conn = psycopg2.connect(make_dsn(target.admin_dsn, dbname=target.database), connect_timeout=5)
    conn.autocommit = True
    return conn


def query(target: Provisioned, statement: str, params=None) -> list[dict]:
    conn = _admin_connect(target)
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(statement, params)
            return [dict(row) for row in cur.fetchall()]
    finally:
        conn.close()


def public_tables(target: Provisioned) -> set[str]:
    rows = query(target, """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')""")
    return {row["relname"] for row in rows}


def tenant_tables(target: Provisioned) -> set[str]:
    """organizations and every table with an organization_id column (the others, such as the
    PDPM reference tables, hold data shared by every organization)."""
    rows = query(target, """
        SELECT DISTINCT c.relname FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND a.attname = 'organization_id' AND NOT a.attisdropped""")
    return {row["relname"] for row in rows} | {"organizations"}


def schema_migrations(target: Provisioned) -> list[dict]:
    return query(target, "SELECT version, name, checksum, applied_at FROM schema_migrations"
                         " ORDER BY version")


def copy_migrations(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    return directory


# --- applying ------------------------------------------------------------------------------------

def test_migrating_an_empty_database_creates_the_tables_and_records_every_version(unmigrated):
    assert public_tables(unmigrated) == set()

    applied = migrate(unmigrated.owner_dsn, app_role=unmigrated.app_role)

    expected = discover()
    assert applied == [m.version for m in expected]
    assert FOUNDATION_TABLES <= public_tables(unmigrated)
    recorded = schema_migrations(unmigrated)
    assert [(r["version"], r["name"], r["checksum"]) for r in recorded] == [
        (m.version, m.name, m.checksum) for m in expected]


def test_the_owner_role_owns_the_migrated_tables(schema):
    rows = query(schema, """
        SELECT c.relname, pg_get_userbyid(c.relowner) AS owner
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')""")
    assert {r["relname"] for r in rows} >= FOUNDATION_TABLES | {"schema_migrations"}
    assert {r["owner"] for r in rows} == {schema.owner_role}


def test_a_second_run_applies_nothing_and_leaves_the_record_unchanged(migrated):
    before = schema_migrations(migrated)
    assert before, "provision recorded no migration"

    assert migrate(migrated.owner_dsn, app_role=migrated.app_role) == []

    assert schema_migrations(migrated) == before


def test_two_concurrent_runs_both_succeed_and_apply_each_migration_once(unmigrated):
    """Two runner processes start while the runners' advisory lock is held, so both are
    provably waiting on it at the same time; then the lock is released."""
    holder = _admin_connect(unmigrated)
    processes = []
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        command = [sys.executable, "-m", "shared.migrate", unmigrated.owner_dsn,
                   "--app-role", unmigrated.app_role]
        processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(2)]

        deadline = time.monotonic() + 15
        waiting = 0
        while time.monotonic() < deadline:
            with holder.cursor() as cur:
                cur.execute("""
                    SELECT count(*) FROM pg_locks
                     WHERE locktype = 'advisory' AND NOT granted
                       AND database = (SELECT oid FROM pg_database
                                        WHERE datname = current_database())
                       AND (classid::text::bigint << 32) + objid::text::bigint = %s""",
                            (LOCK_KEY,))
                waiting = cur.fetchone()[0]
            if waiting == 2 or any(p.poll() is not None for p in processes):
                break
            time.sleep(0.05)
        assert waiting == 2, "both runners should be waiting on the advisory lock"

        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        results = [p.communicate(timeout=30) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        holder.close()

    assert [p.returncode for p in processes] == [0, 0], results
    outputs = sorted(stdout.strip() for stdout, _ in results)
    versions = [m.version for m in discover()]
    assert outputs == sorted([
        f"applied {len(versions)} migration(s): {', '.join(versions)}",
        "applied 0 migration(s): none pending",
    ]), results
    recorded = query(unmigrated, "SELECT version, count(*) AS n FROM schema_migrations"
                                 " GROUP BY version ORDER BY version")
    assert recorded == [{"version": v, "n": 1} for v in versions]
    assert FOUNDATION_TABLES <= public_tables(unmigrated)


def test_a_new_migration_is_applied_alone_with_the_app_role_bound(migrated, tmp_path):
    directory = copy_migrations(tmp_path)
    (directory / "9001_extra.sql").write_text(
        "CREATE TABLE extra (id integer PRIMARY KEY, note text CHECK (note LIKE '%%x'));\n"
        "GRANT SELECT ON extra TO %(app_role)s;\n")

    applied = migrate(migrated.owner_dsn, app_role=migrated.app_role, directory=directory)

    assert applied == ["9001"]
    assert [r["version"] for r in schema_migrations(migrated)] == [
        m.version for m in discover()] + ["9001"]
    granted = query(migrated, "SELECT has_table_privilege(%s, 'extra', 'SELECT') AS ok",
                    (migrated.app_role,))
    assert granted == [{"ok": True}]
    check = query(migrated, """
        SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
         WHERE conrelid = 'extra'::regclass AND contype = 'c'""")
    assert "'%x'" in check[0]["def"]  # `%%` in a file is a literal `%`


def test_a_failing_migration_is_rolled_back_and_not_recorded(migrated, tmp_path):
    directory = copy_migrations(tmp_path)
    (directory / "9001_broken.sql").write_text(
        "CREATE TABLE half_done (id integer);\nSELECT 1 / 0;\n")
    before = schema_migrations(migrated)

    with pytest.raises(psycopg2.errors.DivisionByZero):
        migrate(migrated.owner_dsn, app_role=migrated.app_role, directory=directory)

    assert "half_done" not in public_tables(migrated)
    assert schema_migrations(migrated) == before

    (directory / "9001_broken.sql").write_text("CREATE TABLE half_done (id integer);\n")
    assert migrate(migrated.owner_dsn, app_role=migrated.app_role, directory=directory) == [
        "9001"]
    assert "half_done" in public_tables(migrated)


def test_an_applied_migration_whose_file_changed_is_refused(migrated, tmp_path):
    directory = copy_migrations(tmp_path)
    first = discover()[0]
    path = directory / f"{first.version}_{first.name}.sql"
    path.write_text(path.read_text() + "\n-- edited after it was applied\n")
    (directory / "9001_later.sql").write_text("CREATE TABLE later (id integer);\n")
    before = schema_migrations(migrated)

    with pytest.raises(RuntimeError, match=rf"{first.version}_{first.name} changed after it was"):
        migrate(migrated.owner_dsn, app_role=migrated.app_role, directory=directory)

    assert schema_migrations(migrated) == before
    assert "later" not in public_tables(migrated)  # nothing after the refusal ran either


def test_badly_named_migration_files_are_refused(tmp_path):
    directory = copy_migrations(tmp_path)
    (directory / "2-oops.sql").write_text("SELECT 1;\n")
    with pytest.raises(RuntimeError, match="NNNN_name.sql"):
        discover(directory)


def test_two_migrations_with_one_version_are_refused(tmp_path):
    directory = copy_migrations(tmp_path)
    first = discover()[0]
    (directory / f"{first.version}_duplicate.sql").write_text("SELECT 1;\n")
    with pytest.raises(RuntimeError, match="share a version"):
        discover(directory)


# --- the schema's tenancy rules ------------------------------------------------------------------

def reachable_tables(target: Provisioned) -> set[str]:
    """Every table on which the functions' role holds any privilege at all."""
    rows = query(target, """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND EXISTS (SELECT 1 FROM unnest(%(privileges)s::text[]) p
                        WHERE has_table_privilege(%(role)s, c.oid, p))""",
                 {"privileges": list(PRIVILEGES), "role": target.app_role})
    return {row["relname"] for row in rows}


def test_every_table_the_app_role_can_reach_has_row_level_security_enabled_and_forced(schema):
    # Not only the tenant tables: the sign-in throttle and the reference data too. FORCE makes
    # the owner obey the policies as well, so nothing but a policy decides what a role sees.
    # The legacy move's id map is a tenant table the functions' role has no grant on: checked
    # with the others all the same.
    tables = reachable_tables(schema)
    assert FOUNDATION_TABLES | (tenant_tables(schema) - {"legacy_id_map"}) | {
        "sign_in_throttle", "pdpm_base_rates", "plans", "timer_runs"} <= tables
    tables |= tenant_tables(schema) | {"legacy_imports"}
    rows = query(schema, """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relname = ANY(%s)""", (sorted(tables),))
    assert len(rows) == len(tables)
    for row in rows:
        assert row["relrowsecurity"], f"{row['relname']}: row-level security not enabled"
        assert row["relforcerowsecurity"], f"{row['relname']}: row-level security not forced"
        assert row["policies"] >= 1, f"{row['relname']}: no policy"


def _tenant_scope(column: str) -> str:
    return f"({column} = current_organization_id())"  # no subquery: Citus refuses them


def _cross_tenant_scope(scope: str) -> str:
    return f"(current_setting('app.cross_tenant'::text, true) = '{scope}'::text)"


OWNER = "the owner"  # the role that ran the migrations; its name differs per database
REFERENCE_TABLES = ("pdpm_sources", "pdpm_base_rates", "pdpm_case_mix_indexes",
                    "pdpm_labor_shares", "pdpm_variable_per_diem", "snf_coinsurance",
                    "pdpm_fiscal_years", "reference_version")
# (table, policy) -> (command, roles, USING, WITH CHECK): what each policy admits, beyond the
# tenant_isolation policy of every tenant table (checked by rule below). A new policy fails
# until it is listed here.
POLICIES = {
    ("organizations", "organization_lookup"):
        ("SELECT", ["public"], _cross_tenant_scope("organization lookup"), None),
    ("email_outbox", "outbox_sender_read"):
        ("SELECT", ["public"], _cross_tenant_scope("email outbox"), None),
    ("email_outbox", "outbox_sender_mark"):
        ("UPDATE", ["public"], _cross_tenant_scope("email outbox"),
         _cross_tenant_scope("email outbox")),
    ("sign_in_throttle", "sign_in_only"):
        ("ALL", ["public"], _cross_tenant_scope("sign-in throttle"),
         _cross_tenant_scope("sign-in throttle")),
    ("timer_runs", "timer_runs_scope"):
        ("ALL", ["public"], _cross_tenant_scope("timer runs"), _cross_tenant_scope("timer runs")),
    ("plans", "plans_read"): ("SELECT", ["public"], "true", None),
    ("data_exports", "export_queue_read"):
        ("SELECT", ["public"],
         "(current_setting('app.cross_tenant'::text, true) = 'data export queue'::text)", None),
    ("idempotency_keys", "anonymous_replay"):
        ("SELECT", ["public"], "(anonymous AND (current_setting('app.cross_tenant'::text, true)"
                               " = 'idempotent replay'::text))", None),
    ("legacy_imports", "legacy_import_tool"):
        ("ALL", ["public"], _cross_tenant_scope("legacy import"),
         _cross_tenant_scope("legacy import")),
    **{(table, "reference_read"): ("SELECT", ["public"], "true", None)
       for table in REFERENCE_TABLES},
    **{(table, "reference_maintenance"): ("ALL", [OWNER], "true", "true")
       for table in REFERENCE_TABLES},
}


def test_every_policy_admits_exactly_its_scope(schema):
    expected = dict(POLICIES)
    for table in tenant_tables(schema):
        scope = _tenant_scope("id" if table == "organizations" else "organization_id")
        expected[(table, "tenant_isolation")] = ("ALL", ["public"], scope, scope)
    rows = query(schema, """SELECT tablename, policyname, permissive, cmd, roles::text[] AS roles,
                                   qual, with_check
                              FROM pg_policies WHERE schemaname = 'public'""")
    actual = {(r["tablename"], r["policyname"]): (
        r["cmd"], [OWNER if role == schema.owner_role else role for role in r["roles"]],
        r["qual"], r["with_check"]) for r in rows}

    assert {r["permissive"] for r in rows} == {"PERMISSIVE"}
    assert set(actual) - set(expected) == set(), "policies not in POLICIES: list them on purpose"
    assert set(expected) - set(actual) == set(), "policies missing from the schema"
    assert {k: v for k, v in actual.items() if v != expected[k]} == {}


def test_the_app_role_reads_the_reference_data_but_cannot_change_it_even_if_granted(migrated):
    # The grant is the first line of defence; the policies hold even past a mistaken grant.
    conn = _admin_connect(migrated)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("GRANT INSERT, UPDATE, DELETE ON pdpm_base_rates TO {}").format(
                sql.Identifier(migrated.app_role)))
    finally:
        conn.close()
    app = psycopg2.connect(migrated.app_dsn, connect_timeout=5)
    try:
        with app, app.cursor() as cur:
            cur.execute("SELECT count(*) FROM pdpm_base_rates")
            assert cur.fetchone()[0] > 0
            cur.execute("UPDATE pdpm_base_rates SET rate = rate + 1")
            assert cur.rowcount == 0
            cur.execute("DELETE FROM pdpm_base_rates")
            assert cur.rowcount == 0
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
            with app, app.cursor() as cur:
                cur.execute("INSERT INTO pdpm_base_rates SELECT * FROM pdpm_base_rates LIMIT 1")
    finally:
        app.close()


CROSS_TENANT_POLICIES = {
    ("organizations", "organization_lookup"): (("SELECT",), "organization lookup"),
    ("email_outbox", "outbox_sender_read"): (("SELECT",), "email outbox"),
    ("email_outbox", "outbox_sender_mark"): (("UPDATE",), "email outbox"),
    ("data_exports", "export_queue_read"): (("SELECT",), "data export queue"),
    ("idempotency_keys", "anonymous_replay"): (("SELECT",), "idempotent replay"),
}


def test_every_cross_tenant_scope_of_the_data_layer_has_its_policy(schema):
    from shared import db
    policies = query(schema, "SELECT qual FROM pg_policies WHERE schemaname = 'public'")
    for scope in db.SCOPES:
        assert any(f"'{scope}'" in (p["qual"] or "") for p in policies), scope


def test_every_tenant_policy_admits_only_the_current_organization(schema):
    # A policy is permissive: one `USING (true)` beside tenant_isolation would open the table. The
    # only other policies allowed are the sign-in lookup (SELECT on organizations under
    # app.cross_tenant) and the outbox sender's.
    policies = query(schema, """
        SELECT tablename, policyname, permissive, cmd, qual, with_check FROM pg_policies
         WHERE schemaname = 'public' AND tablename = ANY(%s)""", (sorted(tenant_tables(schema)),))
    assert {p["tablename"] for p in policies} == tenant_tables(schema)
    for policy in policies:
        where = f"{policy['tablename']}.{policy['policyname']}"
        if policy["permissive"] == "RESTRICTIVE":
            continue  # can only narrow what the permissive ones admit
        scope = CROSS_TENANT_POLICIES.get((policy["tablename"], policy["policyname"]))
        if scope is not None:
            # Only the data layer's named cross-tenant scope passes it, for the commands it needs.
            commands, name = scope
            assert policy["cmd"] in commands, where
            assert f"'{name}'" in policy["qual"], where
            assert policy["with_check"] is None or f"'{name}'" in policy["with_check"], where
            continue
        column = "id" if policy["tablename"] == "organizations" else "organization_id"
        expected = _tenant_scope(column)
        assert policy["qual"] == expected, where
        assert policy["with_check"] in (None, expected), where


def _key_columns(target: Provisioned) -> list[dict]:
    """Every primary key, unique index, exclusion constraint and foreign key of the tenant tables, with its column
    names in order (expression columns as NULL) and, for foreign keys, the referenced ones."""
    return query(target, """SELECT * FROM (
        SELECT c.relname AS table_name, i.indexrelid::regclass::text AS name,
               CASE WHEN i.indisprimary THEN 'primary' ELSE 'unique' END AS kind,  -- or exclusion
               ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                      ORDER BY k.n) AS columns,
               NULL AS referenced_table, NULL::name[] AS referenced_columns
          FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          JOIN pg_namespace ns ON ns.oid = c.relnamespace
         WHERE ns.nspname = 'public' AND (i.indisunique OR i.indisexclusion)
        UNION ALL
        SELECT c.relname, con.conname, 'foreign',
               ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n)
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                      ORDER BY k.n),
               con.confrelid::regclass::text,
               ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, n)
                       JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                      ORDER BY k.n)
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_namespace ns ON ns.oid = c.relnamespace
         WHERE ns.nspname = 'public' AND con.contype = 'f'
        ) keys WHERE table_name = ANY(%s)""", (sorted(tenant_tables(target)),))


def test_every_tenant_primary_key_leads_with_the_organization(schema):
    keys = [k for k in _key_columns(schema) if k["kind"] == "primary"]
    by_table = {k["table_name"]: k["columns"] for k in keys}
    assert set(by_table) == tenant_tables(schema), "every tenant table needs a primary key"
    assert by_table["organizations"] == ["id"]
    for table, columns in by_table.items():
        if table != "organizations":
            assert columns[0] == "organization_id", f"{table}: primary key {columns}"


def test_every_tenant_unique_index_and_exclusion_includes_the_organization(schema):
    # organizations is the tenant root: its one extra unique index (the subdomain, the public name
    # of an organization) is global by design; every other table's must include organization_id.
    keys = [k for k in _key_columns(schema)
            if k["kind"] in ("primary", "unique") and k["table_name"] != "organizations"]
    assert {k["table_name"] for k in keys} == tenant_tables(schema) - {"organizations"}
    for key in keys:
        assert "organization_id" in key["columns"], f"{key['name']}: {key['columns']}"


def test_every_tenant_foreign_key_pairs_the_organization_with_the_referenced_tenant(schema):
    # Reference data shared by every organization (plans) is not a tenant: a key into it
    # carries no organization_id (a Citus reference table, present on every node).
    shared = public_tables(schema) - tenant_tables(schema)
    foreign = [k for k in _key_columns(schema)
               if k["kind"] == "foreign" and k["referenced_table"] not in shared]
    assert {k["table_name"] for k in foreign} == tenant_tables(schema) - {"organizations"}
    assert {(k["table_name"], k["referenced_table"]) for k in _key_columns(schema)
            if k["kind"] == "foreign" and k["referenced_table"] in shared} == {
        ("organizations", "plans")}
    for key in foreign:
        pairs = dict(zip(key["columns"], key["referenced_columns"]))
        tenant_column = "id" if key["referenced_table"] == "organizations" else "organization_id"
        assert pairs.get("organization_id") == tenant_column, (
            f"{key['table_name']}.{key['name']}: {key['columns']} -> "
            f"{key['referenced_table']}{key['referenced_columns']}")


# --- the functions' role -------------------------------------------------------------------------

def test_the_app_role_owns_nothing_and_cannot_bypass_row_level_security(schema):
    role = query(schema, "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolinherit"
                           " FROM pg_roles WHERE rolname = %s", (schema.app_role,))
    assert role == [{"rolsuper": False, "rolbypassrls": False, "rolcreaterole": False,
                     "rolcreatedb": False, "rolinherit": False}]
    owned = query(schema, """
        SELECT 'relation' AS kind, relname::text AS name FROM pg_class
         WHERE relowner = %(role)s::regrole
        UNION ALL SELECT 'function', proname::text FROM pg_proc WHERE proowner = %(role)s::regrole
        UNION ALL SELECT 'schema', nspname::text FROM pg_namespace
         WHERE nspowner = %(role)s::regrole
        UNION ALL SELECT 'database', datname::text FROM pg_database
         WHERE datdba = %(role)s::regrole""", {"role": schema.app_role})
    assert owned == []
    memberships = query(schema, "SELECT roleid::regrole::text AS granted FROM pg_auth_members"
                                  " WHERE member = %s::regrole", (schema.app_role,))
    assert memberships == []


def test_the_owner_role_is_not_a_superuser_and_cannot_bypass_row_level_security(schema):
    role = query(schema, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s",
                 (schema.owner_role,))
    assert role == [{"rolsuper": False, "rolbypassrls": False}]


def _privileges(target: Provisioned, table: str) -> set[str]:
    rows = query(target, "SELECT p FROM unnest(%s::text[]) p WHERE has_table_privilege(%s, %s, p)",
                 (list(PRIVILEGES), target.app_role, table))
    return {row["p"] for row in rows}


def test_the_app_role_may_only_insert_and_read_audit_rows(schema):
    assert _privileges(schema, "audit_logs") == {"SELECT", "INSERT"}


def test_the_app_role_has_only_the_privileges_it_uses(schema):
    assert {t: _privileges(schema, t) for t in sorted(FOUNDATION_TABLES)} == {
        "audit_logs": {"SELECT", "INSERT"},
        "facilities": {"SELECT", "INSERT", "UPDATE"},
        "organizations": {"SELECT", "INSERT", "UPDATE"},
        "sessions": {"SELECT", "INSERT", "UPDATE", "DELETE"},
        "users": {"SELECT", "INSERT", "UPDATE"},
    }
    assert _privileges(schema, "schema_migrations") == set()
    schema = query(schema, "SELECT has_schema_privilege(%s, 'public', 'CREATE') AS can_create",
                   (schema.app_role,))
    assert schema == [{"can_create": False}]


def test_tables_shared_by_every_organization_are_read_only_to_the_app_role(schema):
    # A table without organization_id has no row-level security to keep tenants apart: if the
    # functions could write it, one organization could change what every other one sees.
    # sign_in_throttle is written by sign-in, across organizations, by design: it holds only
    # hashed keys and counters, and its policy admits only the 'sign-in throttle' transaction.
    # timer_runs is written by the timers: a timer's name, a period and a count, and its policy
    # admits only the 'timer runs' transaction.
    shared = public_tables(schema) - tenant_tables(schema) - {"schema_migrations",
                                                               "sign_in_throttle", "timer_runs"}
    assert {t: _privileges(schema, t) - {"SELECT"} for t in sorted(shared)} == {
        t: set() for t in sorted(shared)}


def test_admissions_saved_before_plans_existed_count_in_their_months(unmigrated, tmp_path):
    """0006 backfills usage from the admissions already saved, by the month of each."""
    earlier = tmp_path / "before-plans"
    earlier.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0006":
            shutil.copy(path, earlier / path.name)
    migrate(unmigrated.owner_dsn, app_role=unmigrated.app_role, directory=earlier)
    conn = _admin_connect(unmigrated)
    with conn.cursor() as cur:
        cur.execute("""
            INSERT INTO organizations (id, name, subdomain, trial_ends_at)
                VALUES ('00000000-0000-0000-0000-00000000000a', 'Old', 'old-org', now());
            INSERT INTO users (organization_id, id, email, password_hash, role)
                VALUES ('00000000-0000-0000-0000-00000000000a',
                        '00000000-0000-0000-0000-0000000000b1', 'o@old.example', 'x', 'owner');
            INSERT INTO facilities (organization_id, id, name, bed_count)
                VALUES ('00000000-0000-0000-0000-00000000000a',
                        '00000000-0000-0000-0000-0000000000f1', 'F', 10);
            INSERT INTO payers (organization_id, id, name, payer_type)
                VALUES ('00000000-0000-0000-0000-00000000000a',
                        '00000000-0000-0000-0000-0000000000c1', 'P', 'medicaid');
        """)
        cur.execute("""
            INSERT INTO rates (organization_id, id, facility_id, payer_id, method, effective_from,
                               per_diem)
                VALUES ('00000000-0000-0000-0000-00000000000a',
                        '00000000-0000-0000-0000-0000000000d1',
                        '00000000-0000-0000-0000-0000000000f1',
                        '00000000-0000-0000-0000-0000000000c1', 'per_diem', '2025-01-01', 200);
            INSERT INTO admissions (organization_id, case_number, facility_id, payer_id, rate_id,
                    length_of_stay_days, acuity, referral_received_at, revenue_total, cost_total,
                    margin, margin_pct, score, recommendation, evaluation, created_by, created_at)
            SELECT '00000000-0000-0000-0000-00000000000a', 'OLD-' || n,
                   '00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000c1',
                   '00000000-0000-0000-0000-0000000000d1', 5, 'low', at, 1, 1, 0, 0, 50,
                   'review', '{}', '00000000-0000-0000-0000-0000000000b1', at
              FROM (VALUES (1, timestamptz '2026-09-30 23:59:59.999+00'),
                           (2, timestamptz '2026-10-01 00:00:00+00'),
                           (3, timestamptz '2026-10-15 12:00:00+00')) AS v(n, at)
        """)
    conn.close()

    migrate(unmigrated.owner_dsn, app_role=unmigrated.app_role)

    assert query(unmigrated, "SELECT period_start::text AS month, admissions FROM usage_periods"
                             " ORDER BY period_start") == [
        {"month": "2026-09-01", "admissions": 1}, {"month": "2026-10-01", "admissions": 2}]
    assert query(unmigrated, "SELECT relforcerowsecurity AS forced FROM pg_class"
                             " WHERE relname = 'admissions'") == [{"forced": True}]


# --- the versions of what an evaluation reads (migration 0039) ----------------------------------

REFERENCE_WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?)\s+"
    r"(?:ONLY\s+)?(?:pdpm_\w+|snf_coinsurance)\b", re.IGNORECASE)
CONFIGURATION_WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?(?:"
    + "|".join(configuration_versions.TABLES) + r")\b", re.IGNORECASE)
CONFIGURATION_BUMP = re.compile(
    r"\bconfiguration_version\s*=\s*configuration_version\s*\+\s*1\b", re.IGNORECASE)


def writes_without_a_bump(migrations) -> list[str]:
    """Migrations after 0039 that change the PDPM reference data without bumping
    reference_version, or an organization's configuration (what an evaluation reads) without
    bumping the organizations' configuration_version: running processes would go on pricing
    with what they cached."""
    return [f"{m.version}_{m.name}" for m in migrations if int(m.version) > 39 and (
        (REFERENCE_WRITE.search(m.text) and "reference_version" not in m.text)
        or (CONFIGURATION_WRITE.search(m.text) and not CONFIGURATION_BUMP.search(m.text)))]


def test_a_migration_that_changes_what_an_evaluation_reads_bumps_its_version():
    assert writes_without_a_bump(discover()) == []
    # What the check refuses, and what it takes.
    changed = "UPDATE pdpm_base_rates SET rate = 1 WHERE fiscal_year = 2027;"
    assert writes_without_a_bump([Migration("0040", "fy2027_final", changed)]) == [
        "0040_fy2027_final"]
    bumped = changed + "\nUPDATE reference_version SET version = version + 1;"
    assert writes_without_a_bump([Migration("0040", "fy2027_final", bumped)]) == []
    backfill = "UPDATE rates SET qrp_reduced = false WHERE qrp_reduced IS NULL;"
    assert writes_without_a_bump([Migration("0041", "qrp_backfill", backfill)]) == [
        "0041_qrp_backfill"]
    bumped = backfill + ("\nUPDATE organizations SET configuration_version = "
                         "configuration_version + 1;")
    assert writes_without_a_bump([Migration("0041", "qrp_backfill", bumped)]) == []
