"""The e-mail outbox: sending what is due through the file sender and the ACS sender, retries
with backoff, giving up, exactly-once under overlapping runs, the timer that runs it, HTML
escaping; and the local scheduler's NCRONTAB parsing that fires the timer.

Stand-ins only for the outside world: senders that record or fail (the e-mail transport), a
local HTTP server (Azure Communication Services) and a credential (Microsoft Entra)."""
from __future__ import annotations

import email
import email.policy
import json
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

from local import scheduler
from shared import db
from shared.mail import (ACS_API_VERSION, ACS_SCOPE, AcsSender, FileSender, Message, SendError,
                         sender_for)
from shared.routing import timer_functions
from shared.services import email as outbox
from shared.settings import Settings, get_settings


# --- stand-ins for the outside world ------------------------------------------------------

class RecordingSender:
    """Accepts every e-mail, remembering each id it was given (optionally slowly)."""

    def __init__(self, delay: float = 0):
        self.delay = delay
        self.ids: list[str] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.ids.append(message.id)


class RefusingSender:
    """A transport that is down: every e-mail is refused."""

    def __init__(self):
        self.ids: list[str] = []

    def send(self, message: Message) -> None:
        self.ids.append(message.id)
        raise SendError("mailbox unavailable")


class BreaksAfter:
    """Accepts `count` e-mails, then fails unexpectedly (not a SendError), as an expired
    credential or a full disk would."""

    def __init__(self, count: int):
        self.count = count
        self.ids: list[str] = []

    def send(self, message: Message) -> None:
        if len(self.ids) >= self.count:
            raise RuntimeError("credential expired")
        self.ids.append(message.id)


class TestCredential:
    """What azure-identity's credentials offer: get_token(*scopes) -> AccessToken."""
    __test__ = False

    def __init__(self):
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("test-access-token", int(time.time()) + 3600)


