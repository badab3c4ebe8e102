"""A small organization's dashboard and history, with and without a million other admissions.

The organization: ~200 admissions over the last twelve months at three facilities and four
payers. Its configuration and a handful of admissions (evaluated, saved, some decided) go through
the real endpoints; the rest are bulk-inserted as the superuser with generate_series, each a copy
of one of those admissions (its real evaluation jsonb, facility, payer, rate and figures) at
another referral time, with decisions, turnarounds and outcomes.

The requests: `GET /api/dashboard` (12 months, two aggregate queries over the organization's
admissions and a facility name lookup) and `GET /api/admissions?limit=50` (the history's first
page), through `local.router.Router(app).dispatch(...)`, measured first with no other
organization's admissions in the database, then again after loading 1,000,000 admissions of
~2,000 other organizations (each with one user, one facility, one payer, one rate), inserted as
the superuser with INSERT ... SELECT generate_series into the real tables (every index, check
and foreign key in place, logged), then VACUUMed and ANALYZEd (as autovacuum would soon do)
and CHECKPOINTed (so the load's writes are not still draining while the requests are timed).

Row-level security and the explicit organization_id of every query should keep both requests
at the organization's own size; the ratios show whether they do, and EXPLAIN (ANALYZE, BUFFERS)
as the app role inside a tenant transaction shows how.

Before and after are minutes apart, and on a shared machine the drift between them can exceed
what is measured; so the database is also copied (CREATE DATABASE ... TEMPLATE) just before the
load, and after it the requests and each query alone are timed side by side on the copy and on
the loaded database, alternating every few dozen requests. Those ratios are the summary's.

Two simplifications, both in favour of speed of set-up rather than of the result: the other
organizations' admissions carry a compact evaluation jsonb (~350 bytes, not 4-5 kB), and the
organization's own rows, inserted before the others, sit together in a few heap pages, where a
real tenant's rows would be spread among the others' (up to a page per row read).

`--admissions N` or BENCH_OTHER_ADMISSIONS=N loads N other admissions instead of 1,000,000.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import psycopg2
import psycopg2.extras
from psycopg2.extensions import make_dsn

from bench.facilities_get import _recording
from bench.organization import Organization, configure
from local.database import Provisioned

OTHER_ADMISSIONS = 1_000_000
OTHER_ORGANIZATIONS = 2_000
OWN_ADMISSIONS = 200           # the organization's own, over the last twelve months
THROUGH_API = 12               # of which made through POST /api/admissions
WARMUP = 50                    # requests of each kind before measuring, in each state
BLOCKS = 10                    # measured requests are interleaved in blocks to cancel drift
PER_BLOCK = 50                 # BLOCKS * PER_BLOCK = 500 of each, in each state
INDEX = "admissions_organization_received_idx"   # (organization_id, referral_received_at, id)

DASHBOARD = "/api/dashboard"
HISTORY = "/api/admissions?limit=50"


def other_admissions_wanted(argument: int | None = None) -> int:
    if argument is not None:
        return argument
    return int(os.environ.get("BENCH_OTHER_ADMISSIONS", OTHER_ADMISSIONS))


@dataclass
class Timing:
    """Medians in microseconds: the two requests, and each query alone through psycopg2."""
    dashboard_us: float
    history_us: float
    sql_us: dict[str, float] = field(default_factory=dict)


class SideBySide:
    """The ratios of a result timed with the others' rows and without them, side by side
    (`with_others` and `without`, each a Timing): here, and on Citus (citus_tenant_scale)."""
    with_others: Timing
    without: Timing

    @property
    def dashboard_ratio(self) -> float:
        return self.with_others.dashboard_us / self.without.dashboard_us

    @property
    def history_ratio(self) -> float:
        return self.with_others.history_us / self.without.history_us


@dataclass
class Result(SideBySide):
    other_admissions: int
    other_organizations: int
    own_admissions: int
    before: Timing             # measured before the load
    after: Timing              # measured after it
    without: Timing            # interleaved, after the load: on the copy made before it
    with_others: Timing        # interleaved, after the load: on the loaded database
    load_seconds: float
    analyze_seconds: float
    plan_summary: str = ""
    plan_notes: list[str] = field(default_factory=list)

    @property
    def sequential_ratios(self) -> tuple[float, float]:
        return (self.after.dashboard_us / self.before.dashboard_us,
                self.after.history_us / self.before.history_us)


# --- data ----------------------------------------------------------------------------------

class Admin:
    """One superuser connection to the bench database (no row-level security), autocommit."""

    def __init__(self, target: Provisioned):
        self.conn = psycopg2.connect(make_dsn(target.admin_dsn, dbname=target.database))
        self.conn.autocommit = True

    def sql(self, statement: str, params: dict | None = None) -> list[dict] | None:
        """Parameters are always interpolated, so a literal % is written %% everywhere."""
        with self.conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(statement, params or {})
            return cur.fetchall() if cur.description else None

    def close(self) -> None:
        self.conn.close()


def _referrals(org: Organization) -> list[dict]:
    """The handful made through the API: every facility and payer, a spread of stays, acuities,
    services and referral times over the year, Medicare Part A with and without a HIPPS code."""
    rng = random.Random(20261126)
    now = datetime.now(timezone.utc)
    services = ["iv_therapy", "wound_vac", "isolation", "oxygen", "tube_feeding",
                "wound_care_complex"]
    payer_types = list(org.payers)
    made = []
    for i in range(THROUGH_API):
        payer_type = payer_types[i % len(payer_types)]
        referral = {
            "facility_id": org.facilities[i % len(org.facilities)]["id"],
            "payer_id": org.payers[payer_type]["id"],
            "length_of_stay_days": rng.choice([8, 12, 14, 18, 21, 25, 30, 42, 60]),
            "acuity": rng.choice(["low", "moderate", "moderate", "high", "complex"]),
            "required_services": rng.sample(services, k=rng.choice([0, 1, 1, 2])),
            "referral_received_at": (now - timedelta(days=rng.uniform(1, 330))).isoformat(),
        }
        if payer_type == "medicare_a" and i % 2 == 0:
            referral["hipps_code"] = rng.choice(["KBGE1", "NAHD1", "MBJF1", "CAKE1"])
        if rng.random() < 0.3:
            referral["medication_cost_per_day"] = rng.choice([15, 40, 85])
        made.append(referral)
    return made


def _decide(router, org: Organization, admission_id: str, decision: str,
            reason: str | None = None) -> None:
    body = {"decision": decision, **({"reason_code": reason} if reason else {})}
    response = router.dispatch("POST", f"/api/admissions/{admission_id}/decision", org.headers,
                               json.dumps(body).encode())
    if response.status_code != 200:
        raise RuntimeError(f"decision {decision} answered {response.status_code}: "
                           f"{response.get_body()[:400]!r}")


def seed_own(router, admin: Admin) -> Organization:
    """The organization, its configuration and THROUGH_API admissions through the endpoints
    (some decided), then the rest of OWN_ADMISSIONS as copies of those, in bulk."""
    org = configure(router, name="Lakeside Care", subdomain="lakeside", facilities=3,
                    payer_types=("medicare_a", "medicaid", "managed_medicaid", "commercial"))
    for i, referral in enumerate(_referrals(org)):
        response = router.dispatch("POST", "/api/admissions", org.headers,
                                   json.dumps(referral).encode())
        if response.status_code != 201:
            raise RuntimeError(f"POST /api/admissions answered {response.status_code}: "
                               f"{response.get_body()[:600]!r}")
        admission = json.loads(response.get_body())
        if i % 4 == 3:
            continue  # left pending
        accept = admission["recommendation"] != "decline"
        _decide(router, org, admission["id"], "accepted" if accept else "declined",
                None if accept else "financial")
        if accept and i % 3 != 2:
            _decide(router, org, admission["id"], "admitted")
    # The rest: copies of those (evaluation, facility, payer, rate, figures) at other times.
    admin.sql("""
        WITH source AS (
            SELECT a.*, row_number() OVER (ORDER BY a.case_number) - 1 AS k,
                   count(*) OVER () AS n
              FROM admissions a WHERE a.organization_id = %(org)s
        ), copies AS (
            SELECT g, now() - random() * interval '360 days' AS received,
                   random() AS r, (30 + 400 * random() ^ 3)::integer AS turnaround
              FROM generate_series(1, %(rows)s) g
        ), decided AS (
            SELECT c.*, s.*,
                   CASE WHEN c.received > now() - interval '2 days' AND c.r < 0.6 THEN 'pending'
                        WHEN s.recommendation = 'decline' AND c.r < 0.85 THEN 'declined'
                        WHEN s.recommendation = 'accept' AND c.r < 0.08 THEN 'declined'
                        WHEN c.r < 0.75 THEN 'admitted'
                        WHEN c.r < 0.83 THEN 'not_admitted'
                        WHEN c.r < 0.90 THEN 'accepted'
                        ELSE 'declined' END AS new_status
              FROM copies c JOIN source s ON s.k = c.g %% s.n
        )
        INSERT INTO admissions (
            organization_id, case_number, facility_id, payer_id, rate_id, length_of_stay_days,
            acuity, required_services, medication_cost_per_day, pdpm_groups,
            referral_received_at, note, revenue_total, cost_total, margin, margin_pct, score,
            recommendation, evaluation, status, decision_reason, decided_at, decided_by,
            turnaround_minutes, outcome_at, outcome_by, created_by, created_at, updated_at)
        SELECT organization_id,
               upper(%(subdomain)s) || '-' || extract(year FROM received)::integer || '-'
                   || lpad((1000 + g)::text, 6, '0'),
               facility_id, payer_id, rate_id, length_of_stay_days, acuity, required_services,
               medication_cost_per_day, pdpm_groups, received, NULL, revenue_total, cost_total,
               margin, margin_pct, score, recommendation, evaluation, new_status,
               CASE new_status WHEN 'declined' THEN 'financial'
                               WHEN 'not_admitted' THEN 'patient_choice' END,
               CASE WHEN new_status <> 'pending'
                    THEN received + turnaround * interval '1 minute' END,
               CASE WHEN new_status <> 'pending' THEN created_by END,
               CASE WHEN new_status <> 'pending' THEN turnaround END,
               CASE WHEN new_status IN ('admitted', 'not_admitted')
                    THEN received + turnaround * interval '1 minute' + interval '1 day' END,
               CASE WHEN new_status IN ('admitted', 'not_admitted') THEN created_by END,
               created_by, received, received
          FROM decided
    """, {"org": org.organization_id, "subdomain": org.subdomain,
          "rows": OWN_ADMISSIONS - THROUGH_API})
    # The case number counters stay ahead of the numbers used, as the endpoint keeps them.
    admin.sql("""
        INSERT INTO case_number_counters (organization_id, year, last_value)
        SELECT organization_id, split_part(case_number, '-', 2)::integer,
               max(split_part(case_number, '-', 3)::integer)
          FROM admissions WHERE organization_id = %(org)s GROUP BY 1, 2
        ON CONFLICT (organization_id, year)
        DO UPDATE SET last_value = GREATEST(case_number_counters.last_value, EXCLUDED.last_value)
    """, {"org": org.organization_id})
    admin.sql("VACUUM (ANALYZE)")
    admin.sql("CHECKPOINT")
    return org


# The other organizations' admissions carry a compact evaluation (the summary figures a list
# shows), not a full one: a full evaluation is 4-5 kB of JSON and a million copies of it would
# not load in the time allowed. Their rows are only ever skipped by the organization's queries.
OTHER_EVALUATION = json.dumps({
    "revenue": {"method": "per_diem", "total": "7875.00", "per_day_average": "262.50"},
    "cost": {"per_day": "231.40", "total": "6942.00"},
    "margin": "933.00", "margin_pct": "11.85", "score": "71.4", "recommendation": "review",
    "hard_stops": [], "assumptions": []})


def load_others(admin: Admin, admissions: int) -> tuple[int, float, float]:
    """`admissions` admissions of up to OTHER_ORGANIZATIONS other organizations, each with one
    user, facility, payer and per diem rate, over the last twelve months. Returns (organizations,
    seconds to insert, seconds to VACUUM (ANALYZE) and CHECKPOINT)."""
    organizations = max(1, min(OTHER_ORGANIZATIONS, admissions))
    started = time.perf_counter()
    admin.sql("DROP TABLE IF EXISTS bench_others")
    admin.sql("""
        CREATE TEMP TABLE bench_others AS
        SELECT n, gen_random_uuid() AS org, gen_random_uuid() AS usr,
               gen_random_uuid() AS facility, gen_random_uuid() AS payer,
               gen_random_uuid() AS rate,
               (ARRAY['medicare_advantage', 'medicaid', 'managed_medicaid', 'commercial',
                      'private_pay'])[1 + n %% 5] AS payer_type,
               %(per)s + (n <= %(extra)s)::integer AS admissions
          FROM generate_series(1, %(orgs)s) n
    """, {"orgs": organizations, "per": admissions // organizations,
          "extra": admissions % organizations})
    admin.sql("""
        INSERT INTO organizations (id, name, subdomain, tier, status)
        SELECT org, 'Other organization ' || n, 'other-' || n, 'starter', 'active'
          FROM bench_others""")
    admin.sql("""
        INSERT INTO users (organization_id, id, email, password_hash, role)
        SELECT org, usr, 'owner@other-' || n || '.example', 'not-a-hash', 'owner'
          FROM bench_others""")
    admin.sql("""
        INSERT INTO facilities (organization_id, id, name, bed_count, state, wage_index,
                                target_occupancy_pct, current_census)
        SELECT org, facility, 'Facility of ' || n, 80 + n %% 100, 'OH', 0.9000, 90, 60 + n %% 20
          FROM bench_others""")
    admin.sql("""
        INSERT INTO payers (organization_id, id, name, payer_type)
        SELECT org, payer, 'Payer of ' || n, payer_type FROM bench_others""")
    admin.sql("""
        INSERT INTO rates (organization_id, id, facility_id, payer_id, method, effective_from,
                           per_diem)
        SELECT org, rate, facility, payer, 'per_diem', DATE '2025-10-01', 262.50
          FROM bench_others""")
    # Organization by organization (as a tenant's rows arrive in no such order, but the
    # organization's own queries never read these pages, and index inserts stay local).
    admin.sql("""
        INSERT INTO admissions (
            organization_id, case_number, facility_id, payer_id, rate_id, length_of_stay_days,
            acuity, referral_received_at, revenue_total, cost_total, margin, margin_pct, score,
            recommendation, evaluation, status, decision_reason, decided_at, decided_by,
            turnaround_minutes, created_by, created_at, updated_at)
        SELECT o.org, 'OTHER-' || o.n || '-' || lpad(a.i::text, 6, '0'), o.facility, o.payer,
               o.rate, 30, (ARRAY['low', 'moderate', 'high', 'complex'])[1 + a.i %% 4],
               a.received, 7875.00, 6942.00, 933.00, 11.85, 71.4, 'review',
               %(evaluation)s::jsonb,
               CASE WHEN a.i %% 10 < 6 THEN 'admitted' WHEN a.i %% 10 < 9 THEN 'declined'
                    ELSE 'pending' END,
               CASE WHEN a.i %% 10 BETWEEN 6 AND 8 THEN 'financial' END,
               CASE WHEN a.i %% 10 < 9 THEN a.received + interval '90 minutes' END,
               CASE WHEN a.i %% 10 < 9 THEN o.usr END,
               CASE WHEN a.i %% 10 < 9 THEN 90 END,
               o.usr, a.received, a.received
          FROM bench_others o
          CROSS JOIN LATERAL (
              SELECT i, now() - random() * interval '365 days' AS received
                FROM generate_series(1, o.admissions) i) a
    """, {"evaluation": OTHER_EVALUATION})
    loaded = time.perf_counter()
    # ANALYZE for the planner; VACUUM too, as autovacuum would do soon after such a load (it
    # would otherwise start during the measurement); a CHECKPOINT so the load's dirty pages are
    # not being written out while the requests are timed.
    for table in ("organizations", "users", "facilities", "payers", "rates", "admissions"):
        admin.sql(f"VACUUM (ANALYZE) {table}")
    admin.sql("CHECKPOINT")
    return organizations, loaded - started, time.perf_counter() - loaded


def counts(admin: Admin, org: Organization) -> dict[str, int]:
    row = admin.sql("""
        SELECT (SELECT count(*) FROM organizations) AS organizations,
               (SELECT count(*) FROM admissions) AS admissions,
               (SELECT count(*) FROM admissions WHERE organization_id = %(org)s) AS own,
               pg_size_pretty(pg_total_relation_size('admissions')) AS admissions_size
    """, {"org": org.organization_id})[0]
    return dict(row)


# --- timing --------------------------------------------------------------------------------

def _runner(router, org: Organization, url: str):
    dispatch, headers = router.dispatch, org.headers
    clock = time.perf_counter_ns

    def run(n: int, samples: list) -> None:
        for _ in range(n):
            started = clock()
            response = dispatch("GET", url, headers)
            samples.append(clock() - started)
        assert response.status_code == 200, (url, response.status_code, response.get_body()[:400])

    return run


def _load() -> str:
    return "load average {:.1f}".format(os.getloadavg()[0])


def measure(router, org: Organization) -> Timing:
    """Median microseconds of each request on the current database, interleaved in blocks,
    after a warm-up."""
    from shared import db
    db.close_pool()
    runs = [(_runner(router, org, url), []) for url in (DASHBOARD, HISTORY)]
    for run, _ in runs:
        run(WARMUP, [])
    for block in range(BLOCKS):
        for run, samples in (runs if block % 2 == 0 else runs[::-1]):
            run(PER_BLOCK, samples)
    return Timing(*(statistics.median(samples) / 1000 for _, samples in runs))


def measure_side_by_side(router, org: Organization, copy: str) -> tuple[Timing, Timing]:
    """The requests on the loaded database and on the copy made before the load, alternating
    every PER_BLOCK / 2 requests (one pool per database, swapped in as the process's pool), so
    the machine's drift falls on both alike. Returns (without, with)."""
    from shared import db
    from shared.settings import get_settings
    db.close_pool()
    settings = get_settings()
    pools = {"without": db.Pool(settings.model_copy(update={"db_name": copy})),
             "with": db.Pool(settings)}
    runs = [(url, _runner(router, org, url)) for url in (DASHBOARD, HISTORY)]
    samples = {(state, url): [] for state in pools for url, _ in runs}
    try:
        for pool in pools.values():
            db._pool = pool
            for _, run in runs:
                run(WARMUP, [])
        states = list(pools)
        for block in range(2 * BLOCKS):
            for state in (states if block % 2 == 0 else states[::-1]):
                db._pool = pools[state]
                for url, run in (runs if block % 4 < 2 else runs[::-1]):
                    run(PER_BLOCK // 2, samples[(state, url)])
    finally:
        db._pool = None
        for pool in pools.values():
            pool.close()
    return tuple(Timing(statistics.median(samples[(state, DASHBOARD)]) / 1000,
                        statistics.median(samples[(state, HISTORY)]) / 1000)
                 for state in states)


def measure_sql(dsns: dict[str, str], queries: dict[str, tuple]) -> dict[str, dict[str, float]]:
    """Median microseconds of each of the three queries alone, through psycopg2 on one open
    connection per database as the app role: BEGIN, tenant_transaction's set_config, the query,
    its rows, COMMIT; the databases alternating by block. The part of the requests that the
    other organizations' rows could change. Returns {database: {query: us}}."""
    first, first_vars = queries["first"]
    conns = {name: psycopg2.connect(dsn) for name, dsn in dsns.items()}
    for conn in conns.values():
        conn.autocommit = True  # the first message begins the transaction, as the pool's do
    clock = time.perf_counter_ns
    samples = {(db, name): [] for db in conns for name in MAIN_PLANS}
    try:
        cursors = {db: conn.cursor() for db, conn in conns.items()}
        for block in range(BLOCKS + 1):  # the first block warms up
            for db in (list(conns) if block % 2 == 0 else list(conns)[::-1]):
                conn, cur = conns[db], cursors[db]
                for name in MAIN_PLANS:
                    query, params = queries[name]
                    for _ in range(PER_BLOCK // 2):
                        started = clock()
                        cur.execute(first, first_vars)
                        cur.execute(query, params)
                        cur.fetchall()
                        cur.execute("COMMIT")
                        if block:
                            samples[(db, name)].append(clock() - started)
    finally:
        for conn in conns.values():
            conn.close()
    return {db: {name: statistics.median(samples[(db, name)]) / 1000 for name in MAIN_PLANS}
            for db in conns}


def copy_database(target: Provisioned) -> str:
    """A copy of the bench database as it is (CREATE DATABASE ... TEMPLATE), with the same
    roles' access. No session may be connected to the bench database meanwhile."""
    from psycopg2 import sql
    copy = target.database + "_none"
    conn = psycopg2.connect(target.admin_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                sql.Identifier(copy), sql.Identifier(target.database),
                sql.Identifier(target.owner_role)))
            cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(
                sql.Identifier(copy)))
            cur.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(
                sql.Identifier(copy), sql.Identifier(target.owner_role),
                sql.Identifier(target.app_role)))
    finally:
        conn.close()
    return copy


