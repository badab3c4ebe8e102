"""The pieces of the scale-out that need no cluster: the migration files split into statements
(Citus needs them one by one) and the distribution step's plan. tests/citus runs the rest on a
real three-node Citus cluster."""
from __future__ import annotations

import psycopg2
import pytest

from shared.distribution import (COORDINATOR_TABLES, REFERENCE_TABLES, UnplacedTable,
                                 distribute_pending, plan)
from shared.migrate import discover, split_statements


@pytest.mark.parametrize("text, expected", [
    ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
    ("SELECT 1;\nSELECT 2", ["SELECT 1", "SELECT 2"]),  # the last needs no semicolon
    ("SELECT 'a;b', 'it''s; here';", ["SELECT 'a;b', 'it''s; here'"]),
    ("SELECT E'back\\\\'; slash\\';';", ["SELECT E'back\\\\'", "slash\\';'"]),
    ("SELECT E'quote \\'; still';", ["SELECT E'quote \\'; still'"]),
    ('SELECT 1 AS "odd;name";', ['SELECT 1 AS "odd;name"']),
    ("-- a comment; with a semicolon\nSELECT 1;", ["-- a comment; with a semicolon\nSELECT 1"]),
    ("SELECT /* a; /* nested; */ still; */ 1;", ["SELECT /* a; /* nested; */ still; */ 1"]),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nSELECT f();",
     ["CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$", "SELECT f()"]),
    ("DO $body$ BEGIN PERFORM '$$;'; EXECUTE $q$SELECT 1;$q$; END $body$;",
     ["DO $body$ BEGIN PERFORM '$$;'; EXECUTE $q$SELECT 1;$q$; END $body$"]),
    ("SELECT $1::int, a$b FROM t;", ["SELECT $1::int, a$b FROM t"]),  # no dollar quote there
    ("SELECT 1;\n-- only a comment at the end;\n", ["SELECT 1"]),
    (";;  ;\n", []),
])
def test_a_migration_splits_into_its_statements(text, expected):
    assert split_statements(text) == expected


@pytest.mark.parametrize("text", ["SELECT 'open;", "SELECT $$ open;", 'SELECT "open;',
                                  "SELECT /* open;"])
def test_an_unterminated_quote_or_comment_is_refused(text):
    with pytest.raises(ValueError, match="unterminated"):
        split_statements(text)


def test_every_migration_file_splits_into_statements():
    for migration in discover():
        statements = migration.statements
        assert statements, migration.name
        assert all(s.strip() and not s.endswith(";") for s in statements), migration.name


def test_the_plan_places_tenant_tables_and_listed_tables_and_nothing_else():
    tables = {"organizations": (False, None), "plans": (False, "r"), "users": (True, None),
              "facilities": (True, "h"), "sign_in_throttle": (False, None),
              "schema_migrations": (False, None)}
    assert plan(tables) == (["organizations"], ["users"])
    assert "organizations" in REFERENCE_TABLES and "sign_in_throttle" in COORDINATOR_TABLES
    with pytest.raises(UnplacedTable, match="idempotency_keys_archive"):
        plan({**tables, "idempotency_keys_archive": (False, None)})


def test_on_plain_postgresql_the_step_does_nothing(database):
    conn = psycopg2.connect(database.owner_dsn)
    try:
        with conn, conn.cursor() as cur:
            assert distribute_pending(cur, database.app_role) == []
    finally:
        conn.close()


def test_without_citus_and_its_installer_the_reason_is_given(monkeypatch, tmp_path):
    # What tests/citus reports (pytest.fail, never a skip) on a machine that cannot run Citus.
    import local.citus
    monkeypatch.setattr(local.citus, "CITUS_LIBRARY", tmp_path / "citus.so")
    monkeypatch.setattr(local.citus, "CITUS_DIR", tmp_path / "no-such-dir")
    with pytest.raises(local.citus.CitusUnavailable, match="is not there to install it"):
        local.citus.install()
