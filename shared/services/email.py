"""Queue e-mails in the outbox, in the caller's transaction, and send what is due."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from shared import db
from shared.email_templates import render
from shared.mail import Message, SendError, sender_for
from shared.repositories import email_outbox, organizations
from shared.services.organization import logo_path
from shared.settings import get_settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Composed:
    template: str
    subject: str
    text: str
    html: str


def link(path: str) -> str:
    return get_settings().public_base_url.rstrip("/") + path


def enqueue(cur, organization_id: uuid.UUID, template: str, to_address: str,
            values: dict[str, str]) -> uuid.UUID:
    """Write the e-mail to the outbox in the current transaction: it is sent only if the
    change that causes it commits."""
    message = compose(cur, organization_id, template, values)
    return email_outbox.insert(cur, organization_id=organization_id, template=template,
                               to_address=to_address, subject=message.subject,
                               text_body=message.text, html_body=message.html)


def compose(cur, organization_id: uuid.UUID, template: str,
            values: dict[str, str]) -> Composed:
    """An organization's e-mail rendered from a template, not yet queued."""
    organization = organizations.get(cur, organization_id=organization_id)
    values = {"organization": organization["name"], "subdomain": organization["subdomain"],
              **values}
    logo = logo_path(organization)
    logo_url = link(logo) if logo else None  # e-mails need the whole address
    subject, text, html = render(template, values, color=organization.get("primary_color"),
                                 logo_url=logo_url)
    return Composed(template, subject, text, html)


def enqueue_composed(cur, organization_id: uuid.UUID, message: Composed,
                     to_address: str | None) -> uuid.UUID | None:
    """Queue a composed e-mail; to no address, the same statement runs and queues nothing."""
    return email_outbox.insert_unless_unaddressed(
        cur, organization_id=organization_id, template=message.template, to_address=to_address,
        subject=message.subject, text_body=message.text, html_body=message.html)


def retry_at(attempts: int) -> datetime | None:
    """Back off 1, 2, 4 ... minutes after each failed attempt; give up after MAX_ATTEMPTS."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return datetime.now(timezone.utc) + timedelta(minutes=2 ** (attempts - 1))


def send_due(sender=None, limit: int = 500) -> dict[str, int]:
    """Send the pending e-mails that are due, organization by organization (the claim that
    works on Citus too), each in its own transaction: its row stays
    locked until its outcome commits, so an overlapping run skips it, and a failure later in
    the run cannot undo the record of what already went out."""
    sender = sender or sender_for(get_settings())
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    with db.dangerously_cross_tenant_transaction(db.EMAIL_OUTBOX) as cur:
        organizations = email_outbox.organizations_with_due(cur, limit=limit)
    remaining = limit
    for organization_id in organizations:
        while remaining > 0:
            with db.dangerously_cross_tenant_transaction(db.EMAIL_OUTBOX) as cur:
                due = email_outbox.claim_due(cur, organization_id=organization_id, limit=1)
                if not due:
                    break
                counts[_send_one(cur, sender, due[0])] += 1
            remaining -= 1
    return counts


def _send_one(cur, sender, row: dict) -> str:
    try:
        sender.send(Message(id=str(row["id"]), to=row["to_address"], subject=row["subject"],
                            text=row["text_body"], html=row["html_body"],
                            first_attempt_at=row["created_at"]))
    except Exception as exc:  # noqa: BLE001 - whatever the transport raised, the e-mail is
        # retried later and the queue moves on; the log names the error's kind, not its data.
        permanent = isinstance(exc, SendError) and exc.permanent
        error = str(exc) if isinstance(exc, SendError) else type(exc).__name__
        when = None if permanent else retry_at(row["attempts"] + 1)
        email_outbox.mark_failed_attempt(cur, organization_id=row["organization_id"],
                                         id=row["id"], error=error, retry_at=when)
        log.warning("e-mail %s not sent (attempt %d): %s", row["id"], row["attempts"] + 1, error)
        return "retrying" if when else "failed"
    email_outbox.mark_sent(cur, organization_id=row["organization_id"], id=row["id"])
    return "sent"
