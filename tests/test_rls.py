"""Row-level security, proven while connected as the functions' app role with plain psycopg2.

Two organizations, A and B, each with a user, a facility, an audit row and a session, are
inserted by the superuser (no row-level security). Everything else runs as the app role, setting
`app.organization_id` / `app.cross_tenant` the way shared/db.py does: `SET LOCAL`, carried to
the workers on Citus (tests/citus runs this module against a three-node cluster too).
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg2
import psycopg2.errors
import pytest

TENANT_TABLES = ("organizations", "users", "sessions", "facilities", "audit_logs")
RLS_VIOLATION = "violates row-level security policy"
from shared.db import CITUS_SETTINGS as PROPAGATE


@dataclass
class Tenant:
    id: str
    user_id: str
    facility_id: str
    session_id: str
    audit_id: str

    def row_ids(self, table: str) -> set[str]:
        return {
            "organizations": {self.id},
            "users": {self.user_id},
            "facilities": {self.facility_id},
            "sessions": {self.session_id},
            "audit_logs": {self.audit_id},
        }[table]


def _make_tenant(admin_sql, label: str) -> Tenant:
    tenant = Tenant(*(str(uuid.uuid4()) for _ in range(5)))
    subdomain = f"rls-{label}-{secrets.token_hex(4)}"
    admin_sql("INSERT INTO organizations (id, name, subdomain) VALUES (%s, %s, %s)",
              (tenant.id, f"Organization {label.upper()}", subdomain))
    admin_sql("INSERT INTO users (organization_id, id, email, password_hash, role)"
              " VALUES (%s, %s, %s, 'not-a-hash', 'owner')",
              (tenant.id, tenant.user_id, f"owner@{subdomain}.example"))
    admin_sql("INSERT INTO facilities (organization_id, id, name, bed_count, current_census)"
              " VALUES (%s, %s, %s, 100, 50)",
              (tenant.id, tenant.facility_id, f"Facility {label.upper()}"))
    admin_sql("INSERT INTO sessions (organization_id, id, user_id, token_hash, expires_at)"
              " VALUES (%s, %s, %s, %s, %s)",
              (tenant.id, tenant.session_id, tenant.user_id, secrets.token_bytes(32),
               datetime.now(timezone.utc) + timedelta(hours=1)))
    admin_sql("INSERT INTO audit_logs (organization_id, id, user_id, action, object_type)"
              " VALUES (%s, %s, %s, 'facility.create', 'facility')",
              (tenant.id, tenant.audit_id, tenant.user_id))
    return tenant


def _remove_tenant(admin_sql, tenant: Tenant) -> None:
    for table in ("audit_logs", "sessions", "facilities", "users"):
        admin_sql(f"DELETE FROM {table} WHERE organization_id = %s", (tenant.id,))
    admin_sql("DELETE FROM organizations WHERE id = %s", (tenant.id,))


@pytest.fixture
def tenants(admin_sql):
    """Organizations A and B with one row of every tenant table each."""
    made = []
    try:
        made.append(_make_tenant(admin_sql, "a"))
        made.append(_make_tenant(admin_sql, "b"))
        yield tuple(made)
    finally:
        for tenant in made:
            _remove_tenant(admin_sql, tenant)


@pytest.fixture
def app_conn(database):
    """A plain psycopg2 connection as the functions' app role (not autocommit)."""
    conn = psycopg2.connect(database.app_dsn, connect_timeout=5)
    yield conn
    conn.close()


def _ids(cur, table: str) -> set[str]:
    cur.execute(f"SELECT {'id' if table == 'organizations' else 'organization_id, id'}"
                f" FROM {table}")
    return {str(row[-1]) for row in cur.fetchall()}


def _set_organization(cur, organization_id: str) -> None:
    cur.execute(PROPAGATE + "SET LOCAL app.organization_id = %s", (organization_id,))


def _facility(admin_sql, facility_id: str) -> dict:
    rows = admin_sql("SELECT organization_id::text, name, current_census FROM facilities"
                     " WHERE id = %s", (facility_id,))
    assert len(rows) == 1
    return dict(rows[0])


# --- no organization set -------------------------------------------------------------------------

