"""An in-memory stand-in for the few Stripe endpoints the app calls (the machine has no internet),
for tests and `make run`. Stdlib only. The real SDK talks to it unchanged:

    stripe.StripeClient(key, base_addresses={"api": fake.url}, max_network_retries=0)

API: POST /v1/customers, GET /v1/customers/{id}, POST /v1/checkout/sessions, GET
/v1/checkout/sessions/{id}, POST /v1/billing_portal/sessions, GET /v1/subscriptions/{id},
GET /v1/invoices[/{id}], DELETE /v1/subscriptions/{id} (cancels now). Pages a person clicks:
/checkout/{id}, /portal/{id}, /invoice/{id}.
complete_checkout, fail_payment, pay_invoice, change_price and cancel do what Stripe does after a
customer acts: update the state, then POST the signed webhook events to webhook_url.

`make run` starts it beside the local host:

    python -m local.stripe_fake --port 12111 --webhook-secret whsec_local \\
        --webhook-url http://127.0.0.1:7071/api/stripe/webhook \\
        --price starter=price_starter --price professional=price_professional

with the app's settings STRIPE_API_BASE=http://127.0.0.1:12111, STRIPE_SECRET_KEY=sk_test_<any>
(any sk_ key is accepted unless --api-key is given), STRIPE_WEBHOOK_SECRET=whsec_local (the
--webhook-secret), STRIPE_PRICE_STARTER=price_starter, STRIPE_PRICE_PROFESSIONAL=price_professional.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import secrets
import signal
import string
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"  # the version stripe 16.1.0 pins
DEFAULT_AMOUNTS = {"starter": 19900, "professional": 49900}
DEFAULT_PRICES = {"price_starter": 19900, "price_professional": 49900}
PERIOD = 30 * 86400


def _id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))


def _copy(obj):
    """A snapshot: events and callers never share (or later see changes to) the fake's state."""
    return json.loads(json.dumps(obj))


