"""The e-mail outbox forgets what it sent: bodies blanked once an e-mail is sent or given up,
each e-mail committed on its own, Azure Communication Services' refusals final and its
throttling retried with the same repeatability headers, and the daily timer deleting finished
e-mails after 30 days.

Stand-ins only for the outside world: senders that record or fail (the e-mail transport), a
local HTTP server (Azure Communication Services) and a credential (Microsoft Entra)."""
from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

from shared import db
from shared.mail import AcsSender, FileSender, Message, SendError
from shared.routing import timer_functions
from shared.services import email as outbox
from shared.services import maintenance
from shared.settings import Settings, get_settings


# --- stand-ins for the outside world --------------------------------------------------------

class Recording:
    """Accepts every e-mail and keeps what it was given."""

    def __init__(self):
        self.messages: list[Message] = []

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.messages]

    def send(self, message: Message) -> None:
        self.messages.append(message)


class FailsOnCall:
    """Accepts every e-mail but the n-th it is given, on which it raises `error`."""

    def __init__(self, n: int, error: Exception):
        self.n, self.error = n, error
        self.calls: list[str] = []

    def send(self, message: Message) -> None:
        self.calls.append(message.id)
        if len(self.calls) == self.n:
            raise self.error


class Refusing:
    def __init__(self, permanent: bool):
        self.permanent = permanent
        self.ids: list[str] = []

    def send(self, message: Message) -> None:
        self.ids.append(message.id)
        raise SendError("mailbox unavailable", permanent=self.permanent)


class Credential:
    """What azure-identity's credentials offer: get_token(*scopes) -> AccessToken."""

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken("test-access-token", int(time.time()) + 3600)


class FakeAcs:
    """Azure Communication Services Email on 127.0.0.1: answers each request with the next
    status of `statuses` (the last one repeats) and records the request's headers."""

    def __init__(self, *statuses: int):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = fake.statuses[min(len(fake.requests), len(fake.statuses) - 1)]
                fake.requests.append({k.lower(): v for k, v in self.headers.items()})
                payload = b'{"id": "op", "status": "Running"}' if status == 202 else b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def sender(self) -> AcsSender:
        return AcsSender(Settings(email_sender="acs", acs_endpoint=self.endpoint,
                                  email_from="no-reply@snf.example"),
                         credential=Credential(), timeout=5)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_acs():
    made = []

    def make(*statuses):
        made.append(FakeAcs(*statuses))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


# --- helpers --------------------------------------------------------------------------------

def drain() -> None:
    """Take every e-mail already due (other tests' welcome e-mails) out of the way."""
    outbox.send_due(Recording())


def enqueue(org, link: str = "/#accept-invitation=secret-token-0123456789") -> str:
    with db.tenant_transaction(org.id) as cur:
        outbox_id = outbox.enqueue(cur, org.id, "welcome",
                                   f"someone-{uuid.uuid4().hex[:6]}@example.com",
                                   {"link": outbox.link(link), "trial_days": "14"})
    return str(outbox_id)


def stored(admin_sql, outbox_id: str) -> dict:
    rows = admin_sql("""SELECT status, attempts, text_body, html_body, last_error, created_at,
                               sent_at, extract(epoch FROM next_attempt_at - now()) AS wait
                          FROM email_outbox WHERE id = %s""", (outbox_id,))
    assert len(rows) == 1
    return rows[0]


def make_due(admin_sql, outbox_id: str) -> None:
    admin_sql("UPDATE email_outbox SET next_attempt_at = now() WHERE id = %s", (outbox_id,))


def reset_email(client, org, admin_sql) -> dict:
    """Ask for a password reset through the API; returns the outbox row it queued."""
    response = client.post("/api/auth/password-reset",
                           json={"subdomain": org.subdomain, "email": org.email})
    assert response.status == 202, response.body
    rows = admin_sql("""SELECT id::text, text_body, html_body FROM email_outbox
                         WHERE organization_id = %s AND template = 'password_reset'
                         ORDER BY created_at DESC LIMIT 1""", (str(org.id),))
    assert len(rows) == 1
    return rows[0]


# --- bodies are forgotten ---------------------------------------------------------------------

def test_a_sent_reset_email_no_longer_holds_its_link(client, org, admin_sql):
    drain()
    queued = reset_email(client, org, admin_sql)
    assert "#reset-password=" in queued["text_body"] and "#reset-password=" in queued["html_body"]
    sender = Recording()

    assert outbox.send_due(sender)["sent"] == 1

    assert sender.ids == [queued["id"]]
    assert "#reset-password=" in sender.messages[0].text  # what went out held the link
    row = stored(admin_sql, queued["id"])
    assert (row["status"], row["text_body"], row["html_body"]) == ("sent", "", "")


