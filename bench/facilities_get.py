"""GET /api/facilities/{id}: the endpoint against the floor of its own SQL.

The endpoint: the function `local.router.Router(app).resolve(...)` finds, called with its
HttpRequest as the worker calls it (the route matched once beforehand, as the host does), i.e.
the real decorator (request id, bearer session, role, tenant transaction, validation,
serialization, problem+json) and the real data layer (pool, `tenant_transaction`, repositories).

The floor: the same statements in the same round trips as the endpoint sends them: BEGIN with
the SET LOCALs of `shared.db.tenant_transaction` and the session lookup of
`shared.tenancy.caller_lookup` in one message, the SELECT of `shared.repositories.facilities.get`,
COMMIT, through psycopg2 alone on one open connection (autocommit, as the pool's) as the app
role. The statements are not copied here: they are recorded by running `tenant_transaction` and
the repository functions on a recording connection, and checked against what the endpoint
itself sends, so the floor follows the code. Each execute is one round trip: `round_trips`
counts them (a message of several statements is one).
"""
from __future__ import annotations

import inspect
import json
import statistics
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from bench.database import admin_sql
from local.database import Provisioned

ORGANIZATIONS = 200            # other organizations, beside the benchmark's own
FACILITIES_PER_ORG = 20
USERS_PER_ORG = 5
SESSIONS_PER_USER = 4
# Before issue 14 (commit b6ff56b): psycopg2's BEGIN, the settings, the session lookup, the
# SELECT and COMMIT each a round trip of their own. (statements, round trips)
BEFORE = (9, 5)
# Issue 14's goals: within these of the floor, on loopback and with a 1 ms round trip.
GOAL_LOOPBACK = 1.3
GOAL_NETWORK = 1.2
WARMUP = 300                   # requests of each kind before measuring
BLOCKS = 40                    # measured requests are interleaved in blocks to cancel drift
PER_BLOCK = 50                 # BLOCKS * PER_BLOCK = 2000 of each


@dataclass(frozen=True)
class Scenario:
    organization_id: uuid.UUID
    token: str
    facility_id: uuid.UUID

    @property
    def url(self) -> str:
        return f"/api/facilities/{self.facility_id}"

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "x-forwarded-for": "203.0.113.9"}


@dataclass(frozen=True)
class Result:
    endpoint_us: float
    floor_us: float
    statements: int
    plan_summary: str          # one line for the summary
    notes: list[str]
    round_trips: int = 0
    endpoint_network_us: float = 0.0   # the same, through bench.network's 1 ms round trip
    floor_network_us: float = 0.0

    @property
    def ratio(self) -> float:
        return self.endpoint_us / self.floor_us

    @property
    def network_ratio(self) -> float:
        return self.endpoint_network_us / self.floor_network_us


# --- data ----------------------------------------------------------------------------------

