"""Fill a legacy database (legacy/schema.sql) with realistic data at any volume: users with
Werkzeug hashes of both formats, facilities, payers, rates, cost models, business weights,
admissions over the last three years with decisions, and their audit trail.

Small tables are written row by row; admissions and audit rows are made on the server with
INSERT ... SELECT generate_series, so a million admissions take seconds, not an hour."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from shared import werkzeug_hashes

SCHEMA = Path(__file__).resolve().parent / "schema.sql"
LEGACY_TABLES = ("users", "facilities", "payers", "rates", "cost_models", "business_weights",
                 "admissions", "audit_logs")
# Werkzeug 3's defaults, as a production app would have written them; "fast" keeps the tests'
# fixtures quick with the same formats.
HASH_METHODS = {
    "werkzeug": ("pbkdf2:sha256:600000", "scrypt:32768:8:1"),
    "fast": ("pbkdf2:sha256:1000", "scrypt:1024:8:1"),
}
PAYERS = (("Medicare Part A", "Medicare"), ("Humana Medicare Advantage", "Medicare Advantage"),
          ("Ohio Medicaid", "Medicaid"), ("CareSource Managed Care", "Managed Care"),
          ("Private Pay", "Private Pay"))
FACILITY_NAMES = ("Maple Grove Health & Rehab", "Riverside Care Center", "Oakwood Manor",
                  "Lakeside Nursing", "Cedar Hills Rehab", "Willow Creek SNF")
SERVICES = ("iv_therapy", "wound_vac", "dialysis", "oxygen", "tube_feeding", "isolation")


@dataclass(frozen=True)
class Volume:
    admissions: int = 500
    users: int = 8
    facilities: int = 3
    password: str = "legacy passphrase 2019"
    hashes: str = "werkzeug"
    seed: int = 7
    case_prefix: str = "SNF"


def create_schema(cur) -> None:
    """The legacy tables, on an empty database."""
    cur.execute(SCHEMA.read_text())


def fill(cur, volume: Volume) -> dict[str, int]:
    """Write everything; return the rows per table."""
    rng = random.Random(volume.seed)
    _users(cur, volume, rng)
    _configuration(cur, volume, rng)
    _admissions(cur, volume)
    _audit(cur)
    counts = {}
    for table in LEGACY_TABLES:
        cur.execute(f"SELECT count(*) FROM {table}")  # table names from the constant above
        counts[table] = cur.fetchone()[0]
    return counts


def _users(cur, volume: Volume, rng: random.Random) -> None:
    pbkdf2, scrypt = HASH_METHODS[volume.hashes]
    for n in range(1, volume.users + 1):
        role = "admin" if n <= 2 else "viewer" if n % 4 == 0 else "coordinator"
        email = "admin@legacy-snf.example" if n == 1 else f"user{n}@legacy-snf.example"
        method = pbkdf2 if n % 2 else scrypt   # both formats, the first user pbkdf2
        cur.execute("""
            INSERT INTO users (email, password_hash, role, is_active, last_login, created_at)
            VALUES (%s, %s, %s, %s, now() AT TIME ZONE 'UTC' - %s * interval '1 hour',
                    TIMESTAMP '2019-03-01' + %s * interval '9 days')
        """, (email, werkzeug_hashes.generate(volume.password, method), role,
              n != volume.users or volume.users < 4, rng.randint(1, 2000), n))


def _configuration(cur, volume: Volume, rng: random.Random) -> None:
    for n in range(volume.facilities):
        beds = rng.choice((80, 99, 120, 150, 180))
        cur.execute("""
            INSERT INTO facilities (name, bed_count, state, locality, wage_index,
                                    target_occupancy, current_census)
            VALUES (%s, %s, 'OH', %s, %s, 90, %s)
        """, (FACILITY_NAMES[n % len(FACILITY_NAMES)] + ("" if n < 6 else f" {n // 6 + 1}"),
              beds, "rural" if n % 3 == 2 else "urban", round(rng.uniform(0.85, 1.15), 4),
              int(beds * rng.uniform(0.75, 0.95))))
    for name, kind in PAYERS:
        cur.execute("INSERT INTO payers (name, payer_type) VALUES (%s, %s)", (name, kind))
    # One rate per facility and payer, ids (facility - 1) * payers + payer, in force since 2019.
    for facility in range(1, volume.facilities + 1):
        for payer, (_, kind) in enumerate(PAYERS, start=1):
            by_acuity = kind in ("Medicare Advantage", "Managed Care")
            base = {"Medicare": 620, "Medicaid": 235, "Private Pay": 380}.get(kind, 0)
            acuity = {"low": 300, "moderate": 380, "high": 450, "complex": 600}
            cur.execute("""
                INSERT INTO rates (facility_id, payer_id, rate_type, daily_rate, acuity_rates,
                                   effective_date)
                VALUES (%s, %s, %s, %s, %s, DATE '2019-01-01')
            """, (facility, payer, "acuity" if by_acuity else "per_diem",
                  None if by_acuity else base + rng.randint(-20, 20),
                  json.dumps({k: v + rng.randint(-15, 15) for k, v in acuity.items()})
                  if by_acuity else None))
        cur.execute("""
            INSERT INTO cost_models (facility_id, fixed_daily_cost, nursing_hours, nursing_wage,
                                     therapy_cost_per_day, medication_cost_per_day,
                                     service_costs, supported_services)
            VALUES (%s, %s, '{"low": 2, "moderate": 3, "high": 4, "complex": 5}', %s, 50, 20,
                    '{"iv_therapy": 45, "wound_vac": 60, "oxygen": 12, "tube_feeding": 25,
                      "isolation": 30}', 'iv_therapy,wound_vac,oxygen,tube_feeding,isolation')
        """, (facility, rng.randint(140, 170), rng.randint(38, 46)))
    cur.execute("""
        INSERT INTO business_weights (factor_weights, target_margin, margin_floor,
                                      target_occupancy, payer_preferences, accept_threshold,
                                      review_threshold)
        VALUES ('{"margin": 35, "census": 20, "payer": 15, "clinical": 20, "risk": 10}', 15, -5,
                90, '{"medicare_a": 90, "medicare_advantage": 70, "medicaid": 40,
                      "managed_medicaid": 45, "private_pay": 80, "other": 50}', 70, 50)
    """)


def _admissions(cur, volume: Volume) -> None:
    """Admissions over the three years before now, numbered per year in referral order."""
    cur.execute("SELECT setseed(%s)", (volume.seed / 1000,))
    cur.execute("SELECT count(*) FROM users")
    users = cur.fetchone()[0]
    cur.execute("""
        INSERT INTO admissions (case_number, facility_id, payer_id, rate_id, length_of_stay,
                                acuity, required_services, medication_cost_per_day, referral_date,
                                expected_revenue, expected_cost, margin, margin_pct, score,
                                recommendation, status, decision_reason, decided_at, decided_by,
                                created_by, created_at)
        SELECT %(prefix)s || '-' || extract(year FROM g.received)::int || '-'
                   || lpad((row_number() OVER (PARTITION BY extract(year FROM g.received)
                                               ORDER BY g.received, g.i))::text, 6, '0'),
               g.facility, g.payer, r.id, g.los, g.acuity, g.services, g.medication, g.received,
               v.revenue, v.cost, v.revenue - v.cost,
               round((v.revenue - v.cost) * 100 / v.revenue, 2), g.score,
               CASE WHEN g.score >= 70 THEN 'ACCEPT' WHEN g.score >= 50 THEN 'REVIEW'
                    ELSE 'DECLINE' END,
               g.status,
               CASE WHEN g.status = 'declined' THEN 'financial' END,
               CASE WHEN g.status <> 'pending' THEN g.received + interval '95 minutes' END,
               CASE WHEN g.status <> 'pending' THEN 1 + g.i %% least(%(users)s, 3) END,
               1 + g.i %% %(users)s, g.received + interval '3 minutes'
          FROM (
            SELECT i, 1 + i %% %(facilities)s AS facility, 1 + (i * 7) %% 5 AS payer,
                   5 + (i * 13) %% 56 AS los,
                   (ARRAY['low', 'moderate', 'moderate', 'high', 'complex'])[1 + i %% 5] AS acuity,
                   date_trunc('second', now() AT TIME ZONE 'UTC'
                              - random() * interval '1095 days') AS received,
                   CASE i %% 7 WHEN 0 THEN 'iv_therapy' WHEN 3 THEN 'wound_vac,oxygen'
                               ELSE '' END AS services,
                   CASE WHEN i %% 4 = 0 THEN 35 END::numeric AS medication,
                   round((20 + random() * 75)::numeric, 1) AS score,
                   (ARRAY['pending', 'accepted', 'declined', 'admitted', 'admitted'])[1 + i %% 5]
                       AS status
              FROM generate_series(1, %(n)s) AS i
          ) g
          JOIN rates r ON r.facility_id = g.facility AND r.payer_id = g.payer
          JOIN cost_models cm ON cm.facility_id = g.facility AND cm.is_active
          -- The legacy app's figures: the stay at the rate, the cost model's daily cost.
          CROSS JOIN LATERAL (
            SELECT round(g.los * coalesce(r.daily_rate, (r.acuity_rates ->> g.acuity)::numeric),
                         2) AS revenue,
                   round(g.los * (cm.fixed_daily_cost
                                  + (cm.nursing_hours ->> g.acuity)::numeric * cm.nursing_wage
                                  + cm.therapy_cost_per_day
                                  + coalesce(g.medication, cm.medication_cost_per_day)
                                  + coalesce((SELECT sum((cm.service_costs ->> s)::numeric)
                                                FROM unnest(string_to_array(
                                                         nullif(g.services, ''), ',')) s), 0)),
                         2) AS cost
          ) v
         ORDER BY g.received, g.i
    """, {"prefix": volume.case_prefix, "n": volume.admissions, "users": users,
          "facilities": volume.facilities})


def _audit(cur) -> None:
    """The app's audit trail: each configuration row and admission created, each decision."""
    cur.execute("""
        INSERT INTO audit_logs (user_id, action, table_name, record_id, changes, ip_address,
                                created_at)
        SELECT 1, 'create', t.name, t.id, '{}'::jsonb, '10.0.0.5', TIMESTAMP '2019-01-01'
          FROM (SELECT 'facilities' AS name, id FROM facilities
                UNION ALL SELECT 'payers', id FROM payers
                UNION ALL SELECT 'rates', id FROM rates
                UNION ALL SELECT 'cost_models', id FROM cost_models) t
        UNION ALL
        SELECT a.created_by, 'create', 'admissions', a.id,
               jsonb_build_object('case_number', a.case_number,
                                  'recommendation', a.recommendation),
               '10.0.' || (a.id % 250) || '.' || (1 + a.id % 200), a.created_at
          FROM admissions a
        UNION ALL
        SELECT a.decided_by, 'update', 'admissions', a.id,
               jsonb_build_object('status', a.status), '10.0.1.7', a.decided_at
          FROM admissions a WHERE a.decided_at IS NOT NULL AND a.id % 4 = 0
        ORDER BY 7
    """)
