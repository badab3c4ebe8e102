"""Work the timers do, one organization at a time."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from shared import db
from shared.repositories import organizations, sessions, sign_in_throttle
from shared.services import throttle

log = logging.getLogger(__name__)
KEEP_ENDED_SESSIONS = timedelta(days=7)


def purge_ended_sessions() -> int:
    """Delete sessions that expired or were revoked over a week ago; return how many."""
    before = datetime.now(timezone.utc) - KEEP_ENDED_SESSIONS
    with db.dangerously_cross_tenant_transaction("timer: list organizations") as cur:
        organization_ids = organizations.list_ids(cur)
    removed = 0
    for organization_id in organization_ids:
        with db.tenant_transaction(organization_id) as cur:
            removed += sessions.delete_ended(cur, organization_id=organization_id,
                                             ended_before=before)
    with db.dangerously_cross_tenant_transaction(throttle.CROSS_TENANT) as cur:
        sign_in_throttle.delete_expired(cur, window=throttle.WINDOW)
    log.info("purged %d ended sessions across %d organizations", removed, len(organization_ids))
    return removed
