"""The plan's limit check on POST /api/admissions: the same endpoint with and without it, side
by side in one run.

With: the organization on Enterprise with a contract limit of a billion admissions a month, so
the check runs in full (one statement reads the account with its plan and upserts the month's
counter under the limit) and never refuses. Without: the service's one call to `limits.count_admission` swapped,
for this benchmark only, for what the endpoint needs without limits (the organization's
subdomain and the case number, in one statement as with them). Medicaid per diem, 45 days: the cheapest evaluation, so the
check weighs the most."""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

from bench.admissions_create import BLOCKS, PER_BLOCK, WARMUP, _cases, _endpoint_runner
from bench.organization import configure
from local.database import Provisioned


@dataclass(frozen=True)
class LimitResult:
    with_us: float
    without_us: float
    plan: str

    @property
    def ratio(self) -> float:
        return self.with_us / self.without_us


def _counter_plan(target: Provisioned, organization_id) -> str:
    import psycopg2
    conn = psycopg2.connect(target.app_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('app.organization_id', %s, true)",
                        (str(organization_id),))
            cur.execute("""
                EXPLAIN INSERT INTO usage_periods (organization_id, period_start, admissions)
                VALUES (%s, date_trunc('month', now() AT TIME ZONE 'UTC')::date, 1)
                ON CONFLICT (organization_id, period_start) DO UPDATE
                   SET admissions = usage_periods.admissions + 1
                 WHERE usage_periods.admissions < 1000000000 RETURNING admissions
            """, (str(organization_id),))
            plan = " / ".join(row[0].strip() for row in cur.fetchall())
        conn.rollback()
    finally:
        conn.close()
    return plan


def run(target: Provisioned) -> LimitResult:
    from function_app import app
    from local.router import Router
    from shared import db
    from shared.repositories import admissions
    from shared.services import limits, operator

    router = Router(app)
    print("\n== POST /api/admissions with the plan's limit check vs without it ==")
    org = configure(router, name="Limits Bench", subdomain="limit-bench")
    operator.set_enterprise("limit-bench", "bench", max_admissions=1_000_000_000)
    case = next(c for c in _cases(org) if c.name.startswith("Medicaid"))
    body = json.dumps(case.body).encode()
    checked = limits.count_admission

    def unchecked(cur, organization_id, case_year):
        """What a create needs without limits: the subdomain and the case number, in one
        statement as the checked one is."""
        cur.execute(f"""
            WITH numbered AS ({admissions.NEXT_CASE_SEQUENCE})
            SELECT o.subdomain, numbered.last_value AS case_sequence
              FROM organizations o CROSS JOIN numbered WHERE o.id = %(organization_id)s
        """, {"organization_id": organization_id, "year": case_year})
        return cur.fetchone()

    endpoint = _endpoint_runner(router, org, body)
    db.close_pool()
    endpoint(WARMUP, [])
    with_ns, without_ns = [], []
    try:
        for block in range(BLOCKS):
            order = ((checked, with_ns), (unchecked, without_ns))
            for check, samples in (order if block % 2 == 0 else order[::-1]):
                limits.count_admission = check
                endpoint(PER_BLOCK, samples)
    finally:
        limits.count_admission = checked
    with_us, without_us = (statistics.median(s) / 1000 for s in (with_ns, without_ns))
    plan = _counter_plan(target, org.organization_id)
    print(f"{case.name}: {BLOCKS * PER_BLOCK} requests each in {BLOCKS} interleaved blocks")
    print(f"with the check: median {with_us / 1000:.2f} ms; without: {without_us / 1000:.2f} ms; "
          f"ratio {with_us / without_us:.3f}x")
    print(f"the counter's plan: {plan}")
    return LimitResult(with_us, without_us, plan)