def drop_database(target: Provisioned, name: str) -> None:
    from psycopg2 import sql
    conn = psycopg2.connect(target.admin_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
    finally:
        conn.close()


def _check(router, org: Organization) -> str:
    """What the two requests answer (so the figures are of real work)."""
    dashboard = json.loads(router.dispatch("GET", DASHBOARD, org.headers).get_body())
    history = json.loads(router.dispatch("GET", HISTORY, org.headers).get_body())
    referrals = sum(m["referrals"] for m in dashboard["months"])
    return (f"dashboard: {len(dashboard['months'])} months, {referrals} referrals, "
            f"{len(dashboard['facilities'])} facilities; history: {len(history['items'])} items, "
            f"next_cursor {'set' if history['next_cursor'] else 'none'}")


# --- plans ---------------------------------------------------------------------------------

MONTHLY = "dashboard monthly figures (dashboard.monthly_figures)"
PAYER_MIX = "dashboard payer mix (dashboard.monthly_payer_mix)"
LIST = "history (admissions.list_page)"
SESSION = "session lookup (tenancy.caller_lookup, in the first round trip), every request"
ONE_MONTH = "dashboard monthly figures of GET /api/dashboard?months=1"
MAIN_PLANS = (MONTHLY, PAYER_MIX, LIST)
SHORT = {MONTHLY: "dashboard figures", PAYER_MIX: "dashboard payer mix", LIST: "history",
         ONE_MONTH: "dashboard figures ?months=1"}


def recorded_queries(router, target: Provisioned, org: Organization) -> dict[str, tuple]:
    """The dashboard's two aggregate queries and the history query as the endpoints send them,
    with tenant_transaction's first statement; also the session lookup, and the dashboard's
    monthly figures over one month (a date bound that excludes most of the organization's rows)."""
    from shared.tenancy import caller_lookup
    sent = {}
    with _recording(target.app_dsn) as conn:
        for url in (DASHBOARD, HISTORY, DASHBOARD + "?months=1"):
            del conn.statements[:]
            response = router.dispatch("GET", url, org.headers)
            assert response.status_code == 200, (url, response.status_code)
            sent[url] = list(conn.statements)

    def one(statements, *needles):
        found = [s for s in statements if all(n in " ".join(s[0].split()) for n in needles)]
        if len(found) != 1:
            raise RuntimeError(f"{len(found)} statements contain {needles}")
        return found[0]

    dashboard = sent[DASHBOARD]
    if "app.organization_id" not in dashboard[0][0]:
        raise RuntimeError("the dashboard's first statement is not tenant_transaction's")
    return {
        "first": dashboard[0],
        MONTHLY: one(dashboard, "FROM admissions", "GROUPING SETS ((1), (1, facility_id))"),
        PAYER_MIX: one(dashboard, "FROM admissions a", "JOIN payers p"),
        LIST: one(sent[HISTORY], "FROM admissions a", "ORDER BY a.referral_received_at DESC"),
        SESSION: caller_lookup(org.organization_id, org.token),
        ONE_MONTH: one(sent[DASHBOARD + "?months=1"], "FROM admissions",
                       "GROUPING SETS ((1), (1, facility_id))"),
    }


def explain(target: Provisioned, queries: dict[str, tuple]) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) as the app role inside a transaction where tenant_transaction's
    set_config has run; rolled back. Each query runs once before, so the plan is of a warm cache
    as the measured requests were."""
    first, first_vars = queries["first"]
    conn = psycopg2.connect(target.app_dsn)
    plans = {}
    try:
        with conn.cursor() as cur:
            cur.execute(first, first_vars)
            for name, (query, params) in queries.items():
                if name == "first":
                    continue
                cur.execute(query, params)
                cur.fetchall()
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
                plans[name] = [row[0] for row in cur.fetchall()]
        conn.rollback()
    finally:
        conn.close()
    return plans


def _summary(lines: list[str]) -> str:
    """The scans (index conditions shortened), the top node's buffers, the execution time."""
    scans = []
    for i, line in enumerate(lines):
        if " Scan " in line and " on " in line:
            scan = line.strip().removeprefix("->").strip().split("  (")[0]
            follow = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if follow.startswith("Index Cond:") and "referral_received_at" in follow:
                scan += " (Index Cond on organization_id AND referral_received_at)"
            scans.append(scan)
    top = next((line.split("Buffers: ")[1] for line in lines if "Buffers: shared" in line), "?")
    executed = next((line.split(": ")[1] for line in lines if "Execution Time" in line), "?")
    return f"{'; '.join(scans)}; buffers {top}; execution {executed}"


