"""Idempotent creates: the same Idempotency-Key and request answer the first answer and create
nothing again; another request with the key is a 422; a malformed key a 400; keys are per
organization, committed with their create, waited on while in flight, forgotten after 24 hours.

Every create route is in CREATES, checked against the registered routes: a new POST that
answers 201 (or one listed in OTHER_CREATES) without `idempotent=True`, or without a row here,
fails until it is added."""
from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

import pytest

from function_app import app
from shared.routing import http_functions
from shared.services import maintenance
from tests.factories import (PASSWORD, configured_facility, cost_model_body, count, created,
                             facility, header, on_plan, org_payers, payer, payer_body,
                             rate_body, referral, unique_subdomain)

KEY = "Idempotency-Key"
# Creates that answer 200: the thing made is elsewhere (a Stripe Checkout session).
OTHER_CREATES = {("POST", "billing/checkout")}


@dataclass(frozen=True)
class Call:
    path: str
    body: dict
    token: str | None


@dataclass(frozen=True)
class Create:
    prepare: Callable   # (client, org, admin_sql, stripe_fake) -> Call
    made: Callable      # (admin_sql, org, call, stripe_fake) -> how many of what it creates
    stripe: bool = False


def _rows(*tables):
    return lambda admin_sql, org, call, fake: sum(count(admin_sql, t, org.id) for t in tables)


def _invitation_link(client, org, admin_sql) -> str:
    created(client.post("/api/invitations", token=org.token, json={
        "email": f"invitee-{secrets.token_hex(3)}@{org.subdomain}.example", "role": "viewer"}))
    rows = admin_sql("SELECT text_body FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'invitation' ORDER BY created_at DESC LIMIT 1",
                     (str(org.id),))
    return re.search(r"#accept-invitation=(\S+)", rows[0]["text_body"])[1]


def _signup_call(*_) -> Call:
    subdomain = unique_subdomain()
    return Call("/api/signup", {"organization_name": "Keyed Care", "subdomain": subdomain,
                                "email": f"owner@{subdomain}.example", "password": PASSWORD},
                None)


def _organizations_named(admin_sql, org, call, fake) -> int:
    return admin_sql("SELECT count(*) AS n FROM organizations WHERE subdomain = %s",
                     (call.body["subdomain"],))[0]["n"]


def _checkout_call(client, org, admin_sql, fake) -> Call:
    on_plan(org, "trial", status="trialing")
    return Call("/api/billing/checkout", {"tier": "starter"}, org.token)


CREATES: dict[tuple[str, str], Create] = {
    ("POST", "signup"): Create(_signup_call, _organizations_named),
    ("POST", "facilities"): Create(
        lambda c, o, s, f: Call("/api/facilities", {"name": "Keyed", "bed_count": 50}, o.token),
        _rows("facilities")),
    ("POST", "payers"): Create(
        lambda c, o, s, f: Call("/api/payers", payer_body(), o.token), _rows("payers")),
    ("POST", "rates"): Create(
        lambda c, o, s, f: Call("/api/rates", rate_body(facility(c, o.token)["id"],
                                                        payer(c, o.token)["id"]), o.token),
        _rows("rates")),
    ("POST", "cost-models"): Create(
        lambda c, o, s, f: Call("/api/cost-models", cost_model_body(facility(c, o.token)["id"]),
                                o.token),
        _rows("cost_models")),
    ("POST", "admissions"): Create(
        lambda c, o, s, f: Call("/api/admissions",
                                referral(configured_facility(c, o, org_payers(c, o))), o.token),
        _rows("admissions")),
    ("POST", "onboarding/defaults"): Create(
        lambda c, o, s, f: Call("/api/onboarding/defaults",
                                {"facility_id": facility(c, o.token)["id"]}, o.token),
        _rows("payers", "rates", "cost_models")),
    # Inviting an address again renews the invitation and sends a new e-mail: a replay must not.
    ("POST", "invitations"): Create(
        lambda c, o, s, f: Call("/api/invitations", {
            "email": f"invitee-{secrets.token_hex(3)}@{o.subdomain}.example",
            "role": "coordinator"}, o.token),
        _rows("invitations", "email_outbox")),
    ("POST", "invitations/accept"): Create(
        lambda c, o, s, f: Call("/api/invitations/accept", {
            "token": _invitation_link(c, o, s), "password": "another long passphrase"}, None),
        _rows("users", "sessions")),
    ("POST", "billing/checkout"): Create(
        _checkout_call, lambda admin_sql, org, call, fake: len(fake.checkout_sessions),
        stripe=True),
}


