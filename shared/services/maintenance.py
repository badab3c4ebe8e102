"""Work the timers do, one organization at a time."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from shared import db
from shared.repositories import email_outbox, organizations, sessions, sign_in_throttle
from shared.services import throttle

log = logging.getLogger(__name__)
KEEP_ENDED_SESSIONS = timedelta(days=7)
KEEP_FINISHED_EMAILS = timedelta(days=30)


def purge_old_records() -> dict[str, int]:
    """Forget sessions that ended over a week ago, e-mails sent or given up over 30 days ago,
    and closed sign-in throttle windows; return how many of each."""
    now = datetime.now(timezone.utc)
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        organization_ids = organizations.list_ids(cur)
    counts = {"sessions": 0, "emails": 0, "throttle": 0}
    for organization_id in organization_ids:
        with db.tenant_transaction(organization_id) as cur:
            counts["sessions"] += sessions.delete_ended(
                cur, organization_id=organization_id, ended_before=now - KEEP_ENDED_SESSIONS)
            counts["emails"] += email_outbox.delete_finished(
                cur, organization_id=organization_id, before=now - KEEP_FINISHED_EMAILS)
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        counts["throttle"] = sign_in_throttle.delete_expired(cur, window=throttle.WINDOW)
    log.info("purged %s across %d organizations", counts, len(organization_ids))
    return counts