def _indexes(lines: list[str]) -> list[str]:
    names = set()
    for line in lines:
        if "Bitmap Index Scan on " in line:
            names.add(line.split("Bitmap Index Scan on ")[1].split()[0])
        elif "Index Scan using " in line or "Index Only Scan using " in line:
            names.add(line.split(" using ")[1].split()[0])
    return sorted(names)


def plan_summary(plans: dict[str, list[str]]) -> str:
    """Which admissions index each query uses, and whether any scans the table."""
    parts = []
    for name, short in SHORT.items():
        lines = plans[name]
        used = [i for i in _indexes(lines) if i.startswith("admissions")]
        seq = any("Seq Scan on admissions" in line for line in lines)
        parts.append(f"{short} " + ", ".join(used + (["SEQ SCAN"] if seq else []) or ["?"]))
    return "; ".join(parts)


def _plan_notes(plans: dict[str, list[str]], wanted: int) -> list[str]:
    notes = []
    for name in MAIN_PLANS:
        lines = plans[name]
        if any("Seq Scan on admissions" in line for line in lines):
            notes.append(f"{name}: sequential scan of admissions with {wanted:,} others")
        if INDEX not in _indexes(lines):
            notes.append(f"{name}: {INDEX} not chosen; the planner uses "
                         + ", ".join(_indexes(lines) or ["no index"]))
    return notes


