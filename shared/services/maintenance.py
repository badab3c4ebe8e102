"""Work the timers do, one organization at a time."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

from shared import db, idempotency
from shared.repositories import (data_exports, email_outbox, organizations, sessions,
                                 sign_in_challenges, sign_in_throttle, usage)
from shared.repositories import idempotency as idempotency_keys
from shared.services import throttle

log = logging.getLogger(__name__)
KEEP_ENDED_SESSIONS = timedelta(days=7)
KEEP_FINISHED_EMAILS = timedelta(days=30)


def purge_old_records() -> dict[str, int]:
    """Forget sessions that ended over a week ago, expired sign-in challenges, e-mails sent or given up over 30 days ago,
    the content of expired data exports, idempotency keys over 24 hours old, and closed sign-in
    throttle windows; return how many of each."""
    now = datetime.now(timezone.utc)
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        organization_ids = organizations.list_ids(cur)
    counts = {"sessions": 0, "sign_in_challenges": 0, "emails": 0, "exports": 0, "idempotency_keys": 0, "throttle": 0}
    for organization_id in organization_ids:
        with db.tenant_transaction(organization_id) as cur:
            counts["sessions"] += sessions.delete_ended(
                cur, organization_id=organization_id, ended_before=now - KEEP_ENDED_SESSIONS)
            counts["sign_in_challenges"] += sign_in_challenges.delete_ended(
                cur, organization_id=organization_id, ended_before=now)
            counts["emails"] += email_outbox.delete_finished(
                cur, organization_id=organization_id, before=now - KEEP_FINISHED_EMAILS)
            counts["exports"] += data_exports.expire(cur, organization_id=organization_id, now=now)
            counts["idempotency_keys"] += idempotency_keys.delete_older(
                cur, organization_id=organization_id, before=now - idempotency.KEEP)
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        counts["throttle"] = sign_in_throttle.delete_expired(
            cur, window=throttle.WINDOW, remembered_for=throttle.REMEMBERED_FOR)
    log.info("purged %s across %d organizations", counts, len(organization_ids))
    return counts


def each_organization(timer: str, period: str, work: Callable[[object, uuid.UUID], dict]) -> dict:
    """Run `work(cur, organization_id)` for every organization, each in its own tenant
    transaction (all of its work or none), adding up the counts it returns. One organization's
    failure does not stop the others; the run is recorded in timer_runs as `period` only when
    every organization is done, else it raises (the host reports a failed run) and a rerun
    finishes the rest."""
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        organization_ids = organizations.list_ids(cur)
    counts: dict[str, int] = {"failed": 0}
    for organization_id in organization_ids:
        try:
            with db.tenant_transaction(organization_id) as cur:
                done = work(cur, organization_id)
        except Exception:  # noqa: BLE001 - the others go on; this one waits for a rerun
            log.exception("%s failed for organization %s", timer, organization_id)
            counts["failed"] += 1
            continue
        for name, value in done.items():
            counts[name] = counts.get(name, 0) + value
    if counts["failed"]:
        raise RuntimeError(f"{timer} failed for {counts['failed']} organizations")
    with db.dangerously_cross_tenant_transaction(db.TIMER_RUNS) as cur:
        first = usage.record_run(cur, timer=timer, period=period,
                                 organizations=len(organization_ids))
    log.info("%s %s: %s%s", timer, period, counts, "" if first else " (ran before)")
    return counts
