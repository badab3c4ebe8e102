"""The product on a real three-node Citus cluster (this package's conftest starts it): tenant
tables distributed by organization_id and co-located, organizations and the reference data as
reference tables, two organizations placed on different workers, the data layer's tenancy
there, the HTTP path through a live host, the timers, and the distribution step on a database
that already holds data, after a later migration, and on a table it cannot place."""
from __future__ import annotations

import json
import secrets
import shutil
import urllib.error
import urllib.request
import uuid

import psycopg2
import psycopg2.errors
import psycopg2.extras
import pytest
from psycopg2.extensions import make_dsn

from shared import db
from shared.distribution import COORDINATOR_TABLES, REFERENCE_TABLES, UnplacedTable
from shared.migrate import MIGRATIONS_DIR, migrate
from tests.citus.conftest import new_target
from tests.factories import (Org, Response, configured_facility, created, new_org, ok,
                             org_payers, referral, signup)


class HttpClient:
    """The tests' API client interface (tests/factories.py), over real HTTP to a live host."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def request(self, method, path, *, json=None, body=None, token=None, headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json is not None:
            body = _json.dumps(json).encode()
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base_url + path, data=body, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return Response(answer.status, dict(answer.headers), answer.read(),
                                answer.headers.get_content_type())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read(),
                            error.headers.get_content_type())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)


_json = json


def _query(target, statement: str, params=None, database: str | None = None) -> list[dict]:
    conn = psycopg2.connect(make_dsn(target.admin_dsn, dbname=database or target.database))
    conn.autocommit = True
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(statement, params)
            return [dict(r) for r in cur.fetchall()] if cur.description else []
    finally:
        conn.close()


def _worker_of(target, organization_id) -> int:
    """The worker port holding this organization's rows (its shard of the co-location group)."""
    rows = _query(target, """
        SELECT nodeport FROM citus_shards
         WHERE shardid = get_shard_id_for_distribution_column('facilities', %s)""",
                  (str(organization_id),))
    assert len(rows) == 1, rows
    return rows[0]["nodeport"]