def _post(client, call: Call, key: str | None, body: dict | None = None):
    return client.post(call.path, token=call.token, json=call.body if body is None else body,
                       headers={KEY: key} if key is not None else None)


def _audit_rows_of(admin_sql, response) -> list:
    return admin_sql("SELECT action FROM audit_logs WHERE request_id = %s",
                     (header(response, "X-Request-Id"),))


def _key_rows(admin_sql, org) -> int:
    return count(admin_sql, "idempotency_keys", org.id)


# --- which routes are creates ------------------------------------------------------------------

def test_every_create_route_takes_an_idempotency_key_and_is_tested_here():
    functions = http_functions(app)
    creates = {(method, f.route) for f in functions for method in f.methods
               if method == "POST" and f.spec and f.spec.status == 201} | OTHER_CREATES
    idempotent = {(method, f.route) for f in functions for method in f.methods
                  if f.spec and f.spec.idempotent}

    assert creates - idempotent == set(), "creates without idempotent=True"
    assert idempotent == set(CREATES), "CREATES must list every idempotent route"


# --- the replay, for every create --------------------------------------------------------------

@pytest.mark.parametrize("route", sorted(CREATES), ids=[f"{m} {r}" for m, r in sorted(CREATES)])
def test_the_same_key_and_request_answer_the_first_answer_and_create_nothing(
        client, org, admin_sql, request, route):
    create = CREATES[route]
    fake = request.getfixturevalue("stripe_fake") if create.stripe else None
    call = create.prepare(client, org, admin_sql, fake)
    key = str(uuid.uuid4())
    before = create.made(admin_sql, org, call, fake)

    first = _post(client, call, key)
    assert first.status in (200, 201), first.body
    made = create.made(admin_sql, org, call, fake)
    assert made > before
    second = _post(client, call, key)

    assert (second.status, second.body, second.mimetype) == (
        first.status, first.body, first.mimetype)
    assert header(first, "Idempotent-Replayed") is None
    assert header(second, "Idempotent-Replayed") == "true"
    assert header(second, "X-Request-Id") != header(first, "X-Request-Id")
    assert create.made(admin_sql, org, call, fake) == made
    assert _audit_rows_of(admin_sql, first) != []
    assert _audit_rows_of(admin_sql, second) == []  # a replay writes nothing, audit included


def test_without_a_key_a_retried_create_creates_again(client, org, admin_sql):
    call = Call("/api/payers", payer_body(), org.token)
    for name in ("Retried", "Retried again"):  # (an active payer's name is unique)
        created(_post(client, call, None, body=call.body | {"name": name}))
    assert count(admin_sql, "payers", org.id) == 2


# --- another request with the key; a malformed key ------------------------------------------

def test_the_same_key_with_another_body_is_a_422_and_creates_nothing(client, org, admin_sql):
    call = Call("/api/facilities", {"name": "First", "bed_count": 50}, org.token)
    key = str(uuid.uuid4())
    created(_post(client, call, key))

    response = _post(client, call, key, body={"name": "Second", "bed_count": 50})

    assert response.status == 422, response.body
    assert response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [KEY]
    assert count(admin_sql, "facilities", org.id) == 1


def test_the_same_key_on_another_route_is_a_422(client, org, admin_sql):
    key = str(uuid.uuid4())
    created(_post(client, Call("/api/facilities", {"name": "F", "bed_count": 5}, org.token), key))

    response = _post(client, Call("/api/payers", payer_body(), org.token), key)

    assert response.status == 422, response.body
    assert count(admin_sql, "payers", org.id) == 0


def test_a_signup_key_with_another_body_is_a_422_and_creates_no_organization(client, admin_sql):
    call = _signup_call()
    key = str(uuid.uuid4())
    created(_post(client, call, key))
    other = call.body | {"subdomain": unique_subdomain()}

    response = _post(client, call, key, body=other)

    assert response.status == 422, response.body
    assert admin_sql("SELECT count(*) AS n FROM organizations WHERE subdomain = %s",
                     (other["subdomain"],))[0]["n"] == 0


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "tab\there", "new\nline", "trailing\n",
                                 "caf\u00e9", "\x00", "with space"],
                         ids=["empty", "blank", "256 chars", "tab", "newline", "trailing newline",
                              "non-ASCII", "NUL", "space"])
def test_a_malformed_key_is_a_400_and_creates_nothing(client, org, admin_sql, key):
    call = Call("/api/facilities", {"name": "Malformed", "bed_count": 5}, org.token)

    response = _post(client, call, key)

    assert response.status == 400, response.body
    assert response.mimetype == "application/problem+json"
    assert KEY in response.json()["detail"]
    assert count(admin_sql, "facilities", org.id) == 0


