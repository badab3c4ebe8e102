"""What each legacy table becomes, in the order a move copies them (parents before children).

Each table is copied in chunks of legacy ids: the legacy SELECT (COPY ... TO STDOUT), the staging
table it lands in (COPY ... FROM STDIN: row-level security forbids COPY into the tenant tables
themselves), and the statements that, in the same transaction, give every row its new id in
legacy_id_map and insert it into the product's table with its foreign keys looked up there.
Legacy timestamps are naive UTC; they become timestamptz on the way out."""
from __future__ import annotations

from dataclasses import dataclass

# Legacy payer types -> the product's (shared.catalog.PAYER_TYPES).
PAYER_TYPES = {"Medicare": "medicare_a", "Medicare Advantage": "medicare_advantage",
               "Medicaid": "medicaid", "Managed Care": "managed_medicaid",
               "Commercial": "commercial", "Private Pay": "private_pay", "VA": "va",
               "Hospice": "hospice", "Other": "other"}
# Legacy roles are the product's; one user, named by the operator, becomes the owner.
ROLES = ("admin", "coordinator", "viewer")
OBJECT_TYPES = {"users": "user", "facilities": "facility", "payers": "payer", "rates": "rate",
                "cost_models": "cost_model", "business_weights": "business_weights",
                "admissions": "admission"}
# The legacy app kept totals only: the breakdown is zeros and the note says why.
ZERO_BREAKDOWN = '{"fixed": 0, "nursing": 0, "therapy": 0, "services": {}, "medication": 0}'
LEGACY_NOTE = ("Moved from the legacy application: its figures are kept as they were; it kept "
               "no per-day or per-item breakdown.")


@dataclass(frozen=True)
class Table:
    name: str               # legacy and product table (they share names)
    select: str             # legacy columns, in the staging table's order after legacy_id
    stage: str              # staging columns (legacy_id bigint first, new_id added)
    inserts: tuple[str, ...]  # run after each chunk is staged, with %(organization_id)s


def _map(table: str) -> str:
    return f"""
        INSERT INTO legacy_id_map (organization_id, legacy_table, legacy_id, new_id)
        SELECT %(organization_id)s, '{table}', legacy_id, new_id FROM stage_{table}"""


def _ref(alias: str, table: str, column: str) -> str:
    """A join to the new id of a legacy foreign key."""
    return (f"legacy_id_map {alias} ON {alias}.organization_id = %(organization_id)s"
            f" AND {alias}.legacy_table = '{table}' AND {alias}.legacy_id = s.{column}")


_PAYER_CASE = "CASE s.payer_type " + " ".join(
    f"WHEN '{legacy}' THEN '{product}'" for legacy, product in PAYER_TYPES.items()) + " END"
_OBJECT_CASE = "CASE s.table_name " + " ".join(
    f"WHEN '{legacy}' THEN '{product}'" for legacy, product in OBJECT_TYPES.items()) + (
    " ELSE s.table_name END")
_UTC = "AT TIME ZONE 'UTC'"
# Addresses that cast to inet; anything else the legacy app stored is dropped (NULL).
_OCTET = "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])"
_IPV4 = f"^({_OCTET}\\.){{3}}{_OCTET}$"

