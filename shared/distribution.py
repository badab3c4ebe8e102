"""The distribution step: where the `citus` extension exists, place every table on the cluster.

shared.migrate runs it after the migrations; it does nothing on plain PostgreSQL, and on Citus
it places only what is not yet placed, so it runs after every migration (a new tenant table
gets distributed the next time) and on a database that already holds data (Citus copies the
rows into the shards).

- Every table with an `organization_id` column is distributed by it, all co-located, so one
  organization's rows of every table sit on one worker and its queries, joins and foreign keys
  stay on that worker.
- REFERENCE_TABLES are copied to every node: the shared reference data (PDPM, plans,
  coinsurance) and `organizations`. `organizations` is a reference table, not distributed by
  `id`, because Citus allows a unique index only when it includes the distribution column: as a
  reference table it keeps `lower(subdomain)` unique (a taken subdomain is still refused at
  signup), keeps every tenant table's foreign key to it, and needs no directory table kept in
  step with it. Its writes (signup, settings) go to every node; they are rare.
- COORDINATOR_TABLES stay plain tables on the coordinator: they are never joined with tenant
  tables, and sign-in counters written on every sign-in should not be copied to every node.

Any other table fails the step loudly: a new table must be placed on purpose (add it here).
"""
from __future__ import annotations

import logging

from psycopg2 import sql

log = logging.getLogger(__name__)

TENANT_COLUMN = "organization_id"
REFERENCE_TABLES = (
    "organizations", "plans", "pdpm_sources", "pdpm_base_rates", "pdpm_case_mix_indexes",
    "pdpm_labor_shares", "pdpm_variable_per_diem", "pdpm_fiscal_years", "snf_coinsurance",
    "timer_runs", "legacy_imports", "reference_version",
)
COORDINATOR_TABLES = ("schema_migrations", "sign_in_throttle")


class UnplacedTable(RuntimeError):
    """A table the distribution step does not know how to place."""


def citus_present(cur) -> bool:
    cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
    return cur.fetchone() is not None


def _tables(cur) -> dict[str, tuple[bool, str | None]]:
    """Every table of the public schema: (has organization_id, Citus placement: 'h' distributed,
    'r' reference, None not placed). A Citus-local table (Citus makes one of a new table given a
    foreign key to a reference table) counts as not placed: dropping that key, as the step does,
    turns it back into a plain table."""
    cur.execute("""
        SELECT c.relname,
               EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = %s AND NOT a.attisdropped) AS tenant,
               (SELECT CASE WHEN p.partmethod = 'h' THEN 'h'
                            WHEN p.repmodel = 't' THEN 'r' END
                  FROM pg_dist_partition p WHERE p.logicalrelid = c.oid) AS placed
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         ORDER BY c.relname""", (TENANT_COLUMN,))
    return {name: (tenant, placed) for name, tenant, placed in cur.fetchall()}


def plan(tables: dict[str, tuple[bool, str | None]]) -> tuple[list[str], list[str]]:
    """(reference tables to create, tenant tables to distribute); raises UnplacedTable."""
    unknown = sorted(name for name, (tenant, _) in tables.items()
                     if not tenant and name not in REFERENCE_TABLES
                     and name not in COORDINATOR_TABLES)
    if unknown:
        raise UnplacedTable(
            f"cannot place {', '.join(unknown)} on Citus: no {TENANT_COLUMN} column and not listed "
            "in shared/distribution.py (REFERENCE_TABLES or COORDINATOR_TABLES)")
    reference = [name for name in REFERENCE_TABLES
                 if name in tables and tables[name][1] is None]
    tenant = [name for name, (is_tenant, placed) in tables.items()
              if is_tenant and name not in REFERENCE_TABLES and placed is None]
    return reference, tenant


def _grant_reference_locks(cur, app_role: str) -> None:
    """A change to a reference table makes Citus lock the reference tables it has foreign keys
    to (organizations -> plans), through lock_shard_resources, which demands a write privilege
    on them (citusdata/citus#8011): without it the app role's update of its organization fails
    with "permission denied for table plans". UPDATE is granted: row-level security still lets
    the app role change no row there (no policy admits an UPDATE)."""
    cur.execute("""
        SELECT DISTINCT confrelid::regclass::text FROM pg_constraint c
          JOIN pg_dist_partition child ON child.logicalrelid = c.conrelid
          JOIN pg_dist_partition parent ON parent.logicalrelid = c.confrelid
         WHERE c.contype = 'f' AND child.repmodel = 't' AND parent.repmodel = 't'
           AND has_table_privilege(%s, c.conrelid, 'INSERT, UPDATE, DELETE')
         ORDER BY 1""", (app_role,))
    for (table,) in cur.fetchall():
        cur.execute(sql.SQL("GRANT UPDATE ON {} TO {}").format(
            sql.Identifier(table), sql.Identifier(app_role)))


def distribute_pending(cur, app_role: str) -> list[str]:
    """Place what is not yet placed, in the caller's transaction (a migration's: a table that
    cannot be placed rolls its migration back); return the tables placed. Nothing happens where
    Citus is not installed."""
    if not citus_present(cur):
        return []
    tables = _tables(cur)
    reference, tenant = plan(tables)
    todo = reference + tenant
    if not todo:
        _grant_reference_locks(cur, app_role)
        return []
    # Foreign keys to or from a table being placed are dropped and added back once every
    # table is placed: Citus checks both ends of a key when it is added. Sequential mode
    # lets keys to reference tables and the copies share one transaction.
    cur.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
    cur.execute("""
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
          FROM pg_constraint
         WHERE contype = 'f' AND connamespace = 'public'::regnamespace
           AND (conrelid::regclass::text = ANY(%(todo)s)
                OR confrelid::regclass::text = ANY(%(todo)s))
         ORDER BY 1, 2""", {"todo": todo})
    keys = cur.fetchall()
    # Citus copies the rows into the shards with COPY, which forced row-level security
    # refuses even to the owner: unforced for the copy, forced again before commit.
    cur.execute("""SELECT relname FROM pg_class WHERE relforcerowsecurity
                      AND relnamespace = 'public'::regnamespace AND relname = ANY(%s)""",
                (todo,))
    forced = [name for (name,) in cur.fetchall()]
    for table in forced:
        cur.execute(sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(
            sql.Identifier(table)))
    for table, name, _ in keys:
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
            sql.Identifier(table), sql.Identifier(name)))
    for table in reference:
        cur.execute("SELECT create_reference_table(%s)", (table,))
    anchor = next((name for name, (is_tenant, placed) in tables.items()
                   if is_tenant and placed == "h"), None)
    for table in tenant:
        cur.execute("SELECT create_distributed_table(%s, %s, colocate_with => %s)",
                    (table, TENANT_COLUMN, anchor or "none"))
        anchor = anchor or table
    for table, name, definition in keys:
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)))
    for table in forced:
        cur.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(
            sql.Identifier(table)))
    _grant_reference_locks(cur, app_role)
    # The copies are in the shards now; the coordinator's own copy of the rows is dead weight.
    for table in todo:
        cur.execute("SELECT truncate_local_data_after_distributing_table(%s)", (table,))
    log.info("distributed on Citus: %s", ", ".join(todo))
    return todo