class FakeAcs:
    """Azure Communication Services Email on 127.0.0.1: records each request and answers with
    the status it is told to."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 202
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                fake.requests.append({"path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": self.rfile.read(length)})
                payload = b'{"id": "op", "status": "Running"}' if fake.status == 202 else b"{}"
                self.send_response(fake.status)
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

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def acs():
    fake = FakeAcs()
    yield fake
    fake.close()


def acs_sender(endpoint: str, credential) -> AcsSender:
    settings = Settings(email_sender="acs", acs_endpoint=endpoint,
                        email_from="no-reply@snf.example")
    return AcsSender(settings, credential=credential, timeout=5)


# --- helpers ------------------------------------------------------------------------------

def drain() -> None:
    """Take every e-mail already due (other tests' welcome e-mails) out of the way."""
    outbox.send_due(RecordingSender())


def enqueue(org, to: str | None = None) -> str:
    with db.tenant_transaction(org.id) as cur:
        outbox_id = outbox.enqueue(cur, org.id, "welcome",
                                   to or f"someone-{uuid.uuid4().hex[:6]}@example.com",
                                   {"link": outbox.link("/"), "trial_days": "14"})
    return str(outbox_id)


def row(admin_sql, outbox_id: str) -> dict:
    rows = admin_sql("""SELECT status, attempts, sent_at, last_error,
                               extract(epoch FROM next_attempt_at - now()) AS wait_seconds
                          FROM email_outbox WHERE id = %s""", (outbox_id,))
    assert len(rows) == 1
    return rows[0]


def make_due(admin_sql, outbox_id: str) -> None:
    admin_sql("UPDATE email_outbox SET next_attempt_at = now() WHERE id = %s", (outbox_id,))


def eml_files(outbox_id: str) -> list[Path]:
    return sorted(Path(get_settings().email_file_dir).glob(f"*-{outbox_id}.eml"))


def parsed(path: Path):
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    parts = {part.get_content_type(): part.get_content() for part in message.walk()
             if not part.is_multipart()}
    return message, parts


# --- the file sender ----------------------------------------------------------------------

def test_send_due_writes_one_eml_per_pending_email_and_marks_it_sent(client, org, admin_sql):
    client.patch("/api/organization", token=org.token, json={"primary_color": "#AA3366"})
    drain()
    ids = {enqueue(org, "first@example.com"): "first@example.com",
           enqueue(org, "second@example.com"): "second@example.com"}

    counts = outbox.send_due()

    # At least these two: another test's retry may fall due in between (the run shares a database).
    assert counts["sent"] >= 2 and counts["failed"] == 0
    for outbox_id, to in ids.items():
        files = eml_files(outbox_id)
        assert len(files) == 1
        message, parts = parsed(files[0])
        assert message["To"] == to
        assert message["From"] == get_settings().email_from
        assert message["Subject"] == "Welcome to SNF Admissions, Organization A"
        assert outbox_id in message["Message-ID"]
        assert message.get_content_type() == "multipart/alternative"
        assert set(parts) == {"text/plain", "text/html"}
        assert "Organization A" in parts["text/plain"] and org.subdomain in parts["text/plain"]
        assert "Organization A" in parts["text/html"]
        assert "#aa3366" in parts["text/html"]
        stored = row(admin_sql, outbox_id)
        assert (stored["status"], stored["attempts"], stored["last_error"]) == ("sent", 1, None)
        assert stored["sent_at"] is not None


def test_a_second_run_sends_nothing_more(client, org, admin_sql):
    drain()
    outbox_id = enqueue(org)
    assert outbox.send_due()["sent"] == 1

    again = outbox.send_due()

    assert again == {"sent": 0, "retrying": 0, "failed": 0}
    assert len(eml_files(outbox_id)) == 1
    assert row(admin_sql, outbox_id)["attempts"] == 1


def test_an_email_is_sent_only_once_its_transaction_commits(client, org, admin_sql):
    drain()
    to = f"rolled-back-{uuid.uuid4().hex[:6]}@example.com"
    with pytest.raises(RuntimeError):
        with db.tenant_transaction(org.id) as cur:
            outbox.enqueue(cur, org.id, "welcome", to, {"link": "x", "trial_days": "14"})
            raise RuntimeError("the change that caused the e-mail failed")
    sender = RecordingSender()

    assert outbox.send_due(sender)["sent"] == 0
    assert admin_sql("SELECT count(*) AS n FROM email_outbox WHERE to_address = %s",
                     (to,))[0]["n"] == 0


def test_the_html_part_escapes_the_organizations_name(make_org, admin_sql):
    drain()
    org = make_org("<b>Evil & Co</b>")
    welcome = admin_sql("SELECT id::text FROM email_outbox WHERE organization_id = %s",
                        (str(org.id),))[0]["id"]

    assert outbox.send_due()["sent"] == 1

    message, parts = parsed(eml_files(welcome)[0])
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in parts["text/html"]
    assert "<b>Evil" not in parts["text/html"]
    assert "<b>Evil & Co</b>" in parts["text/plain"]  # plain text is not markup
    assert message["Subject"] == "Welcome to SNF Admissions, <b>Evil & Co</b>"


# --- retries ------------------------------------------------------------------------------

def test_a_refused_email_is_retried_with_growing_backoff_then_marked_failed(org, admin_sql):
    drain()
    outbox_id = enqueue(org)
    sender = RefusingSender()

    for attempt in range(1, outbox.MAX_ATTEMPTS):
        counts = outbox.send_due(sender)
        assert counts == {"sent": 0, "retrying": 1, "failed": 0}, attempt
        stored = row(admin_sql, outbox_id)
        assert (stored["status"], stored["attempts"]) == ("pending", attempt)
        assert stored["last_error"] == "mailbox unavailable"
        backoff = 60 * 2 ** (attempt - 1)
        assert backoff - 10 < float(stored["wait_seconds"]) <= backoff, attempt
        assert outbox.send_due(sender)["retrying"] == 0  # not due yet: not tried
        make_due(admin_sql, outbox_id)

    assert outbox.send_due(sender) == {"sent": 0, "retrying": 0, "failed": 1}
    stored = row(admin_sql, outbox_id)
    assert (stored["status"], stored["attempts"]) == ("failed", outbox.MAX_ATTEMPTS)
    assert stored["sent_at"] is None
    make_due(admin_sql, outbox_id)
    assert outbox.send_due(sender)["failed"] == 0  # given up: never tried again
    assert sender.ids == [outbox_id] * outbox.MAX_ATTEMPTS


def test_a_retried_email_is_sent_when_the_transport_recovers(org, admin_sql):
    drain()
    outbox_id = enqueue(org)
    outbox.send_due(RefusingSender())
    make_due(admin_sql, outbox_id)
    sender = RecordingSender()

    assert outbox.send_due(sender)["sent"] == 1

    assert sender.ids == [outbox_id]
    stored = row(admin_sql, outbox_id)
    assert (stored["status"], stored["attempts"], stored["last_error"]) == ("sent", 2, None)


def test_an_unexpected_sender_failure_does_not_resend_what_was_already_sent(org, admin_sql):
    drain()
    ids = [enqueue(org) for _ in range(3)]
    broken = BreaksAfter(2)

    counts = outbox.send_due(broken)  # the third raises something that is not a SendError
    recovered = RecordingSender()
    outbox.send_due(recovered)

    sends = Counter(broken.ids + recovered.ids)
    assert counts["sent"] == 2 and counts["retrying"] == 1
    assert [sends[i] for i in ids].count(1) == 2  # what went out is never sent again
    failed = admin_sql("SELECT status, attempts, last_error FROM email_outbox"
                       " WHERE status = 'pending' AND id = ANY(%s::uuid[])", ([str(i) for i in ids],))
    assert [(r["status"], r["attempts"], r["last_error"]) for r in failed] == [
        ("pending", 1, "RuntimeError")]  # retried later, with backoff; no detail leaks


# --- overlapping runs ---------------------------------------------------------------------

def test_overlapping_runs_send_each_email_exactly_once(org, other_org, admin_sql):
    drain()
    ids = [enqueue(org if i % 2 else other_org) for i in range(30)]
    sender = RecordingSender(delay=0.04)
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        results.append(outbox.send_due(sender))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    sends = Counter(sender.ids)
    assert {i: sends[i] for i in ids} == {i: 1 for i in ids}
    assert len(sender.ids) == 30
    assert sorted(r["sent"] for r in results)[0] > 0  # both runs worked, side by side
    assert sum(r["sent"] for r in results) == 30
    statuses = admin_sql("SELECT status, count(*) AS n FROM email_outbox "
                         "WHERE id = ANY(%s::uuid[]) GROUP BY status", (ids,))
    assert statuses == [{"status": "sent", "n": 30}]


# --- Azure Communication Services ---------------------------------------------------------

def test_the_acs_sender_posts_the_email_with_a_bearer_token_and_repeatability_id(acs):
    credential = TestCredential()
    sender = acs_sender(acs.endpoint + "/", credential)
    message = Message(id=str(uuid.uuid4()), to="coordinator@example.com", subject="Hello",
                      text="plain words", html="<p>html words</p>")

    sender.send(message)

    assert credential.scopes == [(ACS_SCOPE,)]
    assert ACS_SCOPE == "https://communication.azure.com/.default"
    assert len(acs.requests) == 1
    request = acs.requests[0]
    assert request["path"] == f"/emails:send?api-version={ACS_API_VERSION}"
    assert ACS_API_VERSION == "2023-03-31"
    headers = request["headers"]
    assert headers["authorization"] == "Bearer test-access-token"
    assert headers["content-type"] == "application/json"
    assert headers["repeatability-request-id"] == message.id
    first_sent = parsedate_to_datetime(headers["repeatability-first-sent"])
    assert abs(first_sent - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert json.loads(request["body"]) == {
        "senderAddress": "no-reply@snf.example",
        "recipients": {"to": [{"address": "coordinator@example.com"}]},
        "content": {"subject": "Hello", "plainText": "plain words",
                    "html": "<p>html words</p>"}}


def test_an_accepted_acs_request_marks_the_email_sent(org, admin_sql, acs):
    drain()
    outbox_id = enqueue(org, "accepted@example.com")

    counts = outbox.send_due(acs_sender(acs.endpoint, TestCredential()))

    assert counts == {"sent": 1, "retrying": 0, "failed": 0}
    assert [r["headers"]["repeatability-request-id"] for r in acs.requests] == [outbox_id]
    assert json.loads(acs.requests[0]["body"])["recipients"] == {
        "to": [{"address": "accepted@example.com"}]}
    assert row(admin_sql, outbox_id)["status"] == "sent"


@pytest.mark.parametrize("status", [500, 400, 429, 200])
def test_an_acs_answer_other_than_202_is_a_send_error(acs, status):
    acs.status = status
    sender = acs_sender(acs.endpoint, TestCredential())

    with pytest.raises(SendError, match=str(status)):
        sender.send(Message(id=str(uuid.uuid4()), to="x@example.com", subject="s", text="t",
                            html="h"))


def test_a_failing_acs_leaves_the_email_pending_for_a_retry(org, admin_sql, acs):
    drain()
    acs.status = 500
    outbox_id = enqueue(org)

    counts = outbox.send_due(acs_sender(acs.endpoint, TestCredential()))

    assert counts == {"sent": 0, "retrying": 1, "failed": 0}
    stored = row(admin_sql, outbox_id)
    assert (stored["status"], stored["attempts"], stored["last_error"]) == (
        "pending", 1, "ACS answered 500")


def test_an_unreachable_acs_is_a_send_error(acs):
    endpoint = acs.endpoint
    acs.close()  # nothing listens there any more

    with pytest.raises(SendError, match="unreachable"):
        acs_sender(endpoint, TestCredential()).send(
            Message(id=str(uuid.uuid4()), to="x@example.com", subject="s", text="t", html="h"))


def test_the_sender_follows_the_email_sender_setting():
    credential = TestCredential()
    acs_settings = Settings(email_sender="acs", acs_endpoint="https://acs.example")

    assert isinstance(sender_for(acs_settings, credential), AcsSender)
    assert isinstance(sender_for(Settings(email_sender="file")), FileSender)
    with pytest.raises(RuntimeError, match="ACS_ENDPOINT"):
        sender_for(Settings(email_sender="acs"))


# --- the timer ----------------------------------------------------------------------------

def test_the_outbox_timer_function_sends_what_is_due(app, org, admin_sql):
    from azure.functions.timer import TimerRequest
    timers = {t.name: t for t in timer_functions(app)}
    drain()
    outbox_id = enqueue(org)

    assert timers["send_email_outbox"].schedule == "0 * * * * *"
    timers["send_email_outbox"].function(TimerRequest(past_due=False))

    assert row(admin_sql, outbox_id)["status"] == "sent"
    assert len(eml_files(outbox_id)) == 1
    assert scheduler.due(scheduler.parse(timers["send_email_outbox"].schedule),
                         datetime(2026, 5, 1, 12, 34, 0, tzinfo=timezone.utc))


# --- the local scheduler's NCRONTAB -------------------------------------------------------

def at(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


ALL = (frozenset(range(60)), frozenset(range(60)), frozenset(range(24)), frozenset(range(1, 32)),
       frozenset(range(1, 13)), frozenset(range(7)))


def test_every_minute_parses_to_second_zero_of_every_minute():
    assert scheduler.parse("0 * * * * *") == (frozenset({0}),) + ALL[1:]
    schedule = scheduler.parse("0 * * * * *")
    assert scheduler.due(schedule, at(2026, 5, 1, 12, 34, 0))
    assert scheduler.due(schedule, at(2026, 12, 31, 23, 59, 0))
    assert not scheduler.due(schedule, at(2026, 5, 1, 12, 34, 1))


def test_daily_at_half_past_three():
    schedule = scheduler.parse("0 30 3 * * *")

    assert scheduler.due(schedule, at(2026, 3, 4, 3, 30, 0))
    assert scheduler.due(schedule, at(2026, 3, 5, 3, 30, 0))
    for other in (at(2026, 3, 4, 3, 30, 1), at(2026, 3, 4, 3, 31, 0), at(2026, 3, 4, 15, 30, 0),
                  at(2026, 3, 4, 4, 30, 0)):
        assert not scheduler.due(schedule, other), other


def test_monthly_at_midnight_of_the_first():
    schedule = scheduler.parse("0 0 0 1 * *")

    assert scheduler.due(schedule, at(2026, 2, 1, 0, 0, 0))
    assert scheduler.due(schedule, at(2027, 1, 1, 0, 0, 0))
    assert not scheduler.due(schedule, at(2026, 2, 2, 0, 0, 0))
    assert not scheduler.due(schedule, at(2026, 2, 1, 0, 1, 0))


def test_every_fifteen_seconds():
    schedule = scheduler.parse("*/15 * * * * *")

    assert schedule[0] == frozenset({0, 15, 30, 45})
    due = [s for s in range(60) if scheduler.due(schedule, at(2026, 1, 1, 8, 0, s))]
    assert due == [0, 15, 30, 45]


def test_ranges_lists_and_stepped_ranges():
    schedule = scheduler.parse("0 0-30/10 9-17 * * 1-5")

    assert schedule[1] == frozenset({0, 10, 20, 30})
    assert schedule[2] == frozenset(range(9, 18))
    assert schedule[5] == frozenset({1, 2, 3, 4, 5})
    monday, saturday = at(2026, 11, 23, 9, 20, 0), at(2026, 11, 28, 9, 20, 0)
    assert monday.isoweekday() == 1 and saturday.isoweekday() == 6
    assert scheduler.due(schedule, monday)
    assert not scheduler.due(schedule, saturday)
    assert not scheduler.due(schedule, at(2026, 11, 23, 18, 20, 0))
    assert not scheduler.due(schedule, at(2026, 11, 23, 9, 40, 0))

    listed = scheduler.parse("0 0,30 8,20 * 1,7 *")
    assert listed[1] == frozenset({0, 30}) and listed[4] == frozenset({1, 7})
    assert scheduler.due(listed, at(2026, 7, 4, 20, 30, 0))
    assert not scheduler.due(listed, at(2026, 6, 4, 20, 30, 0))


def test_day_of_week_zero_is_sunday():
    schedule = scheduler.parse("0 0 12 * * 0")
    sunday = at(2026, 11, 29, 12, 0, 0)

    assert sunday.strftime("%A") == "Sunday"
    assert scheduler.due(schedule, sunday)
    assert not scheduler.due(schedule, sunday + timedelta(days=1))


@pytest.mark.parametrize("schedule", [
    "* * * * *",            # five fields: classic cron, not NCRONTAB
    "0 * * * * * *",
    "",
    "x * * * * *",
    "0 * * * * mon-",
    "*/0 * * * * *",
])
def test_a_malformed_schedule_raises_value_error(schedule):
    with pytest.raises(ValueError):
        scheduler.parse(schedule)


@pytest.mark.parametrize("schedule", ["60 * * * * *", "0 0 24 * * *", "0 0 0 32 * *",
                                      "0 0 0 * 13 *", "0 5-1 * * * *"])
def test_an_out_of_range_schedule_raises_value_error(schedule):
    with pytest.raises(ValueError):
        scheduler.parse(schedule)


def test_the_apps_timers_have_schedules_the_scheduler_understands(app):
    schedules = {t.name: t.schedule for t in timer_functions(app)}

    assert schedules["purge_old_records"] == "0 30 3 * * *"
    for name, schedule in schedules.items():
        parsed_schedule = scheduler.parse(schedule)
        assert all(parsed_schedule), name  # every field can match something