def event(type: str, obj: dict, created: int | None = None,
          previous_attributes: dict | None = None) -> dict:
    """A Stripe event around a snapshot of obj, shaped as Stripe's webhooks deliver it."""
    data = {"object": _copy(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = _copy(previous_attributes)
    return {"id": _id("evt_"), "object": "event", "type": type, "data": data,
            "created": int(time.time()) if created is None else created, "livemode": False,
            "api_version": API_VERSION, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}}


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">."""
    payload = payload.encode() if isinstance(payload, str) else payload
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={hmac.new(secret.encode(), b'%d.' % t + payload, hashlib.sha256).hexdigest()}"


def decode_form(body: str) -> dict:
    """Stripe's form encoding back to nesting: a[b][0][c]=x -> {"a": {"b": [{"c": "x"}]}}.
    Values stay strings, as Stripe receives them."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        *parents, last = key.replace("]", "").split("[")
        node = root
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    def listify(node):
        if not isinstance(node, dict):
            return node
        node = {k: listify(v) for k, v in node.items()}
        return [node[k] for k in sorted(node, key=int)] if node and all(
            k.isdigit() for k in node) else node
    return listify(root)


def _subscription_of(invoice: dict) -> str | None:
    return ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")


class StripeError(Exception):
    """An error answered in Stripe's shape, so that the SDK raises its matching exception."""

    def __init__(self, status: int, message: str, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status = status
        error = {"type": type, "message": message, "code": code, "param": param}
        self.body = {"error": {k: v for k, v in error.items() if v is not None}}


def _missing(kind: str, id, param: str = "id", status: int = 404) -> StripeError:
    return StripeError(status, f"No such {kind}: '{id}'", code="resource_missing", param=param)


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def _html(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _button(action: str, label: str) -> str:
    return f'<form method="post" action="{action}"><button type="submit">{label}</button></form>'


class FakeStripe:
    def __init__(self, prices: dict[str, int] | None = None, webhook_url: str | None = None,
                 webhook_secret: str | None = None, api_key: str | None = None,
                 host: str = "127.0.0.1", port: int = 0):
        self.prices = dict(DEFAULT_PRICES if prices is None else prices)  # price id -> cents
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret or _id("whsec_")
        self.api_key = api_key  # None: any key starting sk_ is accepted
        self.host, self.port, self.url = host, port, ""
        self.customers, self.checkout_sessions, self.portal_sessions = {}, {}, {}
        self.subscriptions, self.invoices = {}, {}
        self.requests: list[dict] = []    # every request received, in order
        self.events: list[dict] = []      # every event generated, delivered or not
        self.deliveries: list[dict] = []  # every delivery attempt: event_id, type, status, error
        self._pending: dict[str, dict] = {}  # checkout session id -> the subscription to create
        self._idempotent: dict[str, tuple] = {}
        self._lock = threading.RLock()
        self._server = self._thread = None

    def start(self) -> FakeStripe:
        self._server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        # A short poll: stop() waits up to one poll interval.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the API (called under the lock) --
    def _api(self, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict]:
        auth = headers.get("authorization", "")
        key = auth[7:].strip() if auth.startswith("Bearer ") else ""
        if not key:
            raise StripeError(401, "You did not provide an API key.")
        if (key != self.api_key) if self.api_key else not key.startswith("sk_"):
            raise StripeError(401, f"Invalid API Key provided: {key[:8]}****")
        # As Stripe: a key replays its first answer, and is refused with other parameters.
        idem = headers.get("idempotency-key") if method == "POST" else None
        if idem in self._idempotent:
            request, answer = self._idempotent[idem]
            if request != (path, params):
                raise StripeError(400, "Keys for idempotent requests can only be used with the same"
                                  " parameters they were first used with.", "idempotency_error")
            return answer
        try:
            answer = 200, self._route(method, path, params)
        except StripeError as error:
            answer = error.status, error.body
        if idem:
            self._idempotent[idem] = ((path, params), answer)
        return answer

    def _route(self, method: str, path: str, p: dict) -> dict:
        name = path.removeprefix("/v1/").rstrip("/")
        collection, _, id = name.rpartition("/")
        creates = {"customers": self._create_customer, "checkout/sessions": self._create_checkout,
                   "billing_portal/sessions": self._create_portal}
        stores = {"customers": (self.customers, "customer"),
                  "checkout/sessions": (self.checkout_sessions, "checkout.session"),
                  "subscriptions": (self.subscriptions, "subscription"),
                  "invoices": (self.invoices, "invoice")}
        if method == "POST" and name in creates:
            return creates[name](p)
        if method == "GET" and name == "invoices":
            return self._list_invoices(p)
        if method == "GET" and name == "subscriptions":
            return self._list_subscriptions(p)
        if method == "DELETE" and collection == "subscriptions":
            return self._cancel_by_api(id)
        if method == "GET" and collection in stores:
            store, kind = stores[collection]
            if id not in store:
                raise _missing(kind, id)
            return store[id]
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _create_customer(self, p: dict) -> dict:
        customer = {"id": _id("cus_"), "object": "customer", "created": int(time.time()),
                    "name": p.get("name"), "email": p.get("email"),
                    "metadata": p.get("metadata") or {}, "livemode": False}
        self.customers[customer["id"]] = customer
        return customer

    def _create_checkout(self, p: dict) -> dict:
        if p.get("mode") != "subscription":
            raise StripeError(400, "This fake supports only mode=subscription.", param="mode")
        for name in ("customer", "line_items", "success_url", "cancel_url"):
            if not p.get(name):
                raise StripeError(400, f"Missing required param: {name}.",
                                  code="parameter_missing", param=name)
        if p["customer"] not in self.customers:
            raise _missing("customer", p["customer"], "customer", 400)
        items = p["line_items"]
        if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
            raise StripeError(400, "This fake supports exactly one line item.", param="line_items")
        price, quantity = items[0].get("price"), int(items[0].get("quantity") or 1)
        if price not in self.prices:
            raise _missing("price", price, "line_items[0][price]", 400)
        now, id = int(time.time()), _id("cs_test_")
        session = {"id": id, "object": "checkout.session", "created": now, "expires_at": now + 86400,
                   "mode": "subscription", "customer": p["customer"],
                   "customer_details": {"email": self.customers[p["customer"]]["email"]},
                   "client_reference_id": p.get("client_reference_id"),
                   "metadata": p.get("metadata") or {}, "currency": "usd",
                   "amount_total": self.prices[price] * quantity, "status": "open",
                   "payment_status": "unpaid", "subscription": None, "url": f"{self.url}/checkout/{id}",
                   "success_url": p["success_url"], "cancel_url": p["cancel_url"], "livemode": False}
        self.checkout_sessions[id] = session
        self._pending[id] = {"price": price, "quantity": quantity,
                             "metadata": (p.get("subscription_data") or {}).get("metadata") or {}}
        return session

    def _create_portal(self, p: dict) -> dict:
        if p.get("customer") not in self.customers:
            raise _missing("customer", p.get("customer"), "customer", 400)
        id = _id("bps_")
        portal = {"id": id, "object": "billing_portal.session", "created": int(time.time()),
                  "customer": p["customer"], "return_url": p.get("return_url"),
                  "url": f"{self.url}/portal/{id}", "livemode": False}
        self.portal_sessions[id] = portal
        return portal

    def _list_invoices(self, p: dict) -> dict:
        customer = p.get("customer")
        if customer is not None and customer not in self.customers:
            raise _missing("customer", customer, "customer")
        limit = max(1, min(100, int(p.get("limit") or 10)))
        found = [i for i in reversed(self.invoices.values())  # newest first, as Stripe lists
                 if customer in (None, i["customer"])
                 and p.get("subscription") in (None, _subscription_of(i))]
        return {"object": "list", "data": found[:limit], "has_more": len(found) > limit,
                "url": "/v1/invoices"}

    def _list_subscriptions(self, p: dict) -> dict:
        """Stripe lists the customer's subscriptions that have not ended unless status=all."""
        customer, status = p.get("customer"), p.get("status")
        found = [s for s in reversed(self.subscriptions.values())
                 if customer in (None, s["customer"])
                 and (status == "all" or s["status"] == status
                      or (status is None and s["status"] not in ("canceled",
                                                                  "incomplete_expired")))]
        return {"object": "list", "data": found, "has_more": False, "url": "/v1/subscriptions"}

    # -- objects --
    def _price(self, price: str) -> dict:
        return {"id": price, "object": "price", "active": True, "currency": "usd",
                "unit_amount": self.prices[price], "product": "prod_" + price.removeprefix("price_"),
                "recurring": {"interval": "month", "interval_count": 1}, "type": "recurring",
                "livemode": False}

    def _new_invoice(self, sub: dict, reason: str) -> dict:
        item, id = sub["items"]["data"][0], _id("in_")
        amount = item["price"]["unit_amount"] * item["quantity"]
        count = 1 + sum(i["customer"] == sub["customer"] for i in self.invoices.values())
        invoice = {"id": id, "object": "invoice", "created": int(time.time()),
                   "customer": sub["customer"], "number": f"{sub['customer'][4:12].upper()}-{count:04d}",
                   "parent": {"type": "subscription_details", "subscription_details": {
                       "subscription": sub["id"], "metadata": sub["metadata"]}},
                   "billing_reason": reason, "currency": "usd", "amount_due": amount,
                   "amount_paid": 0, "amount_remaining": amount, "status": "open",
                   "status_transitions": {"paid_at": None}, "livemode": False,
                   "period_start": item["current_period_start"],
                   "period_end": item["current_period_end"],
                   "hosted_invoice_url": f"{self.url}/invoice/{id}",
                   "invoice_pdf": f"{self.url}/invoice/{id}/pdf"}
        self.invoices[id] = invoice
        sub["latest_invoice"] = id
        return invoice

    @staticmethod
    def _mark_paid(invoice: dict) -> None:
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0,
                       status_transitions={"paid_at": int(time.time())})

    # -- what Stripe does after a customer acts; each returns the subscription as it is now --
    def complete_checkout(self, session_id: str) -> dict:
        with self._lock:
            session = self.checkout_sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"checkout session {session_id} is {session['status']}")
            pending, now, id = self._pending[session_id], int(time.time()), _id("sub_")
            period = {"current_period_start": now, "current_period_end": now + PERIOD}
            # The pinned API version has the period on the items only (so does this fake: code
            # that read it elsewhere would fail here, as against Stripe).
            sub = {"id": id, "object": "subscription", "created": now, "start_date": now,
                   "customer": session["customer"], "status": "active",
                   "metadata": pending["metadata"], "cancel_at_period_end": False,
                   "canceled_at": None, "ended_at": None, "latest_invoice": None, "livemode": False,
                   "items": {"object": "list", "has_more": False,
                             "url": f"/v1/subscription_items?subscription={id}",
                             "data": [{"id": _id("si_"), "object": "subscription_item",
                                       "created": now, "subscription": id, **period,
                                       "price": self._price(pending["price"]),
                                       "quantity": pending["quantity"]}]}}
            self.subscriptions[id] = sub
            invoice = self._new_invoice(sub, "subscription_create")
            self._mark_paid(invoice)
            session.update(status="complete", payment_status="paid", subscription=id, url=None)
            events = [event("checkout.session.completed", session),
                      event("customer.subscription.created", sub), event("invoice.paid", invoice)]
        return self._emit(events)

    def fail_payment(self, subscription_id: str) -> dict:
        """A renewal charge that fails: an open invoice, the subscription past_due."""
        with self._lock:
            sub = self._live(subscription_id)
            previous, sub["status"] = {"status": sub["status"]}, "past_due"
            events = [event("invoice.payment_failed", self._new_invoice(sub, "subscription_cycle")),
                      event("customer.subscription.updated", sub, previous_attributes=previous)]
        return self._emit(events)

    def pay_invoice(self, subscription_id: str) -> dict:
        """The customer pays the subscription's latest open invoice."""
        with self._lock:
            sub = self._live(subscription_id)
            invoice = next((i for i in reversed(self.invoices.values())
                            if _subscription_of(i) == sub["id"] and i["status"] == "open"), None)
            if invoice is None:
                raise ValueError(f"subscription {subscription_id} has no open invoice")
            self._mark_paid(invoice)
            previous, sub["status"] = {"status": sub["status"]}, "active"
            events = [event("invoice.paid", invoice),
                      event("customer.subscription.updated", sub, previous_attributes=previous)]
        return self._emit(events)

    def change_price(self, subscription_id: str, price: str) -> dict:
        with self._lock:
            sub = self._live(subscription_id)
            if price not in self.prices:
                raise ValueError(f"unknown price {price}")
            previous = {"items": _copy(sub["items"])}
            sub["items"]["data"][0]["price"] = self._price(price)
            events = [event("customer.subscription.updated", sub, previous_attributes=previous)]
        return self._emit(events)

    def cancel(self, subscription_id: str) -> dict:
        """Cancels now (not at the period's end)."""
        with self._lock:
            sub, now = self._live(subscription_id), int(time.time())
            sub.update(status="canceled", canceled_at=now, ended_at=now)
            events = [event("customer.subscription.deleted", sub)]
        return self._emit(events)

    def _cancel_by_api(self, subscription_id: str) -> dict:
        """DELETE /v1/subscriptions/{id}: canceled now. As Stripe, the webhook comes after the
        answer (on a thread here), not inside it: the caller may still hold its locks."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            raise _missing("subscription", subscription_id)
        if sub["status"] == "canceled":
            raise StripeError(400, f"No such subscription: '{subscription_id}' is canceled.")
        now = int(time.time())
        sub.update(status="canceled", canceled_at=now, ended_at=now)
        evt = event("customer.subscription.deleted", sub)
        self.events.append(evt)
        if self.webhook_url:
            threading.Thread(target=self.deliver, args=(evt,), daemon=True).start()
        return _copy(sub)

    def _live(self, subscription_id: str) -> dict:
        """The subscription; KeyError if unknown, ValueError if canceled (Stripe's is final)."""
        sub = self.subscriptions[subscription_id]
        if sub["status"] == "canceled":
            raise ValueError(f"subscription {subscription_id} is canceled")
        return sub

    # -- webhooks --
    def _emit(self, events: list[dict]) -> dict:
        """Records and delivers events; returns the subscription as they show it (a snapshot
        taken under the lock)."""
        with self._lock:
            self.events.extend(events)
        # Outside the lock: the app's webhook handler may call this API back.
        for e in events if self.webhook_url else ():
            self.deliver(e)
        return _copy(next(e["data"]["object"] for e in events
                          if e["data"]["object"]["object"] == "subscription"))

    def deliver(self, evt: dict, secret: str | None = None, timestamp: int | None = None) -> dict:
        """POST evt to webhook_url, signed (by default as Stripe would: webhook_secret, now).
        The attempt is recorded in .deliveries and returned; failures are never raised."""
        if not self.webhook_url:
            raise ValueError("no webhook_url to deliver to")
        body = json.dumps(evt, indent=2).encode()
        record = {"event_id": evt.get("id"), "type": evt.get("type"), "status": None, "error": None}
        request = urllib.request.Request(self.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(body, secret or self.webhook_secret, timestamp)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                record["status"] = response.status
        except urllib.error.HTTPError as error:
            record.update(status=error.code, error=str(error.reason))
            error.close()
        except (OSError, ValueError) as error:
            record["error"] = str(error)
        with self._lock:
            self.deliveries.append(record)
        return record

    # -- pages --
    def _act(self, path: str) -> tuple[int, dict, str]:
        """A button's POST. Not under the lock: the actions deliver webhooks."""
        match path.strip("/").split("/"):
            case ["checkout", id, "pay"] if id in self.checkout_sessions:
                try:
                    self.complete_checkout(id)  # the webhooks are delivered before the redirect
                except ValueError:
                    pass  # a second click only redirects
                url = self.checkout_sessions[id]["success_url"]
                return 303, {"Location": url.replace("{CHECKOUT_SESSION_ID}", id)}, ""
            case ["portal", id, action] if id in self.portal_sessions:
                with self._lock:
                    sub = self._portal_subscription(self.portal_sessions[id]["customer"])
                do = {"cancel": self.cancel, "fail": self.fail_payment, "pay": self.pay_invoice}
                if sub is None or action not in do:
                    return 404, {}, _html("Not found", "")
                try:
                    do[action](sub["id"])
                except ValueError as error:  # e.g. a stale page's button
                    return 409, {}, _html("Not possible", f"<p>{html.escape(str(error))}</p>")
                return 303, {"Location": f"/portal/{id}"}, ""
        return 404, {}, _html("Not found", "")

    def _view(self, path: str) -> tuple[int, dict, str]:
        match path.strip("/").split("/"):
            case ["checkout", id] if id in self.checkout_sessions:
                s = self.checkout_sessions[id]
                body = (_button(f"/checkout/{id}/pay", "Pay") +
                        f'<a href="{html.escape(s["cancel_url"])}">Cancel</a>'
                        if s["status"] == "open" else "<p>Already paid.</p>")
                amount = _money(self.prices[self._pending[id]["price"]])
                return 200, {}, _html(f"Test checkout — {amount}/month", body)
            case ["portal", id] if id in self.portal_sessions:
                return 200, {}, self._portal_page(self.portal_sessions[id])
            case ["invoice", id] | ["invoice", id, "pdf"] if id in self.invoices:
                i = self.invoices[id]  # the PDF is this page too: enough for a demo's link
                return 200, {}, _html(f"Invoice {i['number']}",
                                      f"<p>{_money(i['amount_due'])}, {i['status']}</p>")
        return 404, {}, _html("Not found", "")

    def _portal_subscription(self, customer: str) -> dict | None:
        subs = [s for s in self.subscriptions.values() if s["customer"] == customer]
        return ([s for s in subs if s["status"] != "canceled"] or subs or [None])[-1]

    def _portal_page(self, portal: dict) -> str:
        sub, body = self._portal_subscription(portal["customer"]), "<p>No subscription.</p>"
        if sub:
            item, status = sub["items"]["data"][0], sub["status"]
            ends = time.strftime("%Y-%m-%d", time.gmtime(item["current_period_end"]))
            body = (f"<p>Plan: {html.escape(item['price']['id'])}, "
                    f"{_money(item['price']['unit_amount'])}/month</p>"
                    f"<p>Status: {status}. Current period ends {ends}.</p>")
            for action, label, shown in (("cancel", "Cancel subscription", status != "canceled"),
                                         ("fail", "Simulate failed payment", status == "active"),
                                         ("pay", "Pay open invoice", status == "past_due")):
                body += _button(f"/portal/{portal['id']}/{action}", label) if shown else ""
        if portal["return_url"]:
            body += f'<a href="{html.escape(portal["return_url"])}">Back</a>'
        return _html("Billing", body)


def _handler(fake: FakeStripe):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: tests and `make run` print their own
            pass

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_DELETE(self):
            self._handle("DELETE")

        def _handle(self, method: str):
            split = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            params = decode_form(raw if method in ("POST", "DELETE") else split.query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with fake._lock:
                fake.requests.append({"method": method, "path": split.path, "params": params,
                                      "headers": headers,
                                      "idempotency_key": headers.get("idempotency-key")})
            if split.path.startswith("/v1/"):
                with fake._lock:  # whole API calls are atomic: idempotency holds under load
                    try:
                        status, answer = fake._api(method, split.path, params, headers)
                    except StripeError as error:
                        status, answer = error.status, error.body
                    body = json.dumps(answer, indent=2).encode()
                extra, ctype = {"Request-Id": _id("req_")}, "application/json"
            else:
                if method == "GET":
                    with fake._lock:
                        status, extra, text = fake._view(split.path)
                else:
                    status, extra, text = fake._act(split.path)
                body, ctype = text.encode(), "text/html; charset=utf-8"
            self.send_response(status)
            for name, value in {"Content-Type": ctype, "Content-Length": str(len(body)),
                                **extra}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.stripe_fake", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret")
    parser.add_argument("--api-key", help="accept only this secret key (default: any sk_...)")
    parser.add_argument("--price", action="append", default=[], metavar="NAME=PRICE_ID[:CENTS]",
                        help="CENTS defaults to 19900 for starter, 49900 for professional")
    args = parser.parse_args(argv)
    prices = {}
    for spec in args.price:
        name, _, rest = spec.partition("=")
        price_id, _, cents = rest.partition(":")
        if not price_id or not (cents.isdigit() or not cents and name in DEFAULT_AMOUNTS):
            parser.error(f"--price {spec}: expected NAME=PRICE_ID[:CENTS]")
        prices[price_id] = int(cents) if cents else DEFAULT_AMOUNTS[name]
    fake = FakeStripe(prices or None, args.webhook_url, args.webhook_secret, args.api_key,
                      args.host, args.port).start()
    print(f"Fake Stripe at {fake.url}  prices {fake.prices}  webhooks to "
          f"{fake.webhook_url or '(none)'} signed with {fake.webhook_secret}", flush=True)
    # Ctrl-C and a plain kill stop it, even when started with SIGINT ignored (a background job
    # of a non-interactive shell is, and Python then never raises KeyboardInterrupt).
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