def test_the_connection_is_really_the_unprivileged_app_role(app_conn, database):
    with app_conn.cursor() as cur:
        cur.execute("SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r"
                    " WHERE r.rolname = current_user")
        assert cur.fetchone() == (database.app_role, False, False)


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_no_organization_set_sees_no_rows(app_conn, tenants, admin_sql, table):
    a, b = tenants
    stored = {str(r["id"]) for r in admin_sql(f"SELECT id FROM {table}")}
    assert a.row_ids(table) | b.row_ids(table) <= stored  # the rows are there
    with app_conn, app_conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == 0


def test_no_organization_set_cannot_insert_a_facility(app_conn, tenants, admin_sql):
    a, _ = tenants
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match=RLS_VIOLATION):
        with app_conn, app_conn.cursor() as cur:
            cur.execute("INSERT INTO facilities (organization_id, name, bed_count)"
                        " VALUES (%s, 'Sneaky', 10)", (a.id,))
    assert admin_sql("SELECT 1 FROM facilities WHERE name = 'Sneaky' AND organization_id = %s",
                     (a.id,)) == []


# --- organization A set --------------------------------------------------------------------------

@pytest.mark.parametrize("table", TENANT_TABLES)
def test_an_organization_sees_only_its_own_rows(app_conn, tenants, table):
    a, _ = tenants
    with app_conn, app_conn.cursor() as cur:
        _set_organization(cur, a.id)
        assert _ids(cur, table) == a.row_ids(table)
        if table != "organizations":
            cur.execute(f"SELECT DISTINCT organization_id::text FROM {table}")
            assert cur.fetchall() == [(a.id,)]


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_another_organizations_row_is_invisible_even_by_its_id(app_conn, tenants, table):
    a, b = tenants
    (b_id,) = b.row_ids(table)
    with app_conn, app_conn.cursor() as cur:
        _set_organization(cur, a.id)
        cur.execute(f"SELECT count(*) FROM {table} WHERE id = %s", (b_id,))
        assert cur.fetchone()[0] == 0


def test_updating_another_organizations_facility_changes_nothing(app_conn, tenants, admin_sql):
    a, b = tenants
    before = _facility(admin_sql, b.facility_id)
    with app_conn, app_conn.cursor() as cur:
        _set_organization(cur, a.id)
        cur.execute("UPDATE facilities SET name = 'Taken over', current_census = 0"
                    " WHERE id = %s", (b.facility_id,))
        assert cur.rowcount == 0
        # the same statement on A's own facility does change it: the policy, not the SQL, stops B
        cur.execute("UPDATE facilities SET current_census = 51 WHERE id = %s", (a.facility_id,))
        assert cur.rowcount == 1
    assert _facility(admin_sql, b.facility_id) == before
    assert _facility(admin_sql, a.facility_id)["current_census"] == 51


def test_deleting_another_organizations_session_removes_nothing(app_conn, tenants, admin_sql):
    a, b = tenants
    with app_conn, app_conn.cursor() as cur:
        _set_organization(cur, a.id)
        cur.execute("DELETE FROM sessions WHERE id = %s", (b.session_id,))
        assert cur.rowcount == 0
        cur.execute("DELETE FROM sessions WHERE organization_id = %s", (b.id,))
        assert cur.rowcount == 0
    assert len(admin_sql("SELECT 1 FROM sessions WHERE id = %s", (b.session_id,))) == 1


def test_an_organization_can_insert_its_own_facility(app_conn, tenants, admin_sql):
    a, _ = tenants
    with app_conn, app_conn.cursor() as cur:
        _set_organization(cur, a.id)
        cur.execute("INSERT INTO facilities (organization_id, name, bed_count)"
                    " VALUES (%s, 'Own new facility', 10) RETURNING organization_id::text",
                    (a.id,))
        assert cur.fetchone() == (a.id,)
    assert len(admin_sql("SELECT 1 FROM facilities WHERE organization_id = %s"
                         " AND name = 'Own new facility'", (a.id,))) == 1


def test_inserting_a_facility_for_another_organization_is_refused(app_conn, tenants, admin_sql):
    a, b = tenants
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match=RLS_VIOLATION):
        with app_conn, app_conn.cursor() as cur:
            _set_organization(cur, a.id)
            cur.execute("INSERT INTO facilities (organization_id, name, bed_count)"
                        " VALUES (%s, 'Planted', 10)", (b.id,))
    assert admin_sql("SELECT 1 FROM facilities WHERE name = 'Planted'") == []


