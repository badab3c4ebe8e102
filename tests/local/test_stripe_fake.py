"""The fake Stripe of local/stripe_fake.py, driven by the real stripe SDK, its webhooks received by
a small HTTP receiver, and its pages clicked through with urllib. No database, no app."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import stripe

from local.stripe_fake import FakeStripe, decode_form, event, sign

SECRET = "whsec_test_secret"
PRICES = {"price_starter": 19900, "price_professional": 49900}
ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A webhook endpoint: keeps each POST's headers and raw body, answers `status`, and runs
    `on_event` (with the parsed event) before answering, as the app's handler would."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.status = 200
        self.on_event = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                if receiver.on_event:
                    receiver.on_event(json.loads(body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/stripe/webhook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def types(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def fake(receiver):
    with FakeStripe(prices=PRICES, webhook_url=receiver.url, webhook_secret=SECRET) as f:
        yield f


@pytest.fixture
def client(fake):
    return stripe.StripeClient("sk_test_fake", base_addresses={"api": fake.url},
                               max_network_retries=0)


def new_customer(client, org="org-1"):
    return client.v1.customers.create(
        params={"name": "Sunny Acres", "email": "billing@sunny.test",
                "metadata": {"organization_id": org}},
        options={"idempotency_key": f"customer-{org}"})


def checkout_params(customer_id, **overrides):
    params = {"mode": "subscription", "customer": customer_id, "client_reference_id": "org-1",
              "line_items": [{"price": "price_starter", "quantity": 1}],
              "metadata": {"organization_id": "org-1", "tier": "starter"},
              "subscription_data": {"metadata": {"organization_id": "org-1", "tier": "starter"}},
              "success_url": "http://app.test/billing?done=1",
              "cancel_url": "http://app.test/billing?canceled=1"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def subscribe(client, fake, org="org-1"):
    customer = new_customer(client, org)
    session = client.v1.checkout.sessions.create(params=checkout_params(customer.id))
    return customer, session, fake.complete_checkout(session.id)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, data: bytes | None = None):
    """(status, headers, body text) without following redirects."""
    try:
        with urllib.request.build_opener(NoRedirect).open(url, data=data, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


# -- the API through the SDK --

def test_customer_creation_is_idempotent_per_key(fake, client):
    first, again = new_customer(client), new_customer(client)
    assert first.id == again.id and first.id.startswith("cus_")
    assert (first.object, first.livemode, first.metadata["organization_id"]) == \
        ("customer", False, "org-1")
    assert new_customer(client, "org-2").id != first.id
    assert len(fake.customers) == 2
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"name": "Other"},
                                   options={"idempotency_key": "customer-org-1"})
    sent = [r for r in fake.requests if r["path"] == "/v1/customers"][0]
    assert sent["method"] == "POST" and sent["idempotency_key"] == "customer-org-1"
    assert sent["params"] == {"name": "Sunny Acres", "email": "billing@sunny.test",
                              "metadata": {"organization_id": "org-1"}}
    assert sent["headers"]["authorization"] == "Bearer sk_test_fake"
    assert client.v1.customers.retrieve(first.id).email == "billing@sunny.test"


def test_unknown_ids_raise_the_sdks_not_found_error(client):
    for call in (lambda: client.v1.customers.retrieve("cus_nope"),
                 lambda: client.v1.subscriptions.retrieve("sub_nope"),
                 lambda: client.v1.invoices.list(params={"customer": "cus_nope"})):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            call()
        assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")


def test_a_missing_or_wrong_key_is_refused(fake):
    wrong = stripe.StripeClient("pk_test_public", base_addresses={"api": fake.url},
                                max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.customers.create(params={"name": "x"})
    status, _, body = fetch(f"{fake.url}/v1/customers/cus_x")
    assert status == 401 and json.loads(body)["error"]["type"] == "invalid_request_error"
    assert not fake.customers


def test_checkout_session(fake, client):
    customer = new_customer(client)
    session = client.v1.checkout.sessions.create(params=checkout_params(customer.id))
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert session.url == f"{fake.url}/checkout/{session.id}"
    assert (session.status, session.customer, session.client_reference_id) == \
        ("open", customer.id, "org-1")
    sent = fake.requests[-1]["params"]
    assert sent["line_items"] == [{"price": "price_starter", "quantity": "1"}]
    assert sent["subscription_data"] == {"metadata": {"organization_id": "org-1",
                                                      "tier": "starter"}}


@pytest.mark.parametrize("overrides, param", [
    ({"mode": "payment"}, "mode"),
    ({"customer": None}, "customer"),
    ({"customer": "cus_unknown"}, "customer"),
    ({"line_items": [{"price": "price_unknown", "quantity": 1}]}, "line_items[0][price]"),
    ({"line_items": None}, "line_items"),
    ({"success_url": None}, "success_url"),
    ({"cancel_url": None}, "cancel_url"),
])
def test_checkout_session_validation(fake, client, overrides, param):
    customer = new_customer(client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=checkout_params(customer.id, **overrides))
    assert raised.value.http_status == 400 and raised.value.param == param
    assert not fake.checkout_sessions


def test_portal_session(fake, client):
    customer = new_customer(client)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "http://app.test/billing"})
    assert portal.id.startswith("bps_") and portal.url == f"{fake.url}/portal/{portal.id}"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing_portal.sessions.create(params={"customer": "cus_unknown"})


def test_subscription_and_invoices_after_checkout(fake, client):
    customer, session, _ = subscribe(client, fake)
    session = client.v1.checkout.sessions.retrieve(session.id)
    assert (session.status, session.payment_status) == ("complete", "paid")
    sub = client.v1.subscriptions.retrieve(session.subscription)
    assert sub.id.startswith("sub_") and sub.object == "subscription"
    assert (sub.status, sub.customer, sub.cancel_at_period_end) == ("active", customer.id, False)
    assert sub.metadata.to_dict() == {"organization_id": "org-1", "tier": "starter"}
    item = sub["items"].data[0]
    assert item.price.id == "price_starter" and item.price.unit_amount == 19900
    assert abs(item.current_period_end - (time.time() + 30 * 86400)) < 60
    assert "current_period_end" not in sub  # the pinned API version has it on items only

    listed = client.v1.subscriptions.list(params={"customer": customer.id})
    assert [s.id for s in listed.data] == [sub.id]

    invoices = client.v1.invoices.list(params={"customer": customer.id, "limit": 12})
    assert (invoices.object, invoices.has_more, len(invoices.data)) == ("list", False, 1)
    invoice = invoices.data[0]
    assert invoice.id.startswith("in_") and invoice.number
    assert (invoice.status, invoice.amount_due, invoice.amount_paid, invoice.currency) == \
        ("paid", 19900, 19900, "usd")
    assert invoice.created and invoice.hosted_invoice_url.startswith(fake.url)
    assert fetch(invoice.invoice_pdf)[0] == 200


def test_invoices_are_listed_newest_first_and_limited(fake, client):
    customer, _, sub = subscribe(client, fake)
    fake.fail_payment(sub["id"])
    subscribe(client, fake, "org-2")  # another customer's invoice is not listed
    listed = client.v1.invoices.list(params={"customer": customer.id, "limit": 1})
    assert listed.has_more and [i.status for i in listed.data] == ["open"]
    listed = client.v1.invoices.list(params={"customer": customer.id, "limit": 12})
    assert [i.status for i in listed.data] == ["open", "paid"]
    sent = fake.requests[-1]
    assert (sent["method"], sent["params"]) == ("GET", {"customer": customer.id, "limit": "12"})


# -- webhooks --

def test_complete_checkout_delivers_events_signed_as_stripe_does(fake, client, receiver):
    customer, session, sub = subscribe(client, fake)
    assert receiver.types() == ["checkout.session.completed", "customer.subscription.created",
                                "invoice.paid"]
    for headers, body in receiver.received:
        verified = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET,
                                                  tolerance=300)
        assert verified.id.startswith("evt_") and verified.livemode is False
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_other")
    completed = json.loads(receiver.received[0][1])["data"]["object"]
    assert (completed["client_reference_id"], completed["customer"], completed["subscription"]) \
        == ("org-1", customer.id, sub["id"])
    assert completed["metadata"] == {"organization_id": "org-1", "tier": "starter"}
    created = json.loads(receiver.received[1][1])
    assert created["object"] == "event" and created["api_version"] == stripe.api_version
    assert created["data"]["object"]["metadata"]["tier"] == "starter"
    assert [d["status"] for d in fake.deliveries] == [200, 200, 200]
    assert [e["type"] for e in fake.events] == receiver.types()


def test_failed_payment_payment_price_change_and_cancel(fake, client, receiver):
    _, _, sub = subscribe(client, fake)
    receiver.received.clear()
    assert fake.fail_payment(sub["id"])["status"] == "past_due"
    assert receiver.types() == ["invoice.payment_failed", "customer.subscription.updated"]
    assert client.v1.subscriptions.retrieve(sub["id"]).status == "past_due"
    failed = json.loads(receiver.received[0][1])["data"]["object"]
    assert failed["status"] == "open" and failed["amount_paid"] == 0

    receiver.received.clear()
    assert fake.pay_invoice(sub["id"])["status"] == "active"
    assert receiver.types() == ["invoice.paid", "customer.subscription.updated"]
    assert json.loads(receiver.received[0][1])["data"]["object"]["id"] == failed["id"]
    with pytest.raises(ValueError):
        fake.pay_invoice(sub["id"])  # nothing open any more

    receiver.received.clear()
    fake.change_price(sub["id"], "price_professional")
    assert receiver.types() == ["customer.subscription.updated"]
    updated = json.loads(receiver.received[0][1])["data"]
    assert updated["object"]["items"]["data"][0]["price"]["id"] == "price_professional"
    assert updated["previous_attributes"]["items"]["data"][0]["price"]["id"] == "price_starter"

    receiver.received.clear()
    assert fake.cancel(sub["id"])["status"] == "canceled"
    assert receiver.types() == ["customer.subscription.deleted"]
    assert client.v1.subscriptions.retrieve(sub["id"]).status == "canceled"
    with pytest.raises(KeyError):
        fake.cancel("sub_unknown")


def test_the_webhook_handler_may_call_the_api_back(fake, client, receiver):
    seen = []
    receiver.on_event = lambda evt: seen.append(
        client.v1.subscriptions.retrieve(evt["data"]["object"]["id"]).status
        if evt["type"].startswith("customer.subscription") else None)
    _, _, sub = subscribe(client, fake)
    fake.cancel(sub["id"])
    assert [s for s in seen if s] == ["active", "canceled"]


def test_delivery_failures_are_recorded_not_raised(fake, client, receiver):
    receiver.status = 500
    _, _, sub = subscribe(client, fake)
    assert [d["status"] for d in fake.deliveries] == [500, 500, 500]
    fake.webhook_url = "http://127.0.0.1:9/nobody-listens"
    fake.cancel(sub["id"])
    assert fake.deliveries[-1]["status"] is None and fake.deliveries[-1]["error"]
    assert fake.deliveries[-1]["type"] == "customer.subscription.deleted"


def test_module_event_and_sign_build_what_stripe_sends(fake, receiver):
    evt = event("customer.subscription.updated", {"id": "sub_1", "object": "subscription"},
                created=1_700_000_000)
    assert evt["id"].startswith("evt_") and evt["created"] == 1_700_000_000
    assert evt["data"] == {"object": {"id": "sub_1", "object": "subscription"}}
    body = json.dumps(evt).encode()
    assert stripe.Webhook.construct_event(body, sign(body, SECRET), SECRET).type == evt["type"]
    stale = sign(body, SECRET, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stale, SECRET, tolerance=300)
    forged = fake.deliver(evt, secret="whsec_forger")
    assert forged["status"] == 200
    headers, sent = receiver.received[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(sent, headers["Stripe-Signature"], SECRET)


def test_decode_form_nests_as_the_sdk_encodes():
    assert decode_form("a[b][0][c]=x&a[b][1][c]=y&d=1&m[k]=") == \
        {"a": {"b": [{"c": "x"}, {"c": "y"}]}, "d": "1", "m": {"k": ""}}


# -- the pages a person clicks --

def test_checkout_page_pay_runs_the_checkout_then_redirects(fake, client, receiver):
    customer = new_customer(client)
    session = client.v1.checkout.sessions.create(params=checkout_params(customer.id))
    status, _, page = fetch(session.url)
    assert status == 200 and "Test checkout — $199.00/month" in page
    assert f'action="/checkout/{session.id}/pay"' in page and ">Pay</button>" in page
    assert 'href="http://app.test/billing?canceled=1">Cancel</a>' in page

    status, headers, _ = fetch(f"{session.url}/pay", data=b"")
    assert status == 303 and headers["Location"] == "http://app.test/billing?done=1"
    # Delivered before the redirect: the app knows of the subscription when the browser returns.
    assert receiver.types() == ["checkout.session.completed", "customer.subscription.created",
                                "invoice.paid"]
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"
    status, headers, _ = fetch(f"{session.url}/pay", data=b"")  # a second click
    assert status == 303 and len(receiver.received) == 3 and len(fake.subscriptions) == 1


def test_portal_page_buttons(fake, client, receiver):
    customer, _, sub = subscribe(client, fake)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "http://app.test/billing"})
    status, _, page = fetch(portal.url)
    assert status == 200 and "price_starter" in page and "$199.00/month" in page
    assert "Cancel subscription" in page and "Simulate failed payment" in page
    assert "Pay open invoice" not in page and 'href="http://app.test/billing">Back</a>' in page

    status, headers, _ = fetch(f"{portal.url}/fail", data=b"")
    assert status == 303 and headers["Location"] == f"/portal/{portal.id}"
    assert fake.subscriptions[sub["id"]]["status"] == "past_due"
    assert "Pay open invoice" in fetch(portal.url)[2]
    assert fetch(f"{portal.url}/pay", data=b"")[0] == 303
    assert fake.subscriptions[sub["id"]]["status"] == "active"
    assert fetch(f"{portal.url}/cancel", data=b"")[0] == 303
    assert fake.subscriptions[sub["id"]]["status"] == "canceled"
    assert receiver.types()[-1] == "customer.subscription.deleted"
    assert fetch(f"{portal.url}/cancel", data=b"")[0] == 409  # a stale page's button


# -- the command line --

@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_cli_serves_until_interrupted(sigint):
    # A background job of a non-interactive shell starts with SIGINT ignored: Ctrl-C (or the
    # test's SIGINT) must stop it all the same.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint == "ignored" else None
    process = subprocess.Popen(
        [sys.executable, "-m", "local.stripe_fake", "--port", "0", "--webhook-secret", SECRET,
         "--price", "starter=price_starter", "--price", "pro=price_pro:1234"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=ignore)
    try:
        line = process.stdout.readline()
        url = line.split()[3]
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url},
                                     max_network_retries=0)
        customer = new_customer(client)
        session = client.v1.checkout.sessions.create(params=checkout_params(
            customer.id, line_items=[{"price": "price_pro", "quantity": 1}]))
        assert "Test checkout — $12.34/month" in fetch(session.url)[2]
        assert "price_starter" in line and "19900" in line
    finally:
        process.send_signal(2)  # SIGINT, as Ctrl-C
        assert process.wait(timeout=30) == 0
        process.stdout.close()
