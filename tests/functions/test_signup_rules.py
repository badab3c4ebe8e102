"""What signup accepts: the subdomain rules (and the availability check that applies them as the
user types), the password rules, one winner when many sign up for the same subdomain at once,
and the welcome e-mail queued with the signup."""
from __future__ import annotations

import secrets
import threading

import psycopg2
import pytest

from shared import passwords
from tests.factories import PASSWORD, fresh_address, header, signup, unique_subdomain

TOO_LONG = "a" * 31


def errors_of(response) -> list[dict]:
    assert response.status == 422, (response.status, response.body)
    assert response.mimetype == "application/problem+json"
    return response.json()["errors"]


def password_messages(response) -> list[str]:
    errors = errors_of(response)
    assert {e["field"] for e in errors} == {"password"}, errors
    return [e["message"] for e in errors]


def availability(client, subdomain: str):
    response = client.get(f"/api/signup/subdomains/{subdomain}")
    assert response.status == 200, response.body
    return response.json()


def organizations_with(admin_sql, subdomain: str) -> int:
    return admin_sql("SELECT count(*) AS n FROM organizations WHERE lower(subdomain) = lower(%s)",
                     (subdomain,))[0]["n"]


# Invalid subdomains with the reason both the availability check and signup give.
INVALID_SUBDOMAINS = [
    ("ab", "must be 3 to 30 characters"),
    ("a", "must be 3 to 30 characters"),
    (TOO_LONG, "must be 3 to 30 characters"),
    ("lake_side", "may hold only lowercase letters, digits and hyphens, not at either end"),
    ("lake.side", "may hold only lowercase letters, digits and hyphens, not at either end"),
    ("lake!side", "may hold only lowercase letters, digits and hyphens, not at either end"),
    ("-lakeside", "may hold only lowercase letters, digits and hyphens, not at either end"),
    ("lakeside-", "may hold only lowercase letters, digits and hyphens, not at either end"),
    ("lake--side", "may not hold two hyphens in a row"),
    ("www", "is reserved"),
    ("api", "is reserved"),
    ("admin", "is reserved"),
    ("mail", "is reserved"),
    ("support", "is reserved"),
    ("billing", "is reserved"),
    ("status", "is reserved"),
    ("login", "is reserved"),
    ("WWW", "is reserved"),
]


# --- the availability check ---------------------------------------------------------------

def test_a_free_subdomain_is_available(client):
    subdomain = unique_subdomain("free")

    body = availability(client, subdomain)

    assert body == {"subdomain": subdomain, "available": True, "reason": None}


def test_a_free_subdomain_is_reported_in_lower_case(client):
    subdomain = unique_subdomain("free")

    body = availability(client, subdomain.upper())

    assert body == {"subdomain": subdomain, "available": True, "reason": None}


def test_the_availability_check_needs_no_session_and_is_not_cached_by_proxies(client):
    response = client.get(f"/api/signup/subdomains/{unique_subdomain()}")

    assert response.status == 200
    assert header(response, "Cache-Control") == "no-store"


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_a_taken_subdomain_is_unavailable_in_any_case(client, org, case):
    body = availability(client, case(org.subdomain))

    assert body == {"subdomain": org.subdomain, "available": False, "reason": "is taken"}


@pytest.mark.parametrize("subdomain, reason", INVALID_SUBDOMAINS)
def test_an_invalid_subdomain_is_unavailable_with_the_reason(client, subdomain, reason):
    body = availability(client, subdomain)

    assert body["available"] is False
    assert body["reason"] == reason
    assert body["subdomain"] == subdomain.lower()


# --- signup applies the same rules --------------------------------------------------------

@pytest.mark.parametrize("subdomain, reason", INVALID_SUBDOMAINS)
def test_signup_refuses_an_invalid_subdomain_naming_the_field_and_reason(client, admin_sql,
                                                                         subdomain, reason):
    response = signup(client, subdomain=subdomain, email=f"owner@{secrets.token_hex(4)}.example")

    errors = errors_of(response)
    assert [e["field"] for e in errors] == ["subdomain"]
    assert errors[0]["message"].endswith(reason)
    assert organizations_with(admin_sql, subdomain.lower()) == 0