def test_moving_a_facility_to_another_organization_is_refused(app_conn, tenants, admin_sql):
    a, b = tenants
    # Refused by the policy's WITH CHECK; on Citus even before, as a change of the distribution
    # column ("modifying the partition value of rows is not allowed").
    with pytest.raises((psycopg2.errors.InsufficientPrivilege, psycopg2.errors.FeatureNotSupported),
                       match=f"{RLS_VIOLATION}|modifying the partition value"):
        with app_conn, app_conn.cursor() as cur:
            _set_organization(cur, a.id)
            cur.execute("UPDATE facilities SET organization_id = %s WHERE id = %s",
                        (b.id, a.facility_id))
    assert _facility(admin_sql, a.facility_id)["organization_id"] == a.id


@pytest.mark.parametrize("statement", [
    "UPDATE audit_logs SET action = 'rewritten' WHERE id = %s",
    "DELETE FROM audit_logs WHERE id = %s",
])
def test_audit_rows_cannot_be_changed_even_by_their_own_organization(
        app_conn, tenants, admin_sql, statement):
    a, _ = tenants
    with pytest.raises(psycopg2.errors.InsufficientPrivilege,
                       match="permission denied for table audit_logs"):
        with app_conn, app_conn.cursor() as cur:
            _set_organization(cur, a.id)
            cur.execute("SELECT count(*) FROM audit_logs WHERE id = %s", (a.audit_id,))
            assert cur.fetchone()[0] == 1  # A can see its own audit row...
            cur.execute(statement, (a.audit_id,))  # ...but not change or remove it
    rows = admin_sql("SELECT action FROM audit_logs WHERE id = %s", (a.audit_id,))
    assert [r["action"] for r in rows] == ["facility.create"]


def test_an_organization_can_append_its_own_audit_row(app_conn, tenants, admin_sql):
    a, _ = tenants
    with app_conn, app_conn.cursor() as cur:
        _set_organization(cur, a.id)
        cur.execute("INSERT INTO audit_logs (organization_id, action, object_type)"
                    " VALUES (%s, 'facility.update', 'facility')", (a.id,))
        assert cur.rowcount == 1
    assert len(admin_sql("SELECT 1 FROM audit_logs WHERE organization_id = %s", (a.id,))) == 2


def test_the_organization_setting_does_not_outlive_its_transaction(app_conn, tenants):
    a, _ = tenants
    with app_conn, app_conn.cursor() as cur:
        _set_organization(cur, a.id)
        assert _ids(cur, "facilities") == {a.facility_id}
    # committed: the same connection, a new transaction
    with app_conn, app_conn.cursor() as cur:
        cur.execute("SELECT current_organization_id()")
        assert cur.fetchone() == (None,)
        for table in TENANT_TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")
            assert cur.fetchone()[0] == 0, table


def test_the_organization_setting_does_not_outlive_a_rolled_back_transaction(app_conn, tenants):
    a, _ = tenants
    with app_conn.cursor() as cur:
        _set_organization(cur, a.id)
        assert _ids(cur, "users") == {a.user_id}
    app_conn.rollback()
    with app_conn, app_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM users")
        assert cur.fetchone()[0] == 0


# --- what the app role may never do --------------------------------------------------------------

def test_the_app_role_cannot_read_schema_migrations(app_conn):
    with pytest.raises(psycopg2.errors.InsufficientPrivilege,
                       match="permission denied for table schema_migrations"):
        with app_conn, app_conn.cursor() as cur:
            cur.execute("SELECT version FROM schema_migrations")


@pytest.mark.parametrize("table", TENANT_TABLES)
@pytest.mark.parametrize("statement", [
    "ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    "ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
    "DROP POLICY tenant_isolation ON {table}",
    "CREATE POLICY let_me_in ON {table} USING (true)",
])
def test_the_app_role_cannot_switch_off_row_level_security(
        app_conn, admin_sql, table, statement):
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="must be owner"):
        with app_conn, app_conn.cursor() as cur:
            cur.execute(statement.format(table=table))
    rows = admin_sql("SELECT relrowsecurity, relforcerowsecurity FROM pg_class"
                     " WHERE oid = %s::regclass", (table,))
    assert [tuple(r.values()) for r in rows] == [(True, True)]
    policies = admin_sql("SELECT polname FROM pg_policy WHERE polrelid = %s::regclass",
                         (table,))
    assert "tenant_isolation" in {p["polname"] for p in policies}
    assert "let_me_in" not in {p["polname"] for p in policies}


