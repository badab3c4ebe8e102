"""The legacy fixture: the single-tenant layout (no organization_id anywhere) filled by the
generator with both Werkzeug formats, case numbers per year, and coherent figures."""
from __future__ import annotations

import secrets

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from legacy.__main__ import main
from shared import werkzeug_hashes
from tests.legacy.conftest import PASSWORD, Legacy


def test_generate_fills_an_empty_database_and_refuses_a_filled_one(database, capsys):
    name = f"snf_legacy_{secrets.token_hex(4)}"
    admin = psycopg2.connect(database.admin_dsn)
    admin.autocommit = True
    admin.cursor().execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = make_dsn(database.admin_dsn, dbname=name)
    try:
        assert main(["generate", "--legacy", dsn, "--admissions", "120", "--users", "4",
                     "--fast-hashes", "--password", PASSWORD]) == 0
        assert "admissions 120" in capsys.readouterr().out
        assert main(["generate", "--legacy", dsn]) == 2
        assert "not empty" in capsys.readouterr().err
    finally:
        admin.cursor().execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
            sql.Identifier(name)))
        admin.close()


def test_the_fixture_is_single_tenant_with_both_hash_formats(legacy_db: Legacy):
    assert legacy_db.sql("SELECT table_name FROM information_schema.columns WHERE "
                         "table_schema = 'public' AND column_name = 'organization_id'") == []
    hashes = [row["password_hash"] for row in legacy_db.sql("SELECT password_hash FROM users")]
    assert {h.split(":")[0] for h in hashes} == {"pbkdf2", "scrypt"}
    assert all(werkzeug_hashes.verify(h, PASSWORD) for h in hashes)


def test_case_numbers_run_per_year_and_the_figures_add_up(legacy_db: Legacy):
    years = legacy_db.sql("""
        SELECT split_part(case_number, '-', 2) AS year, count(*) AS n,
               max(split_part(case_number, '-', 3)::int) AS last
          FROM admissions GROUP BY 1""")
    assert all(row["n"] == row["last"] for row in years)   # 1..n in each year, no gaps
    assert legacy_db.sql("SELECT count(*) AS n FROM admissions WHERE margin <> "
                         "expected_revenue - expected_cost")[0]["n"] == 0