def test_signup_takes_a_subdomain_the_check_called_available_and_then_it_is_taken(client):
    subdomain = unique_subdomain("new")
    assert availability(client, subdomain)["available"] is True

    assert signup(client, subdomain=subdomain).status == 201

    assert availability(client, subdomain) == {"subdomain": subdomain, "available": False,
                                               "reason": "is taken"}


def test_concurrent_signups_for_one_subdomain_make_exactly_one_organization(client,
                                                                            admin_sql):
    subdomain = unique_subdomain("race")
    emails = [f"owner{i}@race-{secrets.token_hex(3)}.example" for i in range(10)]
    barrier = threading.Barrier(len(emails))
    statuses: dict[str, int] = {}

    def attempt(email: str) -> None:
        barrier.wait()
        statuses[email] = signup(client, subdomain=subdomain, email=email).status

    threads = [threading.Thread(target=attempt, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses.values()) == [201] + [409] * 9
    assert organizations_with(admin_sql, subdomain) == 1
    winner = next(email for email, status in statuses.items() if status == 201)
    owners = admin_sql("""SELECT u.email FROM users u JOIN organizations o
                           ON o.id = u.organization_id WHERE o.subdomain = %s""", (subdomain,))
    assert owners == [{"email": winner}]
    queued = admin_sql("SELECT to_address FROM email_outbox WHERE to_address = ANY(%s)",
                       (emails,))
    assert queued == [{"to_address": winner}]


# --- passwords ----------------------------------------------------------------------------

def test_the_common_password_list_holds_at_least_ten_thousand_entries():
    lines = [line.strip() for line in passwords.COMMON_PASSWORDS.read_text().splitlines()
             if line.strip() and not line.startswith("#")]

    assert len(lines) >= 10_000
    assert len(passwords.common_passwords()) >= 10_000
    assert {"123456", "password", "leavemealone"} <= passwords.common_passwords()


def test_a_password_under_twelve_characters_is_refused(client):
    response = signup(client, password="Zq7#pw9!aBc")  # 11 characters, nothing else wrong

    assert password_messages(response) == ["must be at least 12 characters"]


def test_a_password_of_twelve_characters_is_enough(client):
    response = signup(client, password="Zq7#pw9!aBcD")

    assert response.status == 201, response.body


@pytest.mark.parametrize("password", ["leavemealone", "LeaveMeAlone", "LEAVEMEALONE",
                                      "qwerty123456", "QWERTY123456"])
def test_a_common_password_is_refused_in_any_case(client, password):
    assert password.lower() in passwords.common_passwords()

    response = signup(client, password=password)

    assert password_messages(response) == ["is one of the most commonly used passwords"]


def test_a_password_containing_the_emails_local_part_is_refused(client):
    response = signup(client, email="quintessa@lakeside.example",
                      password="my name is QUINTESSA and I approve")

    assert password_messages(response) == ["must not contain your e-mail address"]


def test_a_password_containing_the_subdomain_is_refused(client):
    subdomain = unique_subdomain("pw")

    response = signup(client, subdomain=subdomain,
                      password=f"the best of {subdomain.upper()} forever")

    assert password_messages(response) == ["must not contain the organization's subdomain"]


def test_a_short_common_password_names_both_rules(client):
    response = signup(client, password="password")

    assert sorted(password_messages(response)) == sorted([
        "must be at least 12 characters", "is one of the most commonly used passwords"])


def test_a_password_with_the_email_and_the_subdomain_names_both_rules(client):
    subdomain = unique_subdomain("pw")

    response = signup(client, subdomain=subdomain, email="quintessa@lakeside.example",
                      password=f"quintessa at {subdomain} rules")

    assert sorted(password_messages(response)) == sorted([
        "must not contain your e-mail address", "must not contain the organization's subdomain"])


def test_a_short_password_containing_the_email_names_both_rules(client):
    response = signup(client, email="quintessa@lakeside.example", password="quintessa7")

    assert sorted(password_messages(response)) == sorted([
        "must be at least 12 characters", "must not contain your e-mail address"])


def test_a_password_breaking_every_rule_names_all_four(client, admin_sql):
    # short, common, and holding both the e-mail's local part and the subdomain
    response = signup(client, subdomain="dragon", email="dragon@lakeside.example",
                      password="Dragon123")

    assert sorted(password_messages(response)) == sorted([
        "must be at least 12 characters", "is one of the most commonly used passwords",
        "must not contain your e-mail address", "must not contain the organization's subdomain"])
    assert organizations_with(admin_sql, "dragon") == 0


def test_a_refused_password_is_never_echoed(client):
    response = signup(client, email="quintessa@lakeside.example",
                      password="quintessa-secret-words")

    assert response.status == 422
    assert b"quintessa-secret-words" not in response.body


# --- the welcome e-mail -------------------------------------------------------------------

def test_signup_queues_a_welcome_email_to_the_owner(client, admin_sql):
    subdomain = unique_subdomain()
    email = f"welcome-me@{subdomain}.example"

    response = signup(client, subdomain=subdomain, email=email, name="Lakeside Care")

    assert response.status == 201, response.body
    organization_id = response.json()["organization"]["id"]
    rows = admin_sql("""SELECT template, to_address, status, attempts, subject, text_body,
                               html_body, sent_at
                          FROM email_outbox WHERE organization_id = %s""", (organization_id,))
    assert len(rows) == 1
    row = rows[0]
    assert (row["template"], row["to_address"], row["status"], row["attempts"]) == (
        "welcome", email, "pending", 0)
    assert row["sent_at"] is None
    assert "Lakeside Care" in row["subject"]
    assert subdomain in row["text_body"]
    assert "14-day trial" in row["text_body"]
    assert "Lakeside Care" in row["html_body"]
    assert PASSWORD not in row["text_body"] + row["html_body"]


def test_a_failed_signup_queues_no_email(client, org, admin_sql):
    email = f"loser-{secrets.token_hex(4)}@else.example"
    before = admin_sql("SELECT count(*) AS n FROM email_outbox")[0]["n"]

    taken = signup(client, subdomain=org.subdomain, email=email)
    invalid = signup(client, subdomain="www", email=email)
    weak = signup(client, email=email, password="password")

    assert (taken.status, invalid.status, weak.status) == (409, 422, 422)
    assert admin_sql("SELECT count(*) AS n FROM email_outbox WHERE to_address = %s",
                     (email,))[0]["n"] == 0
    assert admin_sql("SELECT count(*) AS n FROM email_outbox")[0]["n"] == before


# --- before the hash: cheap checks first, and a few signups per address -------------------

def test_a_taken_subdomain_and_a_weak_password_are_refused_without_hashing(client, org,
                                                                           one_slot):
    # The only hashing slot is held: anything that hashed would wait, then answer 503.
    with one_slot.slot():
        taken = signup(client, subdomain=org.subdomain)
        weak = signup(client, password="password")

    assert taken.status == 409, taken.body
    assert taken.json()["detail"] == "This subdomain is taken. Choose another."
    assert weak.status == 422, weak.body


def test_signups_are_throttled_per_source_address(client, admin_sql):
    from shared.services import throttle
    from shared.settings import get_settings
    address, limit = fresh_address(), get_settings().signup_limit_per_address
    # As if limit - 1 signups had come from it in this window.
    admin_sql("""INSERT INTO sign_in_throttle (key_hash, failures, window_started_at)
                 VALUES (%s, %s, now())""",
              (psycopg2.Binary(throttle.signup_key(address)), limit - 1))

    last_allowed = signup(client, address=address)
    refused = signup(client, address=address)
    elsewhere = signup(client)

    assert last_allowed.status == 201, last_allowed.body
    assert refused.status == 429, refused.body
    assert refused.mimetype == "application/problem+json"
    assert refused.json()["detail"] == "Too many signups from this network. Try again later."
    assert 0 < int(header(refused, "Retry-After")) <= 900
    assert elsewhere.status == 201, elsewhere.body