def test_a_key_of_255_visible_characters_is_taken(client, org):
    call = Call("/api/facilities", {"name": "Long key", "bed_count": 5}, org.token)
    key = "".join(chr(33 + i % 94) for i in range(255))

    first = created(_post(client, call, key))

    assert created(_post(client, call, key)) == first


# --- per organization -----------------------------------------------------------------------

def test_another_organization_with_the_same_key_and_body_gets_its_own_create(
        client, org, other_org, admin_sql):
    key = str(uuid.uuid4())
    body = {"name": "Same everything", "bed_count": 20}

    mine = _post(client, Call("/api/facilities", body, org.token), key)
    theirs = _post(client, Call("/api/facilities", body, other_org.token), key)

    assert (mine.status, theirs.status) == (201, 201), (mine.body, theirs.body)
    assert header(theirs, "Idempotent-Replayed") is None
    assert mine.json()["id"] != theirs.json()["id"]
    assert count(admin_sql, "facilities", org.id) == count(admin_sql, "facilities",
                                                           other_org.id) == 1
    assert _key_rows(admin_sql, org) == _key_rows(admin_sql, other_org) == 1


def test_an_organizations_key_is_not_a_signups_key(client, org, admin_sql):
    key = str(uuid.uuid4())
    created(_post(client, Call("/api/facilities", {"name": "F", "bed_count": 5}, org.token), key))
    call = _signup_call()

    response = _post(client, call, key)

    assert response.status == 201, response.body
    assert header(response, "Idempotent-Replayed") is None


# --- the key commits with its create, or not at all ---------------------------------------------

@pytest.fixture
def failing_after_the_create(admin_sql, org):
    """Storing this organization's answer fails: after the create, in its transaction."""
    name = f"fail_{secrets.token_hex(4)}"
    admin_sql(f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.organization_id = '{org.id}' THEN
                RAISE EXCEPTION 'forced failure after the create';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER {name} BEFORE INSERT ON idempotency_keys
            FOR EACH ROW EXECUTE FUNCTION {name}();""")
    yield
    admin_sql(f"DROP TRIGGER {name} ON idempotency_keys; DROP FUNCTION {name}();")


def test_a_failure_after_the_create_leaves_neither_the_create_nor_the_key(
        client, org, admin_sql, failing_after_the_create):
    call = Call("/api/facilities", {"name": "Rolled back", "bed_count": 5}, org.token)

    response = _post(client, call, str(uuid.uuid4()))

    assert response.status == 500, response.body
    assert count(admin_sql, "facilities", org.id) == 0
    assert _key_rows(admin_sql, org) == 0


def test_a_refused_create_keeps_no_key_so_a_corrected_request_may_reuse_it(
        client, org, admin_sql):
    key = str(uuid.uuid4())
    created(client.post("/api/facilities", token=org.token, json={"name": "Taken",
                                                                  "bed_count": 5}))

    refused = _post(client, Call("/api/facilities", {"name": "Taken", "bed_count": 5},
                                 org.token), key)
    assert refused.status == 409, refused.body
    corrected = _post(client, Call("/api/facilities", {"name": "Not taken", "bed_count": 5},
                                   org.token), key)

    assert corrected.status == 201, corrected.body
    assert header(corrected, "Idempotent-Replayed") is None
    assert _key_rows(admin_sql, org) == 1


def test_a_retry_after_a_lost_answer_gets_the_answer_and_one_admission(client, org, admin_sql):
    """What a client does after a 503 whose commit went through: send the same request again."""
    call = Call("/api/admissions", referral(configured_facility(client, org,
                                                                org_payers(client, org))),
                org.token)
    key = str(uuid.uuid4())
    lost = _post(client, call, key)  # the answer that never reached the client
    assert lost.status == 201, lost.body

    retried = _post(client, call, key)

    assert retried.status == 201
    assert retried.json()["case_number"] == lost.json()["case_number"]
    assert count(admin_sql, "admissions", org.id) == 1


# --- in flight: the second request waits for the first ---------------------------------------

@pytest.fixture
def slow_inserts(admin_sql):
    """Make an insert into `table` for this organization (or subdomain) sleep, so a request is
    provably in flight while a second one arrives."""
    made = []

    def slow(table: str, column: str, value: str, seconds: float = 1.0) -> None:
        name = f"slow_{secrets.token_hex(4)}"
        admin_sql(f"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.{column}::text = '{value}' THEN PERFORM pg_sleep({seconds}); END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {name} AFTER INSERT ON {table}
                FOR EACH ROW EXECUTE FUNCTION {name}();""")
        made.append((name, table))

    yield slow
    for name, table in made:
        admin_sql(f"DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}();")


