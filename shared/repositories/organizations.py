"""SQL for organizations. The table's own id is its tenant key."""
from __future__ import annotations

import uuid
from datetime import datetime

COLUMNS = ("id, name, subdomain, tier, status, trial_ends_at, past_due_since, read_only_reason, "
           "suspended_at, created_at, primary_color, logo_content_type, logo_updated_at, "
           "require_two_factor")


def insert(cur, *, organization_id: uuid.UUID, name: str, subdomain: str,
           trial_ends_at: datetime) -> dict:
    cur.execute(f"""
        INSERT INTO organizations (id, name, subdomain, trial_ends_at)
        VALUES (%(id)s, %(name)s, %(subdomain)s, %(trial_ends_at)s)
        RETURNING {COLUMNS}
    """, {"id": organization_id, "name": name, "subdomain": subdomain,
          "trial_ends_at": trial_ends_at})
    return cur.fetchone()


def get(cur, *, organization_id: uuid.UUID, lock: bool = False) -> dict | None:
    cur.execute(f"SELECT {COLUMNS} FROM organizations WHERE id = %(id)s"
                f"{' FOR UPDATE' if lock else ''}", {"id": organization_id})
    return cur.fetchone()


def set_require_two_factor(cur, *, organization_id: uuid.UUID, required: bool) -> None:
    cur.execute("UPDATE organizations SET require_two_factor = %(required)s WHERE id = %(id)s",
                {"id": organization_id, "required": required})


def find_id_by_subdomain(cur, *, subdomain: str) -> uuid.UUID | None:
    """Cross-tenant: only inside dangerously_cross_tenant_transaction (the sign-in lookup)."""
    cur.execute("SELECT id FROM organizations WHERE lower(subdomain) = lower(%(subdomain)s)",
                {"subdomain": subdomain})
    row = cur.fetchone()
    return row["id"] if row else None


def list_ids(cur) -> list[uuid.UUID]:
    """Cross-tenant: every organization's id, for timers that then work one tenant at a time."""
    cur.execute("SELECT id FROM organizations ORDER BY id")
    return [row["id"] for row in cur.fetchall()]


def update_profile(cur, *, organization_id: uuid.UUID, values: dict) -> dict:
    """Set name and primary color (names from a fixed list, values bound)."""
    assignments = ", ".join(f"{name} = %({name})s" for name in values
                            if name in ("name", "primary_color"))
    cur.execute(f"""
        UPDATE organizations SET {assignments}, updated_at = now()
         WHERE id = %(id)s
        RETURNING {COLUMNS}
    """, {**values, "id": organization_id})
    return cur.fetchone()


def set_logo(cur, *, organization_id: uuid.UUID, content: bytes | None,
             content_type: str | None) -> dict:
    cur.execute(f"""
        UPDATE organizations
           SET logo = %(content)s, logo_content_type = %(content_type)s,
               logo_updated_at = CASE WHEN %(content)s::bytea IS NULL THEN NULL ELSE now() END,
               updated_at = now()
         WHERE id = %(id)s
        RETURNING {COLUMNS}
    """, {"id": organization_id, "content": content, "content_type": content_type})
    return cur.fetchone()


def branding_by_subdomain(cur, *, subdomain: str) -> dict | None:
    """Cross-tenant: the public face of an organization (sign-in page, e-mails)."""
    cur.execute("""
        SELECT name, subdomain, primary_color, logo_content_type, logo_updated_at
          FROM organizations WHERE lower(subdomain) = lower(%(subdomain)s)
    """, {"subdomain": subdomain})
    return cur.fetchone()


def logo_by_subdomain(cur, *, subdomain: str) -> dict | None:
    """Cross-tenant: the logo bytes, public like the sign-in page that shows them."""
    cur.execute("""
        SELECT logo, logo_content_type, logo_updated_at FROM organizations
         WHERE lower(subdomain) = lower(%(subdomain)s) AND logo IS NOT NULL
    """, {"subdomain": subdomain})
    return cur.fetchone()


def list_due_for_erasure(cur, *, now: datetime) -> list[uuid.UUID]:
    """Cross-tenant: the closed organizations whose grace period has ended."""
    cur.execute("SELECT id FROM organizations WHERE deletes_at <= %(now)s ORDER BY deletes_at",
                {"now": now})
    return [row["id"] for row in cur.fetchall()]


def erase(cur, *, organization_id: uuid.UUID) -> dict[str, int]:
    """Delete every row of the organization in every table, and the organization: rows deleted
    per table. The SQL function (migration 0032) refuses unless it is closed past its grace."""
    cur.execute("SELECT erase_organization(%(id)s) AS counts", {"id": organization_id})
    return cur.fetchone()["counts"]
