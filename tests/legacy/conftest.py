"""Legacy databases for the tests of the move: each a new database on the run's server, with
the legacy layout and generated data (fast Werkzeug parameters, same formats), dropped after.
The product's side is the run's database, written as its schema owner, as the runbook says."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import psycopg2
import psycopg2.extras
import pytest
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from legacy import generate
from local.database import admin_execute

ADMISSIONS = 240
OWNER_EMAIL = "admin@legacy-snf.example"
PASSWORD = "legacy passphrase 2019"


@dataclass
class Legacy:
    dsn: str

    def sql(self, query, params=None):
        """Run SQL on the legacy database as the superuser (setting up broken rows, checking
        that nothing changed)."""
        conn = psycopg2.connect(self.dsn)
        conn.autocommit = True
        try:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def fingerprint(self) -> list[dict]:
        """Rows and a digest of every legacy table: equal before and after means untouched."""
        return [self.sql(f"SELECT '{t}' AS t, count(*) AS n, md5(coalesce(string_agg(x::text, "
                         f"',' ORDER BY x.id), '')) AS digest FROM {t} x")[0]
                for t in generate.LEGACY_TABLES]



@pytest.fixture
def make_legacy(database):
    """make_legacy(admissions=...) -> a filled legacy database."""
    made = []

    def make(admissions: int = ADMISSIONS, users: int = 6) -> Legacy:
        name = f"snf_legacy_{secrets.token_hex(4)}"
        admin_execute(database.admin_dsn, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        legacy = Legacy(make_dsn(database.admin_dsn, dbname=name))
        conn = psycopg2.connect(legacy.dsn)
        try:
            with conn, conn.cursor() as cur:
                generate.create_schema(cur)
                generate.fill(cur, generate.Volume(admissions=admissions, users=users,
                                                   password=PASSWORD, hashes="fast"))
        finally:
            conn.close()
        return legacy

    yield make
    for name in made:
        admin_execute(database.admin_dsn, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture
def legacy_db(make_legacy) -> Legacy:
    return make_legacy()


@pytest.fixture
def subdomain() -> str:
    return f"legacy-{secrets.token_hex(4)}"


@pytest.fixture
def move_args(database, legacy_db, subdomain):
    """The migrate command's arguments for this legacy database and subdomain."""
    return ["migrate", "--legacy", legacy_db.dsn, "--target", database.owner_dsn,
            "--name", "Legacy Care Group", "--subdomain", subdomain, "--tier", "enterprise",
            "--owner-email", OWNER_EMAIL, "--backup-confirmed", "pg_dump legacy-2026-11-27.dump"]
