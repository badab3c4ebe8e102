"""Undo a move: delete the organization and everything it owns from the product's database, in
one transaction, then prove nothing is left. The legacy database is not touched (not even
connected to). The import's record stays, marked rolled back, so the move can be repeated.

Which tables: every table with an organization_id column, found in the catalog (so a table a
later migration adds is not forgotten), children before parents by their foreign keys."""
from __future__ import annotations

from legacy.connections import (IMPORT_SCOPE, ToolError, close, connect, open_import,
                                take_lock, transaction)

# Rows the move itself writes, and what merely signing in writes: anything else in the audit
# log is work done in the product since, which a rollback would destroy.
MOVE_ACTIONS = ("organization.import_start", "organization.import_finish", "session.create",
                "session.revoke", "user.password_rehash")


def organization_tables(cur) -> list[str]:
    """Tables holding organization_id, ordered so that each comes before those it references."""
    cur.execute("""
        SELECT c.relname AS name FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND a.attname = 'organization_id' AND NOT a.attisdropped
         ORDER BY c.relname""")
    tables = [row["name"] for row in cur.fetchall()]
    cur.execute("""
        SELECT DISTINCT con.conrelid::regclass::text AS child,
                        con.confrelid::regclass::text AS parent
          FROM pg_constraint con WHERE con.contype = 'f' AND con.conrelid <> con.confrelid""")
    parents = {table: set() for table in tables}
    for row in cur.fetchall():
        if row["child"] in parents and row["parent"] in parents:
            parents[row["child"]].add(row["parent"])
    ordered: list[str] = []
    while len(ordered) < len(tables):
        # A table goes once no remaining table references it.
        ready = [t for t in tables if t not in ordered
                 and not any(t in parents[other] for other in tables
                             if other not in ordered and other != t)]
        if not ready:
            raise ToolError("The foreign keys between the organization's tables form a cycle; "
                            "roll back by hand.", 1)
        ordered += ready
    return ordered


def leftovers(cur, organization_id) -> dict[str, int]:
    """Rows of the organization in any table (organizations included); empty when none."""
    found = {}
    for table in organization_tables(cur):
        cur.execute(f"SELECT count(*) AS n FROM {table} WHERE organization_id = %s",
                    (organization_id,))
        rows = cur.fetchone()["n"]
        if rows:
            found[table] = rows
    cur.execute("SELECT count(*) AS n FROM organizations WHERE id = %s", (organization_id,))
    if cur.fetchone()["n"]:
        found["organizations"] = 1
    return found


def rollback(target_dsn: str, subdomain: str, *, confirm: str | None, operator: str,
             discard_new_work: bool = False) -> dict[str, int]:
    """Delete the moved organization; return the rows deleted per table."""
    if (confirm or "").lower() != subdomain.lower():
        raise ToolError(f"Refusing: repeat the subdomain with --confirm {subdomain} to delete "
                        "the organization and everything it owns.", 2)
    target = connect(target_dsn, "product")
    try:
        take_lock(target)
        record = open_import(target, subdomain)
        if record is None:
            raise ToolError(f"No move of {subdomain!r} is recorded, or it was rolled back "
                            "already; only an organization moved in by this tool can be "
                            "rolled back.", 2)
        org = record["imported_organization_id"]
        deleted: dict[str, int] = {}
        with transaction(target, organization_id=org, scope=IMPORT_SCOPE) as cur:
            cur.execute("""
                SELECT action, count(*) AS n FROM audit_logs
                 WHERE organization_id = %s AND request_id IS DISTINCT FROM 'legacy-import'
                   AND action <> ALL(%s)
                 GROUP BY action ORDER BY action""", (org, list(MOVE_ACTIONS)))
            new_work = cur.fetchall()
            if new_work and not discard_new_work:
                raise ToolError("Refusing: the organization has work done in the product since "
                                "the move (" + ", ".join(f"{r['action']} x{r['n']}"
                                                         for r in new_work)
                                + "). Export what must be kept, then add --discard-new-work.", 2)
            for table in organization_tables(cur):
                cur.execute(f"DELETE FROM {table} WHERE organization_id = %s", (org,))
                if cur.rowcount:
                    deleted[table] = cur.rowcount
            cur.execute("DELETE FROM organizations WHERE id = %s", (org,))
            deleted["organizations"] = cur.rowcount
            cur.execute("""
                UPDATE legacy_imports SET rolled_back_at = now(), rolled_back_by = %s
                 WHERE imported_organization_id = %s""", (operator, org))
        with transaction(target, organization_id=org) as cur:
            left = leftovers(cur, org)
        if left:
            raise ToolError("The rollback left rows behind: " + ", ".join(
                f"{table} {n}" for table, n in left.items()), 1)
        return deleted
    finally:
        close(target)