def _concurrently(client, call: Call, key: str) -> list:
    answers = [None, None]

    def send(i):
        answers[i] = _post(client, call, key)

    first = threading.Thread(target=send, args=(0,))
    first.start()
    time.sleep(0.4)  # the first is inside its 1 s insert
    second = threading.Thread(target=send, args=(1,))
    second.start()
    first.join(10)
    second.join(10)
    return answers


def test_a_second_request_while_the_first_is_in_flight_waits_and_replays(
        client, org, admin_sql, slow_inserts):
    slow_inserts("facilities", "organization_id", str(org.id))
    call = Call("/api/facilities", {"name": "In flight", "bed_count": 5}, org.token)

    first, second = _concurrently(client, call, str(uuid.uuid4()))

    assert (first.status, second.status) == (201, 201), (first.body, second.body)
    assert first.body == second.body
    assert [header(r, "Idempotent-Replayed") for r in (first, second)] == [None, "true"]
    assert count(admin_sql, "facilities", org.id) == 1


def test_a_second_signup_while_the_first_is_in_flight_gets_its_answer(
        client, admin_sql, slow_inserts):
    call = _signup_call()
    slow_inserts("organizations", "subdomain", call.body["subdomain"])

    first, second = _concurrently(client, call, str(uuid.uuid4()))

    assert (first.status, second.status) == (201, 201), (first.body, second.body)
    assert first.body == second.body
    assert header(second, "Idempotent-Replayed") == "true"
    assert _organizations_named(admin_sql, None, call, None) == 1


# --- what is stored, and for how long ---------------------------------------------------------

def test_the_stored_row_holds_neither_the_key_nor_the_answer_in_the_clear(client, admin_sql):
    call = _signup_call()
    key = f"my-key-{secrets.token_hex(8)}"
    answer = created(_post(client, call, key))

    rows = admin_sql("SELECT key_hash, fingerprint, response FROM idempotency_keys"
                     " WHERE organization_id = %s", (answer["organization"]["id"],))

    assert len(rows) == 1
    stored = b"".join(bytes(value) for value in rows[0].values())
    for secret in (key, answer["token"], call.body["password"], call.body["subdomain"]):
        assert secret.encode() not in stored


def test_a_stored_answer_changed_behind_the_apps_back_is_a_503_not_a_replay(
        client, org, admin_sql, caplog):
    call = Call("/api/facilities", {"name": "Tampered", "bed_count": 5}, org.token)
    key = str(uuid.uuid4())
    created(_post(client, call, key))
    admin_sql("UPDATE idempotency_keys SET response = set_byte(response, 20, get_byte(response,"
              " 20) # 1) WHERE organization_id = %s", (str(org.id),))

    again = _post(client, call, key)

    assert again.status == 503, again.body
    assert again.mimetype == "application/problem+json" and header(again, "Retry-After") == "1"
    assert "new key" in again.json()["detail"]
    assert "stored idempotent answer did not open" in caplog.text
    assert key not in caplog.text


def test_a_key_over_24_hours_old_is_forgotten(client, org, admin_sql):
    call = Call("/api/facilities", {"name": "Old key", "bed_count": 5}, org.token)
    key = str(uuid.uuid4())
    first = created(_post(client, call, key))
    admin_sql("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
              " WHERE organization_id = %s", (str(org.id),))
    admin_sql("UPDATE facilities SET is_active = false WHERE id = %s", (first["id"],))

    again = _post(client, call, key)

    assert again.status == 201, again.body
    assert header(again, "Idempotent-Replayed") is None
    assert again.json()["id"] != first["id"]
    assert _key_rows(admin_sql, org) == 1


def test_the_purge_timer_deletes_keys_over_24_hours_old(client, org, admin_sql):
    created(_post(client, Call("/api/payers", payer_body(), org.token), str(uuid.uuid4())))
    admin_sql("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
              " WHERE organization_id = %s", (str(org.id),))
    created(_post(client, Call("/api/payers", payer_body(), org.token), str(uuid.uuid4())))

    counts = maintenance.purge_old_records()

    assert counts["idempotency_keys"] >= 1
    assert admin_sql("SELECT count(*) AS n FROM idempotency_keys WHERE organization_id = %s"
                     " AND created_at > now() - interval '1 hour'", (str(org.id),))[0]["n"] == 1
    assert _key_rows(admin_sql, org) == 1
