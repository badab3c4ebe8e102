"""What the product cannot take from a legacy database, found before anything is written: each
check is a query on the legacy database returning the offending legacy ids. A move starts only
when every check comes back empty, so a broken legacy row never leaves a half-moved
organization behind. Reports name tables and legacy ids, never e-mail addresses or values."""
from __future__ import annotations

from dataclasses import dataclass

from legacy.tables import PAYER_TYPES, ROLES

SHOWN = 5


@dataclass(frozen=True)
class Problem:
    table: str
    rows: int
    what: str
    ids: list[int]

    def __str__(self) -> str:
        shown = ", ".join(str(i) for i in self.ids[:SHOWN])
        more = f" and {len(self.ids) - SHOWN} more" if len(self.ids) > SHOWN else ""
        return f"{self.table}: {self.rows} row{'s' if self.rows != 1 else ''} {self.what} " \
               f"(legacy id{'s' if len(self.ids) != 1 else ''} {shown}{more})"


_PAYER_TYPES = "(" + ", ".join(f"'{t}'" for t in PAYER_TYPES) + ")"
_ROLES = "(" + ", ".join(f"'{r}'" for r in ROLES) + ")"
_MISSING = "NOT EXISTS (SELECT 1 FROM {table} x WHERE x.id = a.{column})"

CHECKS: tuple[tuple[str, str, str], ...] = (
    ("users", "share an e-mail address with another user (differing at most in case)", """
        SELECT id FROM users WHERE lower(email) IN (
            SELECT lower(email) FROM users GROUP BY lower(email) HAVING count(*) > 1)"""),
    ("users", f"have a role the product does not know (expected one of {', '.join(ROLES)})",
     f"SELECT id FROM users WHERE role NOT IN {_ROLES}"),
    ("users", "have an e-mail address shorter than 3 or longer than 254 characters",
     "SELECT id FROM users WHERE length(email) NOT BETWEEN 3 AND 254"),
    ("facilities", "have a bed count outside 1-2000 or a census outside 0-beds",
     "SELECT id FROM facilities WHERE bed_count NOT BETWEEN 1 AND 2000"
     " OR current_census NOT BETWEEN 0 AND bed_count"),
    ("facilities", "have a state, locality, wage index or target occupancy out of range", """
        SELECT id FROM facilities
         WHERE (state IS NOT NULL AND upper(state) !~ '^[A-Z]{2}$')
            OR locality NOT IN ('urban', 'rural') OR NOT (wage_index > 0 AND wage_index < 5)
            OR NOT (target_occupancy > 0 AND target_occupancy <= 100)
            OR length(name) NOT BETWEEN 1 AND 120"""),
    ("facilities", "are active and share a name (any case) with another active facility", """
        SELECT id FROM facilities WHERE is_active AND lower(name) IN (
            SELECT lower(name) FROM facilities WHERE is_active
             GROUP BY lower(name) HAVING count(*) > 1)"""),
    ("payers", f"have a payer type the product does not know (expected one of "
               f"{', '.join(PAYER_TYPES)})",
     f"SELECT id FROM payers WHERE payer_type NOT IN {_PAYER_TYPES}"),
    ("payers", "are active and share a name (any case) with another active payer", """
        SELECT id FROM payers WHERE is_active AND lower(name) IN (
            SELECT lower(name) FROM payers WHERE is_active
             GROUP BY lower(name) HAVING count(*) > 1)"""),
    ("rates", "are neither a per diem with an amount nor by acuity with amounts, or end "
              "before they start", """
        SELECT id FROM rates
         WHERE NOT ((rate_type = 'per_diem' AND daily_rate >= 0)
                    OR (rate_type = 'acuity' AND jsonb_typeof(acuity_rates) = 'object'))
            OR end_date < effective_date"""),
    ("cost_models", "have a negative amount, or nursing hours or service costs that are not "
                    "an object", """
        SELECT id FROM cost_models
         WHERE least(fixed_daily_cost, nursing_wage, therapy_cost_per_day,
                     medication_cost_per_day) < 0
            OR jsonb_typeof(nursing_hours) <> 'object'
            OR jsonb_typeof(service_costs) <> 'object'"""),
    ("cost_models", "are a second active cost model of one facility", """
        SELECT id FROM cost_models WHERE is_active AND facility_id IN (
            SELECT facility_id FROM cost_models WHERE is_active
             GROUP BY facility_id HAVING count(*) > 1)"""),
    ("business_weights", "are more than the one row the product keeps, or have a review "
                         "threshold above the accept threshold", """
        SELECT id FROM business_weights
         WHERE (SELECT count(*) FROM business_weights) > 1
            OR review_threshold > accept_threshold"""),
    ("admissions", "point at a facility that does not exist",
     "SELECT a.id FROM admissions a WHERE " + _MISSING.format(table="facilities",
                                                              column="facility_id")),
    ("admissions", "point at a payer that does not exist",
     "SELECT a.id FROM admissions a WHERE " + _MISSING.format(table="payers",
                                                              column="payer_id")),
    ("admissions", "point at a rate that does not exist",
     "SELECT a.id FROM admissions a WHERE " + _MISSING.format(table="rates", column="rate_id")),
    ("admissions", "use a rate of another facility or payer than their own", """
        SELECT a.id FROM admissions a JOIN rates r ON r.id = a.rate_id
         WHERE r.facility_id <> a.facility_id OR r.payer_id <> a.payer_id"""),
    ("admissions", "were created or decided by a user who does not exist", """
        SELECT a.id FROM admissions a
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.created_by)
            OR (a.decided_by IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.decided_by))"""),
    ("admissions", "have a length of stay outside 1-365 days, or an unknown acuity, "
                   "recommendation or status", """
        SELECT id FROM admissions
         WHERE length_of_stay NOT BETWEEN 1 AND 365
            OR acuity NOT IN ('low', 'moderate', 'high', 'complex')
            OR lower(recommendation) NOT IN ('accept', 'review', 'decline')
            OR status NOT IN ('pending', 'accepted', 'declined', 'admitted', 'not_admitted')"""),
)


def problems(legacy_cur, owner_email: str | None = None) -> list[Problem]:
    """Every problem found, in the order of CHECKS; empty when the move may start."""
    found = []
    for table, what, query in CHECKS:
        legacy_cur.execute(f"SELECT id FROM ({query}) q ORDER BY id")
        ids = [row[0] for row in legacy_cur.fetchall()]
        if ids:
            found.append(Problem(table, len(ids), what, ids))
    if owner_email is not None:
        legacy_cur.execute("SELECT id, is_active, role FROM users WHERE lower(email) = lower(%s)",
                           (owner_email,))
        owners = legacy_cur.fetchall()
        if len(owners) != 1 or not owners[0][1]:
            found.append(Problem("users", len(owners), "match the owner's e-mail given with "
                                 "--owner-email, where exactly one active user must",
                                 [row[0] for row in owners]))
    return found


def counts(legacy_cur, tables) -> dict[str, int]:
    """Rows per legacy table (the names come from legacy.tables, never from input)."""
    result = {}
    for table in tables:
        legacy_cur.execute(f"SELECT count(*) FROM {table}")
        result[table] = legacy_cur.fetchone()[0]
    return result