def _json_request(router, method, path, body=None, token=None):
    headers = {"content-type": "application/json", "x-forwarded-for": "203.0.113.9"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = router.dispatch(method, path, headers,
                               json.dumps(body).encode() if body is not None else None)
    return response.status_code, response.get_body()


def seed(router, target: Provisioned) -> Scenario:
    """The benchmark's organization through the real signup and create endpoints, then many
    more organizations, users, sessions and facilities in bulk as the superuser."""
    status, body = _json_request(router, "POST", "/api/signup", {
        "organization_name": "Bench Care", "subdomain": "bench-main",
        "email": "owner@bench-main.example", "password": "correct horse battery staple"})
    assert status == 201, (status, body)
    signed_up = json.loads(body)
    organization_id = uuid.UUID(signed_up["organization"]["id"])
    token = signed_up["token"]
    status, body = _json_request(router, "POST", "/api/facilities", {
        "name": "Maple Grove", "bed_count": 120, "state": "OH", "locality": "urban",
        "wage_index": 0.9512, "target_occupancy_pct": 92, "current_census": 104}, token)
    assert status == 201, (status, body)
    facility_id = uuid.UUID(json.loads(body)["id"])

    admin_sql(target, """
        INSERT INTO organizations (id, name, subdomain, tier, status)
        SELECT gen_random_uuid(), 'Bench organization ' || g, 'bench-' || g, 'starter', 'active'
          FROM generate_series(1, %(orgs)s) g
    """, {"orgs": ORGANIZATIONS})
    admin_sql(target, """
        INSERT INTO users (organization_id, email, password_hash, role)
        SELECT o.id, 'user' || u || '@' || o.subdomain || '.example', 'not-a-hash',
               (ARRAY['owner', 'admin', 'coordinator', 'viewer', 'viewer'])[u]
          FROM organizations o, generate_series(1, %(users)s) u
         WHERE o.id <> %(main)s
        UNION ALL
        SELECT %(main)s, 'user' || u || '@bench-main.example', 'not-a-hash', 'viewer'
          FROM generate_series(2, %(users)s) u
    """, {"users": USERS_PER_ORG, "main": organization_id})
    admin_sql(target, """
        INSERT INTO sessions (organization_id, user_id, token_hash, expires_at, revoked_at)
        SELECT u.organization_id, u.id, sha256(gen_random_uuid()::text::bytea),
               now() + interval '12 hours',
               CASE WHEN s = 1 THEN now() - interval '1 hour' END
          FROM users u, generate_series(1, %(sessions)s) s
    """, {"sessions": SESSIONS_PER_USER})
    admin_sql(target, """
        INSERT INTO facilities (organization_id, name, bed_count, state, wage_index,
                                target_occupancy_pct, current_census)
        SELECT o.id, 'Facility ' || f, 60 + f, 'OH', 0.9000 + f / 1000.0, 90, 50 + f
          FROM organizations o, generate_series(1, %(facilities)s) f
         WHERE o.id <> %(main)s OR f > 1
    """, {"facilities": FACILITIES_PER_ORG, "main": organization_id})
    admin_sql(target, "ANALYZE")
    return Scenario(organization_id, token, facility_id)


def table_counts(target: Provisioned) -> dict[str, int]:
    rows = admin_sql(target, """
        SELECT 'organizations' AS t, count(*) AS n FROM organizations
        UNION ALL SELECT 'users', count(*) FROM users
        UNION ALL SELECT 'sessions', count(*) FROM sessions
        UNION ALL SELECT 'facilities', count(*) FROM facilities
    """)
    return {row["t"]: row["n"] for row in rows}


# --- the statements, recorded from the code -----------------------------------------------

class _RecordingCursor(psycopg2.extras.RealDictCursor):
    def execute(self, query, vars=None):
        # A message interpolated beforehand (the first of a transaction) is recorded as text.
        self.connection.statements.append(
            (query.decode() if isinstance(query, bytes) else query, vars))
        return super().execute(query, vars)


def round_trips(statements: list) -> int:
    """Each execute is one round trip to the server, whatever it holds."""
    return len(statements)


def statement_count(statements: list) -> int:
    """SQL statements sent, those joined by `;` in one message counted one by one (BEGIN and
    COMMIT too; a `;` inside a literal would be miscounted, and none of these has one)."""
    return sum(len([part for part in str(query).split(";") if part.strip()])
               for query, _ in statements)


def _pooled_connection():
    from shared.db import _PooledConnection
    return _PooledConnection


class _RecordingConnection(_pooled_connection()):
    """A connection of the pool's kind whose cursors (whatever factory the caller asks for)
    record each execute."""

    def __init__(self, dsn: str):
        super().__init__(dsn, answer_seconds=60, generation=0)
        self.statements: list[tuple[str, object]] = []

    def cursor(self, *args, **kwargs):
        kwargs["cursor_factory"] = _RecordingCursor
        return super().cursor(*args, **kwargs)


class _OneConnectionPool:
    """Stands in for shared.db.Pool: always hands out the same connection."""

    def __init__(self, conn):
        self.conn = conn

    def acquire(self):
        return self.conn

    def release(self, conn, broken=False):
        pass

    def close(self):
        pass


@contextmanager
def _recording(dsn: str):
    """The data layer's pool replaced by one recording connection, for the duration."""
    from shared import db
    from shared.distribution import citus_present
    conn = psycopg2.connect(dsn, connection_factory=_RecordingConnection)
    conn.autocommit = True  # as the pool's connections (shared.db.Pool._connect)
    # As the pool asks each new connection: on Citus the session lookup is a round trip of its
    # own (shared.db._transaction), and the recording must send what production sends.
    with conn.cursor() as cur:
        conn.citus = citus_present(cur)
    conn.statements.clear()
    db.close_pool()
    db._pool = _OneConnectionPool(conn)
    try:
        yield conn
    finally:
        db._pool = None
        conn.close()


def _id_parameter(function) -> str:
    """The name of the facility id parameter of facilities.get (`facility_id` or `id`, as the
    repository names it at the moment): its keyword-only parameter that is neither the
    organization nor an option with a default."""
    names = [p.name for p in inspect.signature(function).parameters.values()
             if p.kind is p.KEYWORD_ONLY and p.default is p.empty and p.name != "organization_id"]
    if len(names) != 1:
        raise RuntimeError(f"cannot tell the id parameter of {function.__qualname__}: {names}")
    return names[0]


def statements_of_repositories(target: Provisioned, scenario: Scenario) -> list:
    """tenant_transaction with the session lookup, facilities.get: as the code sends them."""
    from shared import db
    from shared.repositories import facilities
    from shared.tenancy import caller_lookup
    with _recording(target.app_dsn) as conn:
        with db.tenant_transaction(scenario.organization_id,
                                   then=caller_lookup(scenario.organization_id,
                                                      scenario.token)) as cur:
            caller = cur.fetchone()
            facility = facilities.get(cur, organization_id=scenario.organization_id,
                                      **{_id_parameter(facilities.get): scenario.facility_id})
        assert caller is not None and facility is not None, "the seeded rows are not visible"
        return list(conn.statements)


def statements_of_endpoint(router, target: Provisioned, scenario: Scenario) -> list:
    with _recording(target.app_dsn) as conn:
        response = router.dispatch("GET", scenario.url, scenario.headers)
        assert response.status_code == 200, (response.status_code, response.get_body())
        return list(conn.statements)


def _same(a: list, b: list) -> bool:
    def norm(statements):
        return [(q, sorted((v or {}).items()) if isinstance(v, dict) else v)
                for q, v in statements]
    return norm(a) == norm(b)


# --- timing --------------------------------------------------------------------------------

def _endpoint_runner(router, scenario: Scenario):
    """The registered function called with its HttpRequest, as the worker calls it: the route
    is matched once beforehand, since in Azure the host matches routes (Router's Python
    matching, ~20 us, is the local host's cost, not production's)."""
    function, request = router.resolve("GET", scenario.url, scenario.headers)
    clock = time.perf_counter_ns

    def run(n: int, samples: list) -> None:
        for _ in range(n):
            started = clock()
            response = function(request)
            samples.append(clock() - started)
        assert response.status_code == 200, (response.status_code, response.get_body())

    return run


def _floor_runner(conn, statements: list):
    """The recorded messages as they were sent (the first: BEGIN, the settings, the session
    lookup; the last: COMMIT), each result's row fetched as the code fetches it."""
    conn.autocommit = True  # BEGIN and COMMIT are among the statements, as the pool sends them
    cur = conn.cursor()
    clock = time.perf_counter_ns

    def run(n: int, samples: list) -> None:
        for _ in range(n):
            started = clock()
            for query, params in statements:
                cur.execute(query, params)
                if cur.description is not None:
                    row = cur.fetchone()
                    assert row is not None, "a floor SELECT found nothing"
            samples.append(clock() - started)

    return run


def measure(router, dsn: str, scenario: Scenario, statements: list) -> tuple[float, float]:
    """Median microseconds per request: (endpoint, floor). The endpoint uses the process's
    pool as the caller set it up (fresh: warmed below like the floor's connection); the floor
    connects to `dsn`."""
    conn = psycopg2.connect(dsn)
    try:
        endpoint, floor = _endpoint_runner(router, scenario), _floor_runner(conn, statements)
        endpoint(WARMUP, [])
        floor(WARMUP, [])
        endpoint_ns, floor_ns = [], []
        for block in range(BLOCKS):
            order = ((endpoint, endpoint_ns), (floor, floor_ns))
            for run, samples in (order if block % 2 == 0 else order[::-1]):
                run(PER_BLOCK, samples)
    finally:
        conn.close()
    return statistics.median(endpoint_ns) / 1000, statistics.median(floor_ns) / 1000



# --- plans ---------------------------------------------------------------------------------

def tenant_setting(organization_id) -> tuple[str, tuple]:
    """The organization's setting alone, for the EXPLAINs (the first message holds a query)."""
    return "SET LOCAL app.organization_id = %s", (str(organization_id),)


def explain(target: Provisioned, statements: list, scenario: Scenario) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the session lookup and the facility get, as the app role,
    inside a transaction where the organization is set. Rolled back."""
    from shared.tenancy import caller_lookup
    lookup = caller_lookup(scenario.organization_id, scenario.token)
    get = statements[1]
    conn = psycopg2.connect(target.app_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(*tenant_setting(scenario.organization_id))
            plans = {}
            for name, (query, params) in (("session lookup (tenancy.caller_lookup)", lookup),
                                          ("facility get (facilities.get)", get)):
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
                plans[name] = [row[0] for row in cur.fetchall()]
        conn.rollback()
    finally:
        conn.close()
    return plans


def explain_without_seqscan(target: Provisioned, scenario: Scenario,
                            statement: tuple) -> list[str]:
    """The plan the planner would pick with sequential scans discouraged: shows whether an
    index could serve a table it chose to scan (small tables are cheaper to scan)."""
    query, params = statement
    conn = psycopg2.connect(target.app_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(*tenant_setting(scenario.organization_id))
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
            lines = [row[0] for row in cur.fetchall()]
        conn.rollback()
    finally:
        conn.close()
    return lines


# Tables of one row by design (a CHECK keeps them so): scanning them is reading that row.
ONE_ROW_TABLES = {"reference_version"}


def _plan_notes(plans: dict[str, list[str]]) -> list[str]:
    notes = []
    for name, lines in plans.items():
        text = "\n".join(lines)
        scanned = sorted({line.split("Seq Scan on ")[1].split()[0]
                          for line in lines if "Seq Scan on " in line} - ONE_ROW_TABLES)
        if scanned:
            notes.append(f"{name}: sequential scan of {', '.join(scanned)}")
        if "Index" not in text:
            notes.append(f"{name}: no index used")
    return notes


# --- the benchmark -------------------------------------------------------------------------

def run(target: Provisioned) -> Result:
    from function_app import app
    from local.router import Router
    from shared.tenancy import caller_lookup

    router = Router(app)
    print("\n== GET /api/facilities/{id}: endpoint vs. its SQL through psycopg2 alone ==")
    scenario = seed(router, target)
    counts = table_counts(target)
    print("data: " + ", ".join(f"{n} {t}" for t, n in counts.items())
          + f" (the benchmark's organization has {FACILITIES_PER_ORG} facilities, "
            f"{USERS_PER_ORG} users, {USERS_PER_ORG * SESSIONS_PER_USER + 1} sessions)")

    statements = statements_of_repositories(target, scenario)
    sent = statements_of_endpoint(router, target, scenario)
    notes = []
    if not _same(statements, sent):
        notes.append(f"the endpoint sends {len(sent)} statements, not the {len(statements)} "
                     "of tenant_transaction + caller_lookup + facilities.get")
        print("NOTE: " + notes[-1])
        for query, _ in sent:
            print("  endpoint sent: " + " ".join(query.split())[:160])
    print(f"floor: {statement_count(statements)} statements in {round_trips(statements)} round "
          "trips recorded from shared.db.tenant_transaction with tenancy.caller_lookup, "
          "facilities.get")
    for query, _ in statements:
        print("  " + " ".join(query.split())[:150] + ("..." if len(" ".join(query.split())) > 150 else ""))

    total = BLOCKS * PER_BLOCK
    print(f"timing: {WARMUP} warm-up requests each, then {total} each in {BLOCKS} interleaved "
          f"blocks of {PER_BLOCK}")
    from bench.network import ONE_WAY_SECONDS, delayed
    from shared import db
    db.close_pool()
    endpoint_us, floor_us = measure(router, target.app_dsn, scenario, statements)
    print(f"endpoint (the function -> @endpoint -> data layer): median {endpoint_us:.0f} us")
    print(f"floor (psycopg2 alone, one open connection):           median {floor_us:.0f} us")
    print(f"ratio endpoint / floor: {endpoint_us / floor_us:.2f}x "
          f"(the endpoint adds {endpoint_us - floor_us:.0f} us)")
    with delayed(target) as dsn:
        endpoint_net_us, floor_net_us = measure(router, dsn, scenario, statements)
    print(f"through a proxy adding {ONE_WAY_SECONDS * 2000:.0f} ms per round trip: endpoint "
          f"{endpoint_net_us:.0f} us, floor {floor_net_us:.0f} us, "
          f"ratio {endpoint_net_us / floor_net_us:.2f}x")

    plans = explain(target, statements, scenario)
    print("\nplans, as the app role inside a tenant transaction "
          f"(app.organization_id = {scenario.organization_id}):")
    for name, lines in plans.items():
        print(f"-- {name}")
        for line in lines:
            print("   " + line)
    plan_notes = _plan_notes(plans)
    for note in plan_notes:
        print("NOTE: " + note)
    plan_summary = ("index scans only (and the one row of reference_version)" if not plan_notes
                    else "; ".join(plan_notes))
    for which, (name, lines) in enumerate(plans.items(), start=1):
        if any("Seq Scan on " in line and line.split("Seq Scan on ")[1].split()[0]
               not in ONE_ROW_TABLES for line in lines):
            alternative = explain_without_seqscan(
                target, scenario,
                caller_lookup(scenario.organization_id, scenario.token) if which == 1
                else statements[1])
            print(f"-- {name} again with enable_seqscan = off (is an index usable?)")
            print("   chosen plan:      " + lines[0].strip())
            print("   without seqscan:  " + alternative[0].strip())
            for line in alternative:
                if " on " in line and ("Scan" in line):
                    print("   " + line.strip())
            usable = sorted({line.split(" using ")[1].split()[0] for line in alternative
                             if "Index" in line and " using " in line})
            if not any("Seq Scan on " in line for line in alternative):
                plan_notes.append(f"{name}: with enable_seqscan = off, indexes "
                                  f"{', '.join(usable)} serve it (the planner finds the scan "
                                  f"cheaper at {counts['organizations']} organizations)")
                print("NOTE: " + plan_notes[-1])
                plan_summary += " (an index serves it with enable_seqscan = off)"
    return Result(endpoint_us, floor_us, statement_count(statements), plan_summary,
                  notes + plan_notes, round_trips(statements), endpoint_net_us, floor_net_us)