@pytest.fixture(scope="module")
def http(database, app):
    """The local host serving the app on a free port, against the cluster."""
    import threading
    from local.host import make_server
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield HttpClient(f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def apart(database, http) -> tuple[Org, Org]:
    """Two organizations signed up through HTTP whose rows sit on different workers."""
    made: dict[int, Org] = {}
    for _ in range(12):
        org = new_org(http, "Citus Organization")
        made.setdefault(_worker_of(database, org.id), org)
        if len(made) == 2:
            return tuple(made.values())
    pytest.fail("twelve organizations all landed on one worker")


# --- the placement ----------------------------------------------------------------------------

def test_every_table_is_placed_tenant_tables_distributed_and_co_located(database):
    rows = _query(database, """
        SELECT c.relname, p.partmethod::text AS method, p.colocationid,
               column_to_column_name(p.logicalrelid, p.partkey) AS column,
               EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'organization_id') AS tenant
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind = 'r'""")
    placed = {r["relname"]: r for r in rows}
    tenant = {name for name, r in placed.items() if r["tenant"]}
    assert {"users", "facilities", "admissions", "email_outbox", "audit_logs"} <= tenant
    assert {(placed[t]["method"], placed[t]["column"]) for t in tenant} == {
        ("h", "organization_id")}
    assert len({placed[t]["colocationid"] for t in tenant}) == 1  # one co-location group
    assert {name for name, r in placed.items() if r["method"] == "n"} == (
        set(REFERENCE_TABLES) & set(placed))
    assert {name for name, r in placed.items() if r["method"] is None} == set(COORDINATOR_TABLES)
    # the foreign keys are all still there, organizations' included
    keys = _query(database, """SELECT conrelid::regclass::text AS child,
                                      confrelid::regclass::text AS parent
                                 FROM pg_constraint WHERE contype = 'f'""")
    assert {("admissions", "rates"), ("users", "organizations"),
            ("organizations", "plans")} <= {(k["child"], k["parent"]) for k in keys}


def test_two_organizations_on_different_workers(database, apart):
    a, b = apart
    assert _worker_of(database, a.id) != _worker_of(database, b.id)
    ports = {r["nodeport"] for r in _query(database, """
        SELECT DISTINCT nodeport FROM citus_shards WHERE table_name = 'facilities'::regclass""")}
    assert len(ports) >= 2  # the local cluster has two workers; a managed one may have more


# --- the data layer's tenancy, A and B on different workers --------------------------------------

def test_the_data_layer_sees_only_its_organization_across_workers(database, apart):
    a, b = apart
    with db.tenant_transaction(a.id) as cur:
        cur.execute("SELECT DISTINCT organization_id FROM users")
        assert [r["organization_id"] for r in cur.fetchall()] == [a.id]
        cur.execute("SELECT id FROM organizations")
        assert [r["id"] for r in cur.fetchall()] == [a.id]
        cur.execute("SELECT count(*) AS n FROM users WHERE organization_id = %s", (b.id,))
        assert cur.fetchone()["n"] == 0
        cur.execute("UPDATE users SET role = 'viewer' WHERE organization_id = %s", (b.id,))
        assert cur.rowcount == 0
        cur.execute("UPDATE organizations SET name = 'Hijacked' WHERE id = %s", (b.id,))
        assert cur.rowcount == 0
        # granted for the lock Citus takes on plans when organizations change; no row moves
        cur.execute("UPDATE plans SET monthly_price_cents = 0")
        assert cur.rowcount == 0
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        with db.tenant_transaction(a.id) as cur:
            cur.execute("INSERT INTO facilities (organization_id, name, bed_count)"
                        " VALUES (%s, 'Planted', 10)", (b.id,))
    owners = _query(database, "SELECT organization_id, role FROM users WHERE organization_id"
                              " = ANY(%s::uuid[])", ([str(a.id), str(b.id)],))
    assert {r["role"] for r in owners} == {"owner"}


def test_no_organization_set_sees_nothing_on_the_workers(database, apart):
    conn = psycopg2.connect(database.app_dsn)
    try:
        with conn, conn.cursor() as cur:
            for table in ("organizations", "users", "facilities", "email_outbox"):
                cur.execute(f"SELECT count(*) FROM {table}")
                assert cur.fetchone()[0] == 0, table
    finally:
        conn.close()
    assert _query(database, "SELECT count(*) AS n FROM users")[0]["n"] >= 2


def test_a_tenant_query_goes_to_one_shard(database, apart):
    a, _ = apart
    with db.tenant_transaction(a.id) as cur:
        cur.execute("EXPLAIN SELECT * FROM admissions WHERE organization_id = %s", (a.id,))
        plan = "\n".join(r["QUERY PLAN"] for r in cur.fetchall())
    assert "Task Count: 1" in plan, plan


# --- the product through HTTP ----------------------------------------------------------------

def test_signup_with_a_taken_subdomain_is_refused(http, apart):
    a, _ = apart
    response = signup(http, subdomain=a.subdomain.upper(), email="someone@else.example")
    assert response.status == 409, response.body
    assert response.mimetype == "application/problem+json"


def test_sign_in_facilities_payers_rates_admissions_and_the_dashboard(http, apart):
    a, b = apart
    signed_in = ok(http.post("/api/auth/login", json={
        "subdomain": a.subdomain, "email": a.email, "password": a.password}))
    token = signed_in["token"]
    place = configured_facility(http, Org(a.id, a.subdomain, a.email, a.password, token),
                                org_payers(http, a))
    admission = created(http.post("/api/admissions", token=token, json=referral(place)))
    assert admission["evaluation"]["recommendation"], admission
    assert ok(http.get(f"/api/admissions/{admission['id']}", token=token))["id"] == admission["id"]
    # A configuration write bumps the version in its own statement (a CTE on the shard): the
    # next create does not use the configuration cached by the first
    ok(http.request("PATCH", f"/api/facilities/{place.id}", token=token,
                    json={"name": "Renamed on Citus"}))
    again = created(http.post("/api/admissions", token=token, json=referral(place)))
    assert again["facility_name"] == "Renamed on Citus", again
    # B (on the other worker) sees none of it: another organization's object is a 404
    assert http.get(f"/api/admissions/{admission['id']}", token=b.token).status == 404
    assert http.get(f"/api/facilities/{place.id}", token=b.token).status == 404
    dashboard = ok(http.get("/api/dashboard", token=token))
    assert dashboard, dashboard
    assert ok(http.get("/api/dashboard", token=b.token)) != dashboard
    assert http.post("/api/invitations", token=token, json={
        "email": f"nurse-{secrets.token_hex(3)}@{a.subdomain}.example",
        "role": "coordinator"}).status == 201


def test_the_benchmarks_recording_sends_what_the_pool_sends_on_citus(database, app, apart):
    """bench's recording connection stands in for the pool (`make bench` records the dashboard
    on a cluster): it must send the session lookup in a round trip of its own there, as the
    pool's connections do, or Citus refuses it ("cannot execute a distributed query from a
    query on a shard") and the benchmark dies on a 500."""
    from bench.facilities_get import _recording
    from local.router import Router
    a, _ = apart
    with _recording(database.app_dsn) as conn:
        response = Router(app).dispatch("GET", "/api/dashboard",
                                        {"Authorization": f"Bearer {a.token}"})
        sent = [" ".join(query.split()) for query, _ in conn.statements]
    assert response.status_code == 200, response.get_body()
    assert "app.organization_id" in sent[0] and "FROM sessions" not in sent[0]
    assert "FROM sessions" in sent[1]


def test_the_timers_run_across_organizations_on_both_workers(database, apart):
    from shared.services import email, maintenance, subscription, usage

    class Recording:
        def __init__(self):
            self.to: list[str] = []

        def send(self, message):
            self.to.append(message.to)

    a, b = apart
    sender = Recording()
    counts = email.send_due(sender)
    assert counts["sent"] >= 2 and counts["retrying"] == counts["failed"] == 0
    assert {a.email, b.email} <= set(sender.to)  # the welcome e-mails, from both workers
    pending = _query(database, "SELECT count(*) AS n FROM email_outbox WHERE status = 'pending'"
                               " AND organization_id = ANY(%s::uuid[])",
                     ([str(a.id), str(b.id)],))
    assert pending == [{"n": 0}]
    maintenance.purge_old_records()
    usage.reset_month()
    subscription.record_transitions()
    assert _query(database, "SELECT count(*) AS n FROM timer_runs")[0]["n"] >= 1


# --- the distribution step ---------------------------------------------------------------------

def _as_app(target, organization_id, statement: str) -> list[tuple]:
    conn = psycopg2.connect(target.app_dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(db.CITUS_SETTINGS + "SET LOCAL app.organization_id = %s",
                        (str(organization_id),))
            cur.execute(statement)
            return cur.fetchall()
    finally:
        conn.close()


def test_the_step_distributes_a_database_holding_data_then_what_later_migrations_add(
        citus_cluster, database, tmp_path):
    target = new_target(citus_cluster, distribute=False)
    try:
        # 1. A database migrated before the cluster had the step, already holding rows.
        assert _query(target, "SELECT count(*) AS n FROM pg_dist_partition")[0]["n"] == 0
        org_id, facility_id = uuid.uuid4(), uuid.uuid4()
        _query(target, "INSERT INTO organizations (id, name, subdomain) VALUES (%s, 'Before',"
                       " %s)", (str(org_id), f"before-{secrets.token_hex(3)}"))
        _query(target, "INSERT INTO facilities (organization_id, id, name, bed_count)"
                       " VALUES (%s, %s, 'Already here', 40)", (str(org_id), str(facility_id)))
        assert migrate(target.owner_dsn, app_role=target.app_role) == []  # only distributes
        placed = _query(target, "SELECT partmethod::text AS m FROM pg_dist_partition"
                                " WHERE logicalrelid = 'facilities'::regclass")
        assert placed == [{"m": "h"}]
        assert _as_app(target, org_id, "SELECT id, name FROM facilities") == [
            (facility_id, "Already here")]

        # 2. Later migrations: a column and an index on a distributed table, a new tenant table
        # (distributed and co-located by the step), then that table's key to another tenant
        # table. Citus refuses a key from a table not yet distributed to a distributed one: on a
        # distributed database such a key comes in the migration after the one that creates the
        # table (the step runs between them).
        directory = tmp_path / "migrations"
        shutil.copytree(MIGRATIONS_DIR, directory)
        (directory / "0998_later_change.sql").write_text("""
            -- several statements in one file, on distributed tables
            ALTER TABLE facilities ADD COLUMN nickname text;
            CREATE INDEX facilities_nickname ON facilities (organization_id, nickname);
            CREATE TABLE visits (
                organization_id uuid NOT NULL REFERENCES organizations (id),
                id uuid NOT NULL DEFAULT gen_random_uuid(),
                facility_id uuid NOT NULL,
                note text NOT NULL DEFAULT ';', -- a semicolon in a string
                PRIMARY KEY (organization_id, id)
            );
            DO $$ BEGIN PERFORM 1; END $$;
        """)
        (directory / "0999_later_key.sql").write_text("""
            ALTER TABLE visits ADD FOREIGN KEY (organization_id, facility_id)
                REFERENCES facilities (organization_id, id);
        """)
        assert migrate(target.owner_dsn, app_role=target.app_role,
                       directory=directory) == ["0998", "0999"]
        rows = _query(target, """
            SELECT p.colocationid = (SELECT colocationid FROM pg_dist_partition
                                      WHERE logicalrelid = 'facilities'::regclass) AS co_located
              FROM pg_dist_partition p WHERE p.logicalrelid = 'visits'::regclass""")
        assert rows == [{"co_located": True}]
        on_shards = _query(target, """
            SELECT result FROM run_command_on_shards('facilities',
                $$SELECT count(*) FROM pg_indexes WHERE tablename = '%s'
                     AND indexname LIKE 'facilities_nickname%%'$$)""")
        assert {r["result"] for r in on_shards} == {"1"}  # the index on every shard
        assert _as_app(target, org_id, "SELECT nickname FROM facilities") == [(None,)]

        # 3. A table the step does not know how to place fails the migration, loudly.
        (directory / "1000_mystery.sql").write_text("CREATE TABLE mystery (code text);")
        with pytest.raises(UnplacedTable, match="mystery"):
            migrate(target.owner_dsn, app_role=target.app_role, directory=directory)
        assert _query(target, "SELECT max(version) AS v FROM schema_migrations") == [{"v": "0999"}]
    finally:
        citus_cluster.drop(target)
