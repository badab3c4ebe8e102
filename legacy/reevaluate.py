"""A random sample of moved admissions evaluated again by the current engine, through the same
service the API uses (shared.services.evaluations), against the organization's configuration as
it is now. The legacy figures stay as they were; each difference is explained by the part of
the evaluation it comes from."""
from __future__ import annotations

import random
from decimal import Decimal

from pydantic import ValidationError

from legacy.verify import Check
from shared.errors import ProblemError
from shared.models.admissions import ReferralIn
from shared.services.evaluations import evaluate

CENT = Decimal("0.01")


def _sample(cur, org, size: int, rng: random.Random) -> list[dict]:
    cur.execute("SELECT setseed(%s)", (rng.uniform(-1, 1),))
    cur.execute("""
        SELECT a.*, m.legacy_id FROM admissions a
          JOIN legacy_id_map m ON m.organization_id = a.organization_id
           AND m.legacy_table = 'admissions' AND m.new_id = a.id
         WHERE a.organization_id = %s
         ORDER BY random() LIMIT %s""", (org, size))
    return cur.fetchall()


def _row(cur, table: str, org, row_id) -> dict:
    cur.execute(f"SELECT * FROM {table} WHERE organization_id = %s AND id = %s", (org, row_id))
    return cur.fetchone()


def _explain(admission: dict, evaluation, rate: dict) -> list[str]:
    reasons = []
    revenue, cost = evaluation.revenue.total, evaluation.cost.total
    if abs(revenue - admission["revenue_total"]) >= CENT:
        why = ("another rate is in force for that day now" if rate["id"] != admission["rate_id"]
               else f"the product pays {evaluation.revenue.method} day by day "
                    f"(average {evaluation.revenue.per_day_average}/day) where the legacy app "
                    f"used {admission['revenue_total'] / admission['length_of_stay_days']:.2f}/day")
        reasons.append(f"revenue {admission['revenue_total']} -> {revenue}: {why}")
    if abs(cost - admission["cost_total"]) >= CENT:
        parts = evaluation.cost.breakdown
        reasons.append(f"cost {admission['cost_total']} -> {cost}: today's cost model gives "
                       f"{evaluation.cost.per_day}/day (fixed {parts.fixed}, nursing "
                       f"{parts.nursing}, therapy {parts.therapy}, medication {parts.medication},"
                       f" services {sum(parts.services.values(), Decimal(0))}) where the legacy"
                       f" app kept {admission['cost_total'] / admission['length_of_stay_days']:.2f}"
                       "/day")
    if evaluation.recommendation != admission["recommendation"]:
        top = sorted(evaluation.factors, key=lambda f: f.contribution, reverse=True)[:2]
        stops = [s.code for s in evaluation.hard_stops]
        reasons.append(f"recommendation {admission['recommendation']} -> "
                       f"{evaluation.recommendation}: score {admission['score']} -> "
                       f"{evaluation.score} by the product's factors (strongest: "
                       + ", ".join(f"{f.name} {f.contribution}" for f in top) + ")"
                       + (f", hard stops {', '.join(stops)}" if stops else "")
                       + "; the census is today's, not the day's")
    return reasons


def sample_check(cur, org, size: int, rng: random.Random) -> Check:
    check = Check("sample evaluated again by the current engine", True)
    same = 0
    admissions = _sample(cur, org, size, rng)
    for admission in admissions:
        label = f"{admission['case_number']} (legacy id {admission['legacy_id']})"
        facility = _row(cur, "facilities", org, admission["facility_id"])
        payer = _row(cur, "payers", org, admission["payer_id"])
        try:
            referral = ReferralIn(
                payer_id=payer["id"], length_of_stay_days=admission["length_of_stay_days"],
                acuity=admission["acuity"], required_services=admission["required_services"],
                medication_cost_per_day=admission["medication_cost_per_day"],
                referral_received_at=admission["referral_received_at"])
            evaluation, rate = evaluate(cur, org, facility, payer, referral)
        except (ProblemError, ValidationError) as exc:
            detail = getattr(exc, "detail", None) or str(exc).splitlines()[0]
            check.lines.append(f"{label}: cannot be evaluated today: {detail}")
            continue
        reasons = _explain(admission, evaluation, rate)
        if not reasons:
            same += 1
        else:
            check.lines.append(f"{label}: " + "; ".join(reasons))
    check.lines.insert(0, f"ok  {len(admissions)} sampled: {same} evaluate the same today, "
                          f"{len(admissions) - same} differ as explained; the legacy figures "
                          "are kept as they were")
    return check
