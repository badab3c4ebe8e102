"""SQL for the e-mail outbox."""
from __future__ import annotations

import uuid
from datetime import datetime


def insert(cur, *, organization_id: uuid.UUID, template: str, to_address: str, subject: str,
           text_body: str, html_body: str) -> uuid.UUID:
    cur.execute("""
        INSERT INTO email_outbox (organization_id, template, to_address, subject, text_body,
                                  html_body)
        VALUES (%(organization_id)s, %(template)s, %(to_address)s, %(subject)s, %(text_body)s,
                %(html_body)s)
        RETURNING id
    """, {"organization_id": organization_id, "template": template, "to_address": to_address,
          "subject": subject, "text_body": text_body, "html_body": html_body})
    return cur.fetchone()["id"]


def insert_unless_unaddressed(cur, *, organization_id: uuid.UUID, template: str,
                              to_address: str | None, subject: str, text_body: str,
                              html_body: str) -> uuid.UUID | None:
    """`insert`, except that with no address the same statement writes nothing: a request
    whose e-mail would go nowhere costs what a real one does (no timing oracle)."""
    cur.execute("""
        INSERT INTO email_outbox (organization_id, template, to_address, subject, text_body,
                                  html_body)
        SELECT %(organization_id)s, %(template)s, %(to_address)s, %(subject)s, %(text_body)s,
               %(html_body)s
         WHERE %(to_address)s::text IS NOT NULL
        RETURNING id
    """, {"organization_id": organization_id, "template": template, "to_address": to_address,
          "subject": subject, "text_body": text_body, "html_body": html_body})
    row = cur.fetchone()
    return row["id"] if row else None


def organizations_with_due(cur, *, limit: int) -> list[uuid.UUID]:
    """The organizations with pending e-mails that are due, the longest-waiting first. No lock:
    the claim per organization below decides who sends what. Cross-tenant: the sender's
    transaction."""
    cur.execute("""
        SELECT organization_id
          FROM email_outbox
         WHERE status = 'pending' AND next_attempt_at <= now()
         GROUP BY organization_id
         ORDER BY min(next_attempt_at)
         LIMIT %(limit)s
    """, {"limit": limit})
    return [row["organization_id"] for row in cur.fetchall()]


def claim_due(cur, *, organization_id: uuid.UUID, limit: int) -> list[dict]:
    """One organization's pending e-mails that are due, locked for this transaction; rows
    another run holds are skipped, so two runs never take the same e-mail. One organization at
    a time because Citus refuses FOR UPDATE across shards; within one organization the query
    goes to one shard. Cross-tenant: the sender's transaction."""
    cur.execute("""
        SELECT organization_id, id, template, to_address, subject, text_body, html_body, attempts,
               created_at
          FROM email_outbox
         WHERE organization_id = %(organization_id)s
           AND status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at
         LIMIT %(limit)s
           FOR UPDATE SKIP LOCKED
    """, {"organization_id": organization_id, "limit": limit})
    return cur.fetchall()


def mark_sent(cur, *, organization_id: uuid.UUID, id: uuid.UUID) -> None:
    """Record the delivery and forget the bodies: they may hold single-use links."""
    cur.execute("""
        UPDATE email_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1,
               last_error = NULL, text_body = '', html_body = ''
         WHERE organization_id = %(organization_id)s AND id = %(id)s
    """, {"organization_id": organization_id, "id": id})


def mark_failed_attempt(cur, *, organization_id: uuid.UUID, id: uuid.UUID, error: str,
                        retry_at: datetime | None) -> None:
    """Count the attempt; retry at `retry_at`, or give up (status failed) when it is None."""
    cur.execute("""
        UPDATE email_outbox
           SET attempts = attempts + 1, last_error = %(error)s,
               status = CASE WHEN %(retry_at)s::timestamptz IS NULL THEN 'failed' ELSE status END,
               text_body = CASE WHEN %(retry_at)s::timestamptz IS NULL THEN '' ELSE text_body END,
               html_body = CASE WHEN %(retry_at)s::timestamptz IS NULL THEN '' ELSE html_body END,
               next_attempt_at = COALESCE(%(retry_at)s, next_attempt_at)
         WHERE organization_id = %(organization_id)s AND id = %(id)s
    """, {"organization_id": organization_id, "id": id, "error": error[:500],
          "retry_at": retry_at})


def delete_finished(cur, *, organization_id: uuid.UUID, before: datetime) -> int:
    """Forget e-mails sent or given up before the given time."""
    cur.execute("""
        DELETE FROM email_outbox
         WHERE organization_id = %(organization_id)s AND status IN ('sent', 'failed')
           AND created_at < %(before)s
    """, {"organization_id": organization_id, "before": before})
    return cur.rowcount