def test_the_file_sender_writes_the_link_and_the_row_forgets_it(client, org, admin_sql):
    drain()
    outbox_id = enqueue(org, "/#accept-invitation=file-sender-secret-000000")

    assert outbox.send_due(FileSender(get_settings()))["sent"] == 1

    files = list(Path(get_settings().email_file_dir).glob(f"*-{outbox_id}.eml"))
    assert len(files) == 1 and b"file-sender-secret-000000" in files[0].read_bytes()
    row = stored(admin_sql, outbox_id)
    assert (row["status"], row["text_body"], row["html_body"]) == ("sent", "", "")
    assert admin_sql("SELECT count(*) AS n FROM email_outbox WHERE text_body LIKE %s"
                     " OR html_body LIKE %s", ("%file-sender-secret%",) * 2)[0]["n"] == 0


def test_an_email_given_up_at_once_is_blanked(org, admin_sql):
    drain()
    outbox_id = enqueue(org)

    counts = outbox.send_due(Refusing(permanent=True))

    assert counts == {"sent": 0, "retrying": 0, "failed": 1}
    row = stored(admin_sql, outbox_id)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert (row["text_body"], row["html_body"]) == ("", "")


def test_an_email_given_up_after_its_last_attempt_is_blanked(org, admin_sql):
    drain()
    outbox_id = enqueue(org)
    admin_sql("UPDATE email_outbox SET attempts = %s WHERE id = %s",
              (outbox.MAX_ATTEMPTS - 1, outbox_id))

    assert outbox.send_due(Refusing(permanent=False))["failed"] == 1

    row = stored(admin_sql, outbox_id)
    assert (row["status"], row["attempts"]) == ("failed", outbox.MAX_ATTEMPTS)
    assert (row["text_body"], row["html_body"]) == ("", "")


def test_an_email_still_to_be_retried_keeps_its_body(org, admin_sql):
    drain()
    outbox_id = enqueue(org, "/#accept-invitation=still-pending-secret-0000")
    sender = Refusing(permanent=False)

    assert outbox.send_due(sender)["retrying"] == 1

    row = stored(admin_sql, outbox_id)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "still-pending-secret-0000" in row["text_body"]
    assert "still-pending-secret-0000" in row["html_body"]
    make_due(admin_sql, outbox_id)
    retry = Recording()
    assert outbox.send_due(retry)["sent"] == 1
    assert "still-pending-secret-0000" in retry.messages[0].text  # the retry sends it whole
    assert stored(admin_sql, outbox_id)["text_body"] == ""


# --- one e-mail per transaction ---------------------------------------------------------------

@pytest.mark.parametrize("error", [RuntimeError("credential expired"), KeyError("x"),
                                   OSError("disk full")], ids=lambda e: type(e).__name__)
def test_an_unexpected_error_on_the_second_of_three_spares_the_others(org, admin_sql, error):
    drain()
    ids = [enqueue(org) for _ in range(3)]
    sender = FailsOnCall(2, error)

    counts = outbox.send_due(sender)

    assert sender.calls == ids  # the run went on after the failure
    assert counts == {"sent": 2, "retrying": 1, "failed": 0}
    rows = [stored(admin_sql, i) for i in ids]
    assert [r["status"] for r in rows] == ["sent", "pending", "sent"]
    assert rows[1]["last_error"] == type(error).__name__
    assert rows[1]["text_body"] != ""

    make_due(admin_sql, ids[1])
    second = Recording()
    outbox.send_due(second)
    sends = Counter(sender.calls + second.ids)
    assert second.ids == [ids[1]]  # the 1st and 3rd are never sent again
    assert [sends[i] for i in ids] == [1, 2, 1]
    assert [stored(admin_sql, i)["status"] for i in ids] == ["sent"] * 3


def test_a_sent_email_stays_sent_when_a_later_one_breaks_the_run(org, admin_sql):
    """Something the run cannot handle (the host stopping it) ends the run on the second
    e-mail: the first, already out, stays recorded as sent."""
    drain()
    first, second = enqueue(org), enqueue(org)

    class Stopped(BaseException):
        pass

    with pytest.raises(Stopped):
        outbox.send_due(FailsOnCall(2, Stopped()))

    assert stored(admin_sql, first)["status"] == "sent"
    assert stored(admin_sql, second)["status"] == "pending"
    assert stored(admin_sql, second)["attempts"] == 0


# --- Azure Communication Services -------------------------------------------------------------

def test_acs_refusing_with_400_is_a_permanent_send_error(fake_acs):
    acs = fake_acs(400)

    with pytest.raises(SendError) as raised:
        acs.sender().send(Message(id=str(uuid.uuid4()), to="x@example.com", subject="s",
                                  text="t", html="h"))

    assert raised.value.permanent is True
    assert "400" in str(raised.value)


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_acs_throttling_or_failing_is_not_permanent(fake_acs, status):
    acs = fake_acs(status)

    with pytest.raises(SendError) as raised:
        acs.sender().send(Message(id=str(uuid.uuid4()), to="x@example.com", subject="s",
                                  text="t", html="h"))

    assert raised.value.permanent is False