def test_the_app_role_cannot_become_the_owner(app_conn, database):
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        with app_conn, app_conn.cursor() as cur:
            cur.execute(f'SET ROLE "{database.owner_role}"')


# --- the cross-tenant lookup ---------------------------------------------------------------------

def _set_cross_tenant(cur, scope: str = "organization lookup") -> None:
    cur.execute(PROPAGATE + "SET LOCAL app.cross_tenant = %s", (scope,))


@pytest.mark.parametrize("scope", ["test", "sign-in throttle", "email outbox", "Organization Lookup"])
def test_another_cross_tenant_scope_reads_no_organization(app_conn, tenants, scope):
    with app_conn, app_conn.cursor() as cur:
        _set_cross_tenant(cur, scope)
        cur.execute("SELECT count(*) FROM organizations")
        assert cur.fetchone()[0] == 0


def test_the_outbox_scope_marks_but_cannot_insert_e_mails(app_conn, tenants, admin_sql):
    a, _ = tenants
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match=RLS_VIOLATION):
        with app_conn, app_conn.cursor() as cur:
            _set_cross_tenant(cur, "email outbox")
            cur.execute("INSERT INTO email_outbox (organization_id, template, to_address,"
                        " subject, text_body, html_body) VALUES (%s, 'x', 'x@y.example', 's',"
                        " 't', 'h')", (a.id,))


def test_the_data_layer_refuses_an_unknown_cross_tenant_scope(database):
    from shared import db
    with pytest.raises(ValueError, match="unknown cross-tenant scope"):
        db.dangerously_cross_tenant_transaction("anything goes")


def test_cross_tenant_setting_reads_every_organization(app_conn, tenants, admin_sql):
    a, b = tenants
    everyone = {str(r["id"]) for r in admin_sql("SELECT id FROM organizations")}
    with app_conn, app_conn.cursor() as cur:
        _set_cross_tenant(cur)
        seen = _ids(cur, "organizations")
    assert {a.id, b.id} <= seen
    assert seen == everyone


@pytest.mark.parametrize("table", [t for t in TENANT_TABLES if t != "organizations"])
def test_cross_tenant_setting_shows_nothing_but_organizations(app_conn, tenants, table):
    with app_conn, app_conn.cursor() as cur:
        _set_cross_tenant(cur)
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == 0


def test_cross_tenant_setting_cannot_update_organizations(app_conn, tenants, admin_sql):
    a, b = tenants
    before = admin_sql("SELECT id, name, tier FROM organizations WHERE id IN (%s, %s)"
                       " ORDER BY id", (a.id, b.id))
    with app_conn, app_conn.cursor() as cur:
        _set_cross_tenant(cur)
        cur.execute("UPDATE organizations SET tier = 'enterprise', name = 'Hijacked'"
                    " WHERE id IN (%s, %s)", (a.id, b.id))
        assert cur.rowcount == 0
        cur.execute("UPDATE organizations SET tier = 'enterprise'")
        assert cur.rowcount == 0
    after = admin_sql("SELECT id, name, tier FROM organizations WHERE id IN (%s, %s)"
                      " ORDER BY id", (a.id, b.id))
    assert after == before


def test_cross_tenant_setting_cannot_insert_an_organization(app_conn, admin_sql):
    new_id = str(uuid.uuid4())
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match=RLS_VIOLATION):
        with app_conn, app_conn.cursor() as cur:
            _set_cross_tenant(cur)
            cur.execute("INSERT INTO organizations (id, name, subdomain)"
                        " VALUES (%s, 'Intruder', %s)", (new_id, f"x-{secrets.token_hex(4)}"))
    assert admin_sql("SELECT 1 FROM organizations WHERE id = %s", (new_id,)) == []


def test_cross_tenant_setting_does_not_outlive_its_transaction(app_conn, tenants):
    with app_conn, app_conn.cursor() as cur:
        _set_cross_tenant(cur)
        cur.execute("SELECT count(*) FROM organizations")
        assert cur.fetchone()[0] >= 2
    with app_conn, app_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM organizations")
        assert cur.fetchone()[0] == 0
