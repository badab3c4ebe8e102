"""POST /api/admissions: the endpoint against the floor of the engine and the writes it must make.

The endpoint: `local.router.Router(app).dispatch(...)`: the real decorator (request id, bearer
session, role, tenant transaction, body validation, serialization, problem+json), the admissions
and evaluations services (facility, payer, rate in force, cost model, business weights, PDPM
tables and coinsurance, the organization), the engine, and the writes, through the data layer.
The configuration comes from the evaluations service's per-process cache, keyed by the
organization's configuration version and the reference data's, which the session lookup returns
in the first round trip (migration 0039): in the steady state the endpoint sends no
configuration read. After a configuration write (or in a new process) the first request reads
it, one more round trip: measured apart, the cache emptied before each request ("a miss").

The floor: `shared.engine.evaluation.evaluate` alone on the same inputs (the dataclasses the
service built, captured from one endpoint call and reused), plus the round trips that save an
admission: BEGIN with the SET LOCALs of `shared.db.tenant_transaction` and the session lookup
(one message), the month's count with the case number (one statement), the audit INSERT with
the admission INSERT ... RETURNING (one message), COMMIT, through psycopg2 alone on one open
connection (autocommit, as the pool's) as the app role. The statements are not copied here: they
are recorded from what the endpoint sends, and reused with only the values that must change
(the case number from the counter, the new admission's id). The reads of the configuration
(facility, payer, rate, cost model, weights, PDPM tables) are not in the floor: the engine's
inputs are given to it.

Two referrals, as in the README: Medicare Part A on PDPM (30 days, a HIPPS code, coinsurance
from day 21) and Medicaid per diem (45 days, a service, expensive drugs).
"""
from __future__ import annotations

import json
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg2

from bench.facilities_get import _recording, round_trips, statement_count
from bench.organization import Organization, configure
from local.database import Provisioned

# Before issue 14 (commit b6ff56b), by case: (statements, round trips). Each read and write its
# own round trip, BEGIN and COMMIT too: 14 executes for PDPM, 11 for Medicaid.
BEFORE = {"Medicare": (20, 16), "Medicaid": (17, 13)}
# Issue 14's goals: within these of the floor, on loopback and with a 1 ms round trip.
GOAL_LOOPBACK = 1.5
GOAL_NETWORK = 1.2
WARMUP = 60                    # requests of each kind before measuring
BLOCKS = 10                    # measured requests are interleaved in blocks to cancel drift
PER_BLOCK = 50                 # BLOCKS * PER_BLOCK = 500 of each


@dataclass(frozen=True)
class Case:
    name: str
    body: dict


@dataclass(frozen=True)
class Result:
    name: str
    endpoint_us: float
    floor_us: float
    engine_us: float           # the floor's engine part alone (median)
    sql_us: float              # the floor's statements alone (median)
    endpoint_statements: int
    floor_statements: int
    endpoint_round_trips: int = 0
    floor_round_trips: int = 0
    endpoint_network_us: float = 0.0   # the same, through bench.network's 1 ms round trip
    floor_network_us: float = 0.0
    miss_round_trips: int = 0          # the endpoint's, its configuration cache emptied
    miss_us: float = 0.0
    miss_floor_us: float = 0.0

    @property
    def ratio(self) -> float:
        return self.endpoint_us / self.floor_us

    @property
    def network_ratio(self) -> float:
        return self.endpoint_network_us / self.floor_network_us


def _cases(org: Organization) -> list[Case]:
    facility = org.facilities[0]["id"]
    received = (datetime.now(timezone.utc) - timedelta(hours=2)).replace(microsecond=0)
    return [
        Case("Medicare Part A PDPM, 30 days", {
            "facility_id": facility, "payer_id": org.payers["medicare_a"]["id"],
            "length_of_stay_days": 30, "acuity": "high", "required_services": ["iv_therapy"],
            "hipps_code": "KBGE1", "referral_received_at": received.isoformat()}),
        Case("Medicaid per diem, 45 days", {
            "facility_id": facility, "payer_id": org.payers["medicaid"]["id"],
            "length_of_stay_days": 45, "acuity": "moderate", "required_services": ["wound_vac"],
            "medication_cost_per_day": 140, "referral_received_at": received.isoformat()}),
    ]


# --- what the endpoint sends, and what the engine gets --------------------------------------

def _post(router, org: Organization, body: bytes):
    response = router.dispatch("POST", "/api/admissions", org.headers, body)
    if response.status_code != 201:
        raise RuntimeError(f"POST /api/admissions answered {response.status_code}: "
                           f"{response.get_body()[:600]!r}")
    return response