# --- the benchmark -------------------------------------------------------------------------

def run(target: Provisioned, other_admissions: int | None = None) -> Result:
    from function_app import app
    from local.router import Router
    from shared import db

    wanted = other_admissions_wanted(other_admissions)
    router = Router(app)
    print(f"\n== tenant scale: a small organization's dashboard and history, without and with "
          f"{wanted:,} other admissions ==")
    admin, copy = Admin(target), None
    try:
        started = time.perf_counter()
        org = seed_own(router, admin)
        before_counts = counts(admin, org)
        print(f"the organization: {before_counts['own']} admissions over 12 months "
              f"({THROUGH_API} through POST /api/admissions and decisions, the rest copied in "
              f"bulk), 3 facilities, 4 payers; made in {time.perf_counter() - started:.1f} s")
        print(f"database: {before_counts['organizations']} organizations, "
              f"{before_counts['admissions']} admissions ({before_counts['admissions_size']})")
        print(_check(router, org))
        queries = recorded_queries(router, target, org)
        plans_without = explain(target, queries)
        total = BLOCKS * PER_BLOCK
        print(f"timing: {WARMUP} warm-up requests each, then {total} each in {BLOCKS} "
              f"interleaved blocks of {PER_BLOCK}")
        before = measure(router, org)
        print(f"before the load: dashboard median {before.dashboard_us / 1000:.2f} ms, history "
              f"median {before.history_us / 1000:.2f} ms ({_load()})")

        # A copy of this state, to measure against side by side once the load is done.
        admin.close()
        db.close_pool()
        copy = copy_database(target)
        admin = Admin(target)
        print(f"copied the database as it is to {copy}")

        print(f"\nloading {wanted:,} admissions of other organizations (INSERT ... SELECT "
              "generate_series, as the superuser, into the real tables)...", flush=True)
        organizations, load_s, analyze_s = load_others(admin, wanted)
        after_counts = counts(admin, org)
        print(f"loaded in {load_s:.1f} s, then VACUUM (ANALYZE) and CHECKPOINT in "
              f"{analyze_s:.1f} s: {after_counts['organizations']} organizations, "
              f"{after_counts['admissions']:,} admissions ({after_counts['admissions_size']}), "
              f"{after_counts['own']} of them the organization's")
        print(_check(router, org))
        after = measure(router, org)
        print(f"after the load: dashboard median {after.dashboard_us / 1000:.2f} ms, history "
              f"median {after.history_us / 1000:.2f} ms ({_load()})")
        print(f"ratios after / before: dashboard {after.dashboard_us / before.dashboard_us:.2f}x, "
              f"history {after.history_us / before.history_us:.2f}x (minutes apart: they carry "
              "the machine's drift too)")

        without, with_others = measure_side_by_side(router, org, copy)
        sql = measure_sql({"without": make_dsn(target.app_dsn, dbname=copy),
                           "with": target.app_dsn}, queries)
        without.sql_us, with_others.sql_us = sql["without"], sql["with"]
        print(f"\nside by side after the load, alternating every {PER_BLOCK // 2} requests "
              f"between {copy} (the copy without) and {target.database} (with), "
              f"{total} each ({_load()}):")
        for label, attribute in (("dashboard", "dashboard_us"), ("history", "history_us")):
            a, b = getattr(without, attribute), getattr(with_others, attribute)
            print(f"  {label}: {a / 1000:.2f} ms without, {b / 1000:.2f} ms with: {b / a:.2f}x")
        print("  each query alone through psycopg2 (BEGIN, set_config, query, rows, COMMIT):")
        for name in MAIN_PLANS:
            a, b = without.sql_us[name], with_others.sql_us[name]
            print(f"    {name}: {a:.0f} us without, {b:.0f} us with: {b / a:.2f}x")

        plans = explain(target, queries)
        print(f"\nplans with {wanted:,} other admissions, as the app role inside a tenant "
              f"transaction (app.organization_id = {org.organization_id}):")
        for name in MAIN_PLANS:
            print(f"-- {name}")
            for line in plans[name]:
                print("   " + line)
        print("\nin short, without other admissions (before the load):")
        for name, lines in plans_without.items():
            print(f"  {name}: {_summary(lines)}")
        print(f"in short, with {wanted:,} other admissions:")
        for name, lines in plans.items():
            print(f"  {name}: {_summary(lines)}")
        notes = _plan_notes(plans, wanted)
        for note in notes:
            print("NOTE: " + note)
        if INDEX in _indexes(plans[ONE_MONTH]) and any(INDEX not in _indexes(plans[n])
                                                       for n in (MONTHLY, PAYER_MIX)):
            notes.append(f"the dashboard uses {INDEX} when its date bound is selective "
                         "(?months=1); over 12 months every row of the organization qualifies, "
                         "so any index leading with organization_id serves it")
            print("NOTE: " + notes[-1])
    finally:
        admin.close()
        if copy:
            db.close_pool()
            drop_database(target, copy)
            print(f"dropped {copy}")
    return Result(wanted, organizations, after_counts["own"], before, after, without,
                  with_others, load_s, analyze_s, plan_summary(plans), notes)
