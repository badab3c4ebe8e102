"""SQL for the versions of what an evaluation reads (migration 0039). Every write to an
organization's configuration bumps its version in the same statement, so no path can write one
without the other (the API's, the operator's, the legacy move's); the session lookup returns the
version and the reference data's, and the evaluations service keys its per-process cache by them."""
from __future__ import annotations

import uuid

# What an evaluation reads of an organization (shared.services.evaluations.configuration).
TABLES = ("facilities", "payers", "rates", "cost_models", "business_weights")

# Runs as a CTE of the write: the write's own statement, its own organization_id parameter.
_BUMP = """
    configuration_version AS (
        UPDATE organizations SET configuration_version = configuration_version + 1
         WHERE id = %(organization_id)s
    )"""


def bumping(query: str) -> str:
    """`query` (a write whose parameters include organization_id) with the organization's
    configuration version bumped in the same statement. `query` must not start with WITH."""
    if query.lstrip()[:4].upper() == "WITH":
        raise ValueError("bumping: join the query's own CTEs to the bump's instead")
    return f"WITH {_BUMP}\n{query}"


def bump(cur, *, organization_id: uuid.UUID) -> None:
    """Bump it alone: for a writer whose statements are not the repositories' (a bulk import)."""
    cur.execute(f"WITH {_BUMP} SELECT 1", {"organization_id": organization_id})


def bump_reference(cur) -> None:
    """After a change to the PDPM reference data, as its owner (the operator's load of a year)."""
    cur.execute("UPDATE reference_version SET version = version + 1")