def record(router, target: Provisioned, org: Organization, body: bytes):
    """One endpoint call on a recording connection, with the engine's arguments captured.
    Returns (the statements sent, (args, kwargs) of engine.evaluate, the response body)."""
    from shared.engine import evaluation as engine
    captured = []
    original = engine.evaluate

    def capture(*args, **kwargs):
        captured.append((args, kwargs))
        return original(*args, **kwargs)

    with _recording(target.app_dsn) as conn:
        engine.evaluate = capture
        try:
            response = _post(router, org, body)
        finally:
            engine.evaluate = original
        statements = list(conn.statements)
    assert len(captured) == 1, f"the engine ran {len(captured)} times"
    return statements, captured[0], json.loads(response.get_body())


def _pick(statements: list, start: str) -> tuple[str, object]:
    found = [s for s in statements if " ".join(s[0].split()).startswith(start)]
    if len(found) != 1:
        raise RuntimeError(f"the endpoint sent {len(found)} statements starting {start!r}")
    return found[0]


def floor_statements(statements: list) -> dict:
    first, commit = statements[0], statements[-1]
    if "SET LOCAL app.organization_id" not in first[0] or commit[0] != "COMMIT":
        raise RuntimeError("the endpoint's first statement is not tenant_transaction's, or its "
                           "last not COMMIT")
    return {"first": first,
            "counter": _pick(statements, "WITH account AS"),
            "admission": _pick(statements, "INSERT INTO audit_logs"),  # with the admission's
            "commit": commit}


# --- timing --------------------------------------------------------------------------------

def _endpoint_runner(router, org: Organization, body: bytes, miss: bool = False):
    from shared.services.evaluations import configurations
    dispatch, headers = router.dispatch, org.headers
    clock = time.perf_counter_ns

    def run(n: int, samples: list) -> None:
        for _ in range(n):
            if miss:  # the configuration read again, as after a write
                configurations.clear()
            started = clock()
            response = dispatch("POST", "/api/admissions", headers, body)
            samples.append(clock() - started)
        assert response.status_code == 201, (response.status_code, response.get_body()[:600])

    return run


def _floor_runner(conn, statements: dict, saved: dict, engine_call, engine_samples: list,
                  sql_samples: list):
    """The engine on the captured dataclasses, then the recorded messages: the first (BEGIN,
    settings, session lookup), the count with the case number, the audit row with the admission
    (its id and case number replaced by new ones), COMMIT."""
    from shared.engine.evaluation import evaluate
    args, kwargs = engine_call
    conn.autocommit = True
    cur = conn.cursor()
    (first, first_vars), (counter, counter_vars), (insert, insert_vars), (commit, _) = (
        statements["first"], statements["counter"], statements["admission"], statements["commit"])
    assert insert_vars is None, "the audit row and the admission are one interpolated message"
    recorded_id, recorded_number = saved["id"], saved["case_number"]
    prefix = recorded_number.rsplit("-", 1)[0] + "-"
    clock = time.perf_counter_ns
    sequence_at = []

    def run(n: int, samples: list) -> None:
        for _ in range(n):
            started = clock()
            evaluate(*args, **kwargs)
            evaluated = clock()
            cur.execute(first, first_vars)
            cur.fetchone()
            cur.execute(counter, counter_vars)
            if not sequence_at:
                sequence_at.append([c.name for c in cur.description].index("case_sequence"))
            case_number = f"{prefix}{cur.fetchone()[sequence_at[0]]:06d}"
            cur.execute(insert.replace(recorded_id, str(uuid.uuid4()))
                        .replace(recorded_number, case_number))
            row = cur.fetchone()
            cur.execute(commit)
            done = clock()
            samples.append(done - started)
            engine_samples.append(evaluated - started)
            sql_samples.append(done - evaluated)
        assert row[1] == case_number, "the floor's INSERT did not return its row"

    return run


def measure(router, dsn: str, org: Organization, body: bytes, statements: dict, saved: dict,
            engine_call, miss: bool = False) -> tuple[float, float, float, float]:
    """Median microseconds per request: (endpoint, floor, floor's engine, floor's SQL). The
    endpoint uses the process's pool as the caller set it up (fresh: warmed below like the
    floor's connection); the floor connects to `dsn`. `miss`: the endpoint's configuration
    cache emptied before each request."""
    conn = psycopg2.connect(dsn)
    try:
        engine_ns, sql_ns = [], []
        endpoint = _endpoint_runner(router, org, body, miss)
        floor = _floor_runner(conn, statements, saved, engine_call, engine_ns, sql_ns)
        endpoint(WARMUP, [])
        floor(WARMUP, [])
        del engine_ns[:], sql_ns[:]
        endpoint_ns, floor_ns = [], []
        for block in range(BLOCKS):
            order = ((endpoint, endpoint_ns), (floor, floor_ns))
            for run, samples in (order if block % 2 == 0 else order[::-1]):
                run(PER_BLOCK, samples)
    finally:
        conn.close()
    return tuple(statistics.median(s) / 1000 for s in (endpoint_ns, floor_ns, engine_ns, sql_ns))


