"""Proof of a move: the legacy database against the organization it became. Each check gives
lines for the report and whether it passed; any failed check makes the command exit non-zero.

Checks: rows per table, every mapped row present in the organization, every foreign key valid,
the sums of every money column, the case numbers, every legacy user with the same e-mail, role
(the one owner named at the move excepted, reported) and active flag, and a random sample of
admissions evaluated again by the current engine. The legacy figures are kept as they were:
differences in the sample are explained, not failures."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from legacy.connections import ToolError, connect, open_import, transaction
from legacy.tables import TABLES


@dataclass
class Check:
    name: str
    passed: bool
    lines: list[str] = field(default_factory=list)


# (legacy table, legacy expression, product table, product expression): amounts that must sum
# to the same total on both sides.
MONEY = (
    ("rates", "daily_rate", "rates", "per_diem"),
    ("rates", "(SELECT sum(v::numeric) FROM jsonb_each_text(acuity_rates) e(k, v))", "rates",
     "(SELECT sum(v::numeric) FROM jsonb_each_text(acuity_rates) e(k, v))"),
    ("cost_models", "fixed_daily_cost", "cost_models", "fixed_daily_cost"),
    ("cost_models", "nursing_wage", "cost_models", "nursing_wage_hourly"),
    ("cost_models", "therapy_cost_per_day", "cost_models", "therapy_cost_per_day"),
    ("cost_models", "medication_cost_per_day", "cost_models", "default_medication_cost_per_day"),
    ("cost_models", "(SELECT sum(v::numeric) FROM jsonb_each_text(service_costs) e(k, v))",
     "cost_models", "(SELECT sum(v::numeric) FROM jsonb_each_text(service_costs) e(k, v))"),
    ("admissions", "expected_revenue", "admissions", "revenue_total"),
    ("admissions", "expected_cost", "admissions", "cost_total"),
    ("admissions", "margin", "admissions", "margin"),
    ("admissions", "medication_cost_per_day", "admissions", "medication_cost_per_day"),
)
# (table, column, referenced table): the foreign keys of what a move writes.
REFERENCES = (
    ("rates", "facility_id", "facilities"), ("rates", "payer_id", "payers"),
    ("cost_models", "facility_id", "facilities"), ("admissions", "facility_id", "facilities"),
    ("admissions", "payer_id", "payers"), ("admissions", "rate_id", "rates"),
    ("admissions", "created_by", "users"), ("admissions", "decided_by", "users"),
    ("audit_logs", "user_id", "users"),
)


def _one(cur, query: str, params=None):
    cur.execute(query, params)
    row = cur.fetchone()
    return row[0] if not isinstance(row, dict) else next(iter(row.values()))


def _moved(table: str, alias: str = "x") -> str:
    """A condition admitting only the rows the move wrote (their new id is mapped), so that
    work done in the product after the move does not count as a difference."""
    key = "organization_id" if table == "business_weights" else "id"
    return (f"{alias}.{key} IN (SELECT m.new_id FROM legacy_id_map m WHERE m.organization_id = "
            f"%(org)s AND m.legacy_table = '{table}')")


def _counts(lcur, tcur, org) -> Check:
    check = Check("rows per table", True)
    for table in TABLES:
        legacy_n = _one(lcur, f"SELECT count(*) FROM {table.name}")
        mapped = _one(tcur, "SELECT count(*) FROM legacy_id_map WHERE organization_id = %(org)s"
                            " AND legacy_table = %(table)s", {"org": org, "table": table.name})
        moved = _one(tcur, f"SELECT count(*) FROM {table.name} x WHERE x.organization_id = "
                           f"%(org)s AND {_moved(table.name)}", {"org": org})
        total = _one(tcur, f"SELECT count(*) FROM {table.name} WHERE organization_id = %(org)s",
                     {"org": org})
        ok = legacy_n == mapped == moved
        check.passed &= ok
        since = total - moved - (2 if table.name == "audit_logs" else 0)  # the move's own two
        check.lines.append(f"{'ok ' if ok else 'DIFF'} {table.name:<17} legacy {legacy_n:>10,}"
                           f"  moved {moved:>10,}  mapped {mapped:>10,}"
                           + (f"  (+{since:,} made in the product since)" if since else ""))
    return check


def _organization(tcur, org) -> Check:
    check = Check("every row in the organization", True)
    for table in TABLES:
        key = "organization_id" if table.name == "business_weights" else "id"
        missing = _one(tcur, f"""
            SELECT count(*) FROM legacy_id_map m
             WHERE m.organization_id = %s AND m.legacy_table = %s
               AND NOT EXISTS (SELECT 1 FROM {table.name} x
                                WHERE x.organization_id = m.organization_id
                                  AND x.{key} = m.new_id)""", (org, table.name))
        if missing:
            check.passed = False
            check.lines.append(f"DIFF {table.name}: {missing} mapped rows are not in the "
                               "organization")
    not_null = _one(tcur, """
        SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relname = ANY(%s) AND a.attname = 'organization_id' AND NOT a.attnotnull""",
                    ([t.name for t in TABLES],))
    if not_null:
        check.passed = False
        check.lines.append(f"DIFF {not_null} tables allow a row without an organization")
    if check.passed:
        check.lines.append("ok  every mapped row is the organization's; organization_id is "
                           "NOT NULL in every table")
    return check


def _references(tcur, org) -> Check:
    check = Check("foreign keys", True)
    for table, column, parent in REFERENCES:
        broken = _one(tcur, f"""
            SELECT count(*) FROM {table} t
             WHERE t.organization_id = %s AND t.{column} IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.organization_id = t.organization_id
                                  AND p.id = t.{column})""", (org,))
        if broken:
            check.passed = False
            check.lines.append(f"DIFF {table}.{column}: {broken} rows point at no {parent} row")
    unvalidated = _one(tcur, """
        SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated
           AND conrelid::regclass::text = ANY(%s)""", ([t.name for t in TABLES],))
    if unvalidated:
        check.passed = False
        check.lines.append(f"DIFF {unvalidated} foreign keys are not validated")
    if check.passed:
        check.lines.append(f"ok  {len(REFERENCES)} references checked row by row; every "
                           "foreign key constraint validated")
    return check


def _money(lcur, tcur, org) -> Check:
    check = Check("sums of money columns", True)
    for ltable, lexpr, ptable, pexpr in MONEY:
        legacy_sum = _one(lcur, f"SELECT coalesce(sum({lexpr}), 0) FROM {ltable}")
        product_sum = _one(tcur, f"SELECT coalesce(sum({pexpr}), 0) FROM {ptable} x"
                                 f" WHERE x.organization_id = %(org)s AND {_moved(ptable)}",
                           {"org": org})
        ok = Decimal(legacy_sum) == Decimal(product_sum)
        check.passed &= ok
        label = f"{ltable}.{lexpr if lexpr.isidentifier() else 'json amounts'}"
        check.lines.append(f"{'ok ' if ok else 'DIFF'} {label:<40} legacy {legacy_sum:>16,.2f}"
                           f"  product {product_sum:>16,.2f}")
    return check


def _case_numbers(lcur, tcur, org) -> Check:
    query = ("SELECT count(*), md5(coalesce(string_agg(case_number, ',' ORDER BY case_number),"
             " ''))")
    lcur.execute(query + " FROM admissions")
    legacy_n, legacy_md5 = lcur.fetchone()
    tcur.execute(query + f" AS digest FROM admissions x WHERE x.organization_id = %(org)s"
                 f" AND {_moved('admissions')}", {"org": org})
    row = tcur.fetchone()
    ok = (legacy_n, legacy_md5) == (row["count"], row["digest"])
    return Check("case numbers", ok, [f"{'ok ' if ok else 'DIFF'} {legacy_n:,} legacy case "
                                      f"numbers, {row['count']:,} in the product, "
                                      + ("the same set" if ok else "NOT the same set")])


def _users(lcur, tcur, org) -> Check:
    check = Check("users", True)
    lcur.execute("SELECT id, lower(email), role, is_active FROM users ORDER BY id")
    legacy_users = lcur.fetchall()
    tcur.execute("""
        SELECT m.legacy_id, lower(u.email) AS email, u.role, u.is_active FROM legacy_id_map m
          JOIN users u ON u.organization_id = m.organization_id AND u.id = m.new_id
         WHERE m.organization_id = %s AND m.legacy_table = 'users'""", (org,))
    product = {row["legacy_id"]: row for row in tcur.fetchall()}
    missing, different, owners = [], [], []
    for legacy_id, email, role, active in legacy_users:
        moved = product.get(legacy_id)
        if moved is None:
            missing.append(legacy_id)
        elif moved["email"] != email or moved["is_active"] != active or (
                moved["role"] != role and moved["role"] != "owner"):
            different.append(legacy_id)
        elif moved["role"] == "owner":
            owners.append(f"legacy user {legacy_id} ({role}) is the owner, as named at the move")
    check.passed = not missing and not different and len(owners) == 1
    check.lines.append(f"{'ok ' if check.passed else 'DIFF'} {len(legacy_users)} legacy users, "
                       f"{len(legacy_users) - len(missing)} present, "
                       f"{len(different)} with another e-mail, role or active flag")
    check.lines += [f"     {line}" for line in owners]
    if missing:
        check.lines.append(f"DIFF missing legacy user ids: {missing[:20]}")
    if different:
        check.lines.append(f"DIFF differing legacy user ids: {different[:20]}")
    return check


def verify(legacy_dsn: str, target_dsn: str, subdomain: str, sample: int = 20,
           seed: int | None = None) -> list[Check]:
    """Run every check; ToolError when there is nothing to verify."""
    legacy = connect(legacy_dsn, "legacy", read_only=True)
    target = connect(target_dsn, "product")
    try:
        record = open_import(target, subdomain)
        if record is None:
            raise ToolError(f"No move of {subdomain!r} is recorded (or it was rolled back).", 2)
        org = record["imported_organization_id"]
        with legacy.cursor() as lcur, transaction(target, organization_id=org) as tcur:
            checks = [Check("move finished", record["finished_at"] is not None, [
                f"{'ok ' if record['finished_at'] else 'DIFF'} started "
                f"{record['started_at']:%Y-%m-%d %H:%M} UTC by {record['started_by']}, "
                + (f"finished {record['finished_at']:%Y-%m-%d %H:%M} UTC"
                   if record["finished_at"] else "NOT finished: run the migration again")])]
            checks += [_counts(lcur, tcur, org), _organization(tcur, org),
                       _references(tcur, org), _money(lcur, tcur, org),
                       _case_numbers(lcur, tcur, org), _users(lcur, tcur, org)]
            from legacy.reevaluate import sample_check
            checks.append(sample_check(tcur, org, sample, random.Random(seed)))
        legacy.rollback()
        return checks
    finally:
        legacy.close()
        target.close()


def report(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"== {check.name}: {'passed' if check.passed else 'FAILED'}")
        lines += [f"   {line}" for line in check.lines]
    failed = [c.name for c in checks if not c.passed]
    lines.append("VERIFIED: the move is complete and consistent." if not failed
                 else f"NOT VERIFIED: {len(failed)} check(s) failed: {', '.join(failed)}.")
    return "\n".join(lines)