TABLES = (
    Table("users",
          f"id, email, password_hash, role, is_active, last_login {_UTC}, created_at {_UTC}",
          "email text, password_hash text, role text, is_active boolean, "
          "last_login timestamptz, created_at timestamptz",
          (_map("users"), """
        INSERT INTO users (organization_id, id, email, password_hash, role, is_active,
                           last_login_at, created_at, updated_at, password_changed_at)
        SELECT %(organization_id)s, s.new_id, s.email, s.password_hash,
               CASE WHEN lower(s.email) = lower(%(owner_email)s) THEN 'owner' ELSE s.role END,
               s.is_active, s.last_login, s.created_at, now(), s.created_at
          FROM stage_users s""")),
    Table("facilities",
          "id, name, bed_count, upper(state), locality, wage_index, target_occupancy, "
          f"current_census, is_active, created_at {_UTC}",
          "name text, bed_count integer, state text, locality text, wage_index numeric, "
          "target_occupancy numeric, current_census integer, is_active boolean, "
          "created_at timestamptz",
          (_map("facilities"), """
        INSERT INTO facilities (organization_id, id, name, bed_count, state, locality,
                                wage_index, target_occupancy_pct, current_census, is_active,
                                created_at, updated_at)
        SELECT %(organization_id)s, s.new_id, s.name, s.bed_count, s.state, s.locality,
               s.wage_index, s.target_occupancy, s.current_census, s.is_active, s.created_at,
               now()
          FROM stage_facilities s""")),
    Table("payers", f"id, name, payer_type, is_active, created_at {_UTC}",
          "name text, payer_type text, is_active boolean, created_at timestamptz",
          (_map("payers"), f"""
        INSERT INTO payers (organization_id, id, name, payer_type, is_active, created_at,
                            updated_at)
        SELECT %(organization_id)s, s.new_id, s.name, {_PAYER_CASE}, s.is_active,
               s.created_at, now()
          FROM stage_payers s""")),
    Table("rates",
          "id, facility_id, payer_id, rate_type, daily_rate, acuity_rates, effective_date, "
          f"end_date, is_active, created_at {_UTC}",
          "facility_id bigint, payer_id bigint, rate_type text, daily_rate numeric, "
          "acuity_rates jsonb, effective_date date, end_date date, is_active boolean, "
          "created_at timestamptz",
          (_map("rates"), f"""
        INSERT INTO rates (organization_id, id, facility_id, payer_id, method, effective_from,
                           effective_to, per_diem, acuity_rates, is_active, created_at,
                           updated_at)
        SELECT %(organization_id)s, s.new_id, f.new_id, p.new_id, s.rate_type,
               s.effective_date, s.end_date,
               CASE WHEN s.rate_type = 'per_diem' THEN s.daily_rate END,
               CASE WHEN s.rate_type = 'acuity' THEN s.acuity_rates END,
               s.is_active, s.created_at, now()
          FROM stage_rates s
          JOIN {_ref("f", "facilities", "facility_id")}
          JOIN {_ref("p", "payers", "payer_id")}""")),
    Table("cost_models",
          "id, facility_id, fixed_daily_cost, nursing_hours, nursing_wage, "
          "therapy_cost_per_day, medication_cost_per_day, service_costs, supported_services, "
          f"is_active, created_at {_UTC}",
          "facility_id bigint, fixed_daily_cost numeric, nursing_hours jsonb, "
          "nursing_wage numeric, therapy_cost_per_day numeric, medication_cost_per_day numeric, "
          "service_costs jsonb, supported_services text, is_active boolean, "
          "created_at timestamptz",
          (_map("cost_models"), f"""
        INSERT INTO cost_models (organization_id, id, facility_id, fixed_daily_cost,
                                 nursing_hours_per_day, nursing_wage_hourly,
                                 therapy_cost_per_day, default_medication_cost_per_day,
                                 service_costs, supported_services, is_active, created_at,
                                 updated_at)
        SELECT %(organization_id)s, s.new_id, f.new_id, s.fixed_daily_cost, s.nursing_hours,
               s.nursing_wage, s.therapy_cost_per_day, s.medication_cost_per_day,
               s.service_costs,
               coalesce(string_to_array(nullif(s.supported_services, ''), ','), '{{}}'),
               s.is_active, s.created_at, now()
          FROM stage_cost_models s
          JOIN {_ref("f", "facilities", "facility_id")}""")),
    # One row per organization in the product: its new id is the organization's.
    Table("business_weights",
          "id, factor_weights, target_margin, margin_floor, target_occupancy, "
          f"payer_preferences, accept_threshold, review_threshold, updated_at {_UTC}",
          "factor_weights jsonb, target_margin numeric, margin_floor numeric, "
          "target_occupancy numeric, payer_preferences jsonb, accept_threshold numeric, "
          "review_threshold numeric, updated_at timestamptz",
          ("UPDATE stage_business_weights SET new_id = %(organization_id)s",
           _map("business_weights"), """
        INSERT INTO business_weights (organization_id, factor_weights, target_margin_pct,
                                      margin_floor_pct, target_occupancy_pct,
                                      payer_preferences, accept_threshold, review_threshold,
                                      updated_at)
        SELECT %(organization_id)s, s.factor_weights, s.target_margin, s.margin_floor,
               s.target_occupancy, s.payer_preferences, s.accept_threshold,
               s.review_threshold, s.updated_at
          FROM stage_business_weights s""")),
    Table("admissions",
          "id, case_number, facility_id, payer_id, rate_id, length_of_stay, acuity, "
          f"required_services, medication_cost_per_day, referral_date {_UTC}, expected_revenue, "
          "expected_cost, margin, margin_pct, score, lower(recommendation), status, "
          f"decision_reason, decided_at {_UTC}, decided_by, created_by, created_at {_UTC}",
          "case_number text, facility_id bigint, payer_id bigint, rate_id bigint, los integer, "
          "acuity text, services text, medication numeric, received timestamptz, "
          "revenue numeric, cost numeric, margin numeric, margin_pct numeric, score numeric, "
          "recommendation text, status text, decision_reason text, decided_at timestamptz, "
          "decided_by bigint, created_by bigint, created_at timestamptz",
          (_map("admissions"), f"""
        INSERT INTO admissions (organization_id, id, case_number, facility_id, payer_id, rate_id,
                                length_of_stay_days, acuity, required_services,
                                medication_cost_per_day, referral_received_at, revenue_total,
                                cost_total, margin, margin_pct, score, recommendation,
                                evaluation, status, decision_reason, decided_at, decided_by,
                                turnaround_minutes, created_by, created_at, updated_at)
        WITH rate_parts AS (
            -- What every admission of a rate shares in its evaluation, built once per rate.
            SELECT m.legacy_id, m.new_id,
                   jsonb_build_object(
                       'facility', jsonb_build_object('id', tf.id, 'name', tf.name),
                       'payer', jsonb_build_object('id', tp.id, 'name', tp.name,
                                                   'payer_type', tp.payer_type),
                       'rate', jsonb_build_object('id', tr.id, 'method', tr.method,
                                                  'effective_from', tr.effective_from,
                                                  'effective_to', tr.effective_to),
                       'factors', '[]'::jsonb, 'hard_stops', '[]'::jsonb,
                       'assumptions', jsonb_build_array(%(note)s)) AS parts,
                   jsonb_build_object('method', tr.method, 'days', '[]'::jsonb,
                                      'pdpm', NULL) AS revenue
              FROM legacy_id_map m
              JOIN rates tr ON tr.organization_id = m.organization_id AND tr.id = m.new_id
              JOIN facilities tf ON tf.organization_id = tr.organization_id
               AND tf.id = tr.facility_id
              JOIN payers tp ON tp.organization_id = tr.organization_id AND tp.id = tr.payer_id
             WHERE m.organization_id = %(organization_id)s AND m.legacy_table = 'rates')
        SELECT %(organization_id)s, s.new_id, s.case_number, f.new_id, p.new_id, r.new_id,
               s.los, s.acuity, coalesce(string_to_array(nullif(s.services, ''), ','), '{{}}'),
               s.medication, s.received, s.revenue, s.cost, s.margin, s.margin_pct, s.score,
               s.recommendation,
               r.parts || jsonb_build_object(
                   'length_of_stay_days', s.los,
                   'revenue', r.revenue || jsonb_build_object(
                       'total', s.revenue, 'per_day_average', round(s.revenue / s.los, 2)),
                   'cost', jsonb_build_object('per_day', round(s.cost / s.los, 2),
                                              'total', s.cost, 'breakdown', %(breakdown)s::jsonb),
                   'margin', s.margin, 'margin_pct', s.margin_pct, 'score', s.score,
                   'recommendation', s.recommendation),
               s.status, s.decision_reason, s.decided_at, d.new_id,
               CASE WHEN s.decided_at IS NOT NULL
                    THEN greatest(0, floor(extract(epoch FROM s.decided_at - s.received) / 60))
               END,
               c.new_id, s.created_at, now()
          FROM stage_admissions s
          JOIN rate_parts r ON r.legacy_id = s.rate_id
          JOIN {_ref("f", "facilities", "facility_id")}
          JOIN {_ref("p", "payers", "payer_id")}
          JOIN {_ref("c", "users", "created_by")}
          LEFT JOIN {_ref("d", "users", "decided_by")}""",
           # The next case number of each year follows the highest one moved in, whatever its
           # prefix, so SUBDOMAIN-YYYY-NNNNNN never repeats a legacy number.
           """
        INSERT INTO case_number_counters (organization_id, year, last_value)
        SELECT %(organization_id)s, (m[1])::int, max((m[2])::int)
          FROM (SELECT regexp_match(case_number, '-([0-9]{4})-([0-9]{1,9})$') AS m
                  FROM stage_admissions) numbers
         WHERE m IS NOT NULL
         GROUP BY (m[1])::int
        ON CONFLICT (organization_id, year) DO UPDATE
           SET last_value = greatest(case_number_counters.last_value, excluded.last_value)""")),
    # History as it was: who, what, when, from where; the object by its new id when it was
    # moved, and the legacy table and id in `changes` always (also for deleted objects).
    Table("audit_logs",
          f"id, user_id, action, table_name, record_id, changes, ip_address, created_at {_UTC}",
          "user_id bigint, action text, table_name text, record_id bigint, changes jsonb, "
          "ip_address text, created_at timestamptz",
          (_map("audit_logs"), f"""
        INSERT INTO audit_logs (organization_id, id, occurred_at, user_id, action, object_type,
                                object_id, source_address, request_id, changes)
        SELECT %(organization_id)s, s.new_id, s.created_at, u.new_id,
               {_OBJECT_CASE} || '.' || s.action, {_OBJECT_CASE}, o.new_id,
               CASE WHEN s.ip_address ~ '{_IPV4}' THEN s.ip_address::inet END,
               'legacy-import',
               jsonb_build_object('legacy_table', s.table_name, 'legacy_id', s.record_id,
                                  'legacy_user_id', s.user_id)
                   || CASE WHEN jsonb_typeof(s.changes) = 'object' THEN s.changes
                           ELSE '{{}}'::jsonb END
          FROM stage_audit_logs s
          LEFT JOIN {_ref("u", "users", "user_id")}
          LEFT JOIN legacy_id_map o ON o.organization_id = %(organization_id)s
                AND o.legacy_table = s.table_name AND o.legacy_id = s.record_id""")),
)
BY_NAME = {table.name: table for table in TABLES}
