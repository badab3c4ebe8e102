"""Queue e-mails in the outbox, in the caller's transaction, and send what is due."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone

from shared import db
from shared.email_templates import render
from shared.mail import Message, SendError, sender_for
from shared.repositories import email_outbox, organizations
from shared.settings import get_settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BATCH = 25
CROSS_TENANT = "email outbox"


def link(path: str) -> str:
    return get_settings().public_base_url.rstrip("/") + path


def enqueue(cur, organization_id: uuid.UUID, template: str, to_address: str,
            values: dict[str, str]) -> uuid.UUID:
    """Write the e-mail to the outbox in the current transaction: it is sent only if the
    change that causes it commits."""
    organization = organizations.get(cur, organization_id=organization_id)
    values = {"organization": organization["name"], "subdomain": organization["subdomain"],
              **values}
    logo_url = link(f"/api/branding/{organization['subdomain']}/logo") \
        if organization.get("logo_updated_at") else None
    subject, text, html = render(template, values, color=organization.get("primary_color"),
                                 logo_url=logo_url)
    return email_outbox.insert(cur, organization_id=organization_id, template=template,
                               to_address=to_address, subject=subject, text_body=text,
                               html_body=html)


def retry_at(attempts: int) -> datetime | None:
    """Back off 1, 2, 4 ... minutes after each failed attempt; give up after MAX_ATTEMPTS."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return datetime.now(timezone.utc) + timedelta(minutes=2 ** (attempts - 1))


def send_due(sender=None) -> dict[str, int]:
    """Send the pending e-mails that are due, a batch per transaction, until none is left.
    Rows stay locked until their outcome commits, so an overlapping run skips them."""
    sender = sender or sender_for(get_settings())
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    while True:
        with db.dangerously_cross_tenant_transaction(CROSS_TENANT) as cur:
            due = email_outbox.claim_due(cur, limit=BATCH)
            for row in due:
                try:
                    sender.send(Message(id=str(row["id"]), to=row["to_address"],
                                        subject=row["subject"], text=row["text_body"],
                                        html=row["html_body"]))
                except Exception as exc:  # noqa: BLE001 - one e-mail's failure must not undo
                    # the batch's recorded sends (they would go out twice) or block the queue.
                    error = str(exc) if isinstance(exc, SendError) else type(exc).__name__
                    when = retry_at(row["attempts"] + 1)
                    email_outbox.mark_failed_attempt(cur, organization_id=row["organization_id"],
                                                     id=row["id"], error=error, retry_at=when)
                    counts["retrying" if when else "failed"] += 1
                    log.warning("e-mail %s not sent (attempt %d): %s", row["id"],
                                row["attempts"] + 1, error)
                    continue
                email_outbox.mark_sent(cur, organization_id=row["organization_id"], id=row["id"])
                counts["sent"] += 1
        if len(due) < BATCH:
            return counts