def _short(query: str, width: int = 110) -> str:
    text = " ".join(query.split())
    return text[:width] + ("..." if len(text) > width else "")


# --- the benchmark -------------------------------------------------------------------------

def run(target: Provisioned) -> list[Result]:
    from function_app import app
    from local.router import Router

    from bench.network import ONE_WAY_SECONDS, delayed
    from shared import db

    router = Router(app)
    print("\n== POST /api/admissions: endpoint vs. the engine alone + its INSERTs through "
          "psycopg2 ==")
    org = configure(router, name="Admissions Bench", subdomain="admit-bench")
    print(f"configuration through the endpoints: facility {org.facilities[0]['name']!r}; "
          "Medicare Part A on FY2026 PDPM (urban, wage index 0.9512, VBP 0.99124), Ohio "
          "Medicaid per diem 262.50; a cost model; default business weights")
    results = []
    for case in _cases(org):
        body = json.dumps(case.body).encode()
        _post(router, org, body)  # untimed: the PDPM tables are cached per process after this
        sent, engine_call, saved = record(router, target, org, body)
        statements = floor_statements(sent)
        reused = {id(s) for s in statements.values()}
        print(f"\n-- {case.name}: {len(body)} byte body; saved {saved['case_number']}, score "
              f"{saved['score']}, {saved['recommendation']}, revenue {saved['revenue_total']}, "
              f"margin {saved['margin_pct']}%")
        print(f"the endpoint sends {statement_count(sent)} statements in {round_trips(sent)} "
              "round trips (* = reused by the floor):")
        for statement in sent:
            print(f"  {'*' if id(statement) in reused else ' '} {_short(statement[0])}")
        evaluation_bytes = len(json.dumps(saved["evaluation"]))
        print(f"  the stored evaluation jsonb: {evaluation_bytes} bytes of JSON")
        floor = list(statements.values())
        db.close_pool()
        endpoint_us, floor_us, engine_us, sql_us = measure(router, target.app_dsn, org, body,
                                                           statements, saved, engine_call)
        total = BLOCKS * PER_BLOCK
        print(f"timing: {WARMUP} warm-up requests each, then {total} each in {BLOCKS} "
              f"interleaved blocks of {PER_BLOCK}")
        print(f"endpoint (Router.dispatch -> @endpoint -> services -> engine -> SQL): "
              f"median {endpoint_us / 1000:.2f} ms")
        print(f"floor (engine on prebuilt dataclasses + {statement_count(floor)} statements in "
              f"{round_trips(floor)} round trips): "
              f"median {floor_us / 1000:.2f} ms (engine {engine_us / 1000:.2f} ms, "
              f"SQL {sql_us / 1000:.2f} ms)")
        print(f"ratio endpoint / floor: {endpoint_us / floor_us:.2f}x "
              f"(the endpoint adds {(endpoint_us - floor_us) / 1000:.2f} ms)")
        with delayed(target) as dsn:
            endpoint_net_us, floor_net_us, _, _ = measure(router, dsn, org, body, statements,
                                                          saved, engine_call)
        print(f"through a proxy adding {ONE_WAY_SECONDS * 2000:.0f} ms per round trip: endpoint "
              f"{endpoint_net_us / 1000:.2f} ms, floor {floor_net_us / 1000:.2f} ms, ratio "
              f"{endpoint_net_us / floor_net_us:.2f}x")
        from shared.services.evaluations import configurations
        configurations.clear()
        missed, _, _ = record(router, target, org, body)
        db.close_pool()
        miss_us, miss_floor_us, _, _ = measure(router, target.app_dsn, org, body, statements,
                                               saved, engine_call, miss=True)
        print(f"a miss (the configuration read, as after a write): {statement_count(missed)} "
              f"statements in {round_trips(missed)} round trips; endpoint {miss_us / 1000:.2f} "
              f"ms, floor {miss_floor_us / 1000:.2f} ms, ratio {miss_us / miss_floor_us:.2f}x")
        results.append(Result(case.name, endpoint_us, floor_us, engine_us, sql_us,
                              statement_count(sent), statement_count(floor), round_trips(sent),
                              round_trips(floor), endpoint_net_us, floor_net_us,
                              round_trips(missed), miss_us, miss_floor_us))
    return results