def test_an_email_acs_refuses_fails_after_one_attempt(org, admin_sql, fake_acs):
    drain()
    acs = fake_acs(400)
    outbox_id = enqueue(org)

    counts = outbox.send_due(acs.sender())

    assert counts == {"sent": 0, "retrying": 0, "failed": 1}
    row = stored(admin_sql, outbox_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 1,
                                                                   "ACS answered 400")
    assert (row["text_body"], row["html_body"]) == ("", "")
    make_due(admin_sql, outbox_id)
    assert outbox.send_due(acs.sender()) == {"sent": 0, "retrying": 0, "failed": 0}
    assert len(acs.requests) == 1


@pytest.mark.parametrize("status", [503, 429])
def test_an_email_acs_cannot_take_now_is_retried_later(org, admin_sql, fake_acs, status):
    drain()
    acs = fake_acs(status)
    outbox_id = enqueue(org)

    counts = outbox.send_due(acs.sender())

    assert counts == {"sent": 0, "retrying": 1, "failed": 0}
    row = stored(admin_sql, outbox_id)
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "pending", 1, f"ACS answered {status}")
    assert float(row["wait"]) > 30  # next_attempt_at is later
    assert row["text_body"] != ""


def test_a_retry_carries_the_same_repeatability_headers_as_the_first_attempt(org, admin_sql,
                                                                            fake_acs):
    drain()
    acs = fake_acs(503, 202)
    outbox_id = enqueue(org)
    created_at = stored(admin_sql, outbox_id)["created_at"]

    assert outbox.send_due(acs.sender())["retrying"] == 1
    time.sleep(1.1)  # a retry at a later second must not claim a later first-sent time
    make_due(admin_sql, outbox_id)
    assert outbox.send_due(acs.sender())["sent"] == 1

    assert len(acs.requests) == 2
    first, retry = acs.requests
    assert first["repeatability-request-id"] == retry["repeatability-request-id"] == outbox_id
    assert first["repeatability-first-sent"] == retry["repeatability-first-sent"]
    assert parsedate_to_datetime(first["repeatability-first-sent"]) == \
        created_at.replace(microsecond=0)
    assert first["repeatability-first-sent"].endswith("GMT")
    row = stored(admin_sql, outbox_id)
    assert (row["status"], row["attempts"], row["text_body"]) == ("sent", 2, "")


# --- the daily timer --------------------------------------------------------------------------

def age(admin_sql, outbox_id: str, days: int) -> None:
    admin_sql("UPDATE email_outbox SET created_at = now() - %s * interval '1 day' WHERE id = %s",
              (days, outbox_id))


def old_finished(admin_sql) -> int:
    return admin_sql("""SELECT count(*) AS n FROM email_outbox
                         WHERE status IN ('sent', 'failed')
                           AND created_at < now() - interval '30 days'""")[0]["n"]


@pytest.fixture
def aged(org, admin_sql):
    """E-mails of every kind: sent and failed ones 31 days old, a sent one 29 days old, a
    pending one 40 days old and a fresh pending one."""
    drain()
    old_sent, old_failed, recent_sent = enqueue(org), enqueue(org), enqueue(org)
    outbox.send_due(FailsOnCall(2, SendError("refused", permanent=True)))
    assert [stored(admin_sql, i)["status"] for i in (old_sent, old_failed, recent_sent)] == [
        "sent", "failed", "sent"]
    old_pending = enqueue(org)
    fresh_pending = enqueue(org)
    admin_sql("UPDATE email_outbox SET next_attempt_at = now() + interval '1 hour'"
              " WHERE id = ANY(%s::uuid[])", ([old_pending, fresh_pending],))
    age(admin_sql, old_sent, 31)
    age(admin_sql, old_failed, 31)
    age(admin_sql, recent_sent, 29)
    age(admin_sql, old_pending, 40)
    return {"deleted": [old_sent, old_failed], "kept": [recent_sent, old_pending, fresh_pending]}


def remaining(admin_sql, ids) -> set[str]:
    return {r["id"] for r in admin_sql("SELECT id::text FROM email_outbox"
                                       " WHERE id = ANY(%s::uuid[])", (list(ids),))}


def test_the_purge_deletes_finished_emails_over_30_days_old_and_counts_them(aged, admin_sql):
    expected = old_finished(admin_sql)
    assert expected >= 2

    counts = maintenance.purge_old_records()

    assert set(counts) == {"sessions", "sign_in_challenges", "emails", "exports",
                           "idempotency_keys", "throttle"}
    assert counts["emails"] == expected
    assert all(isinstance(n, int) and n >= 0 for n in counts.values())
    assert remaining(admin_sql, aged["deleted"]) == set()
    assert remaining(admin_sql, aged["kept"]) == set(aged["kept"])
    assert old_finished(admin_sql) == 0
    assert maintenance.purge_old_records()["emails"] == 0  # a second run finds nothing


def test_the_daily_timer_function_purges_old_emails(app, aged, admin_sql):
    from azure.functions.timer import TimerRequest
    timers = {t.name: t for t in timer_functions(app)}

    assert timers["purge_old_records"].schedule == "0 30 3 * * *"
    timers["purge_old_records"].function(TimerRequest(past_due=False))

    assert remaining(admin_sql, aged["deleted"]) == set()
    assert remaining(admin_sql, aged["kept"]) == set(aged["kept"])
