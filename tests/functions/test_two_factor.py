"""Two-factor sign-in (TOTP): enrolling, the two-step sign-in, each code used once, the window,
recovery codes, turning it off, the organization's requirement, closing with a code, the
throttle and other organizations. On real PostgreSQL, through the registered functions."""
from __future__ import annotations

import base64
import json
import re
import secrets

import pytest

from shared.services import throttle
from shared.totp import current_step
from tests.factories import (PASSWORD, Authenticator, add_member, audit_rows, enroll,
                             fields_named, fresh_address, header, ok, sign_in_two_steps)


def password_step(client, org, *, email=None, address=None, password=PASSWORD):
    return client.post("/api/auth/login", headers={"X-Forwarded-For": address or fresh_address()},
                       json={"subdomain": org.subdomain, "email": email or org.email,
                             "password": password})


def code_step(client, challenge, code, *, address=None):
    return client.post("/api/auth/login/code",
                       headers={"X-Forwarded-For": address or fresh_address()},
                       json={"challenge": challenge, "code": code})


def challenge_of(response) -> str:
    body = ok(response)
    assert body["token"] is None and body["second_step"]["next"] == "code", body
    return body["second_step"]["challenge"]


def wrong_code(app: Authenticator) -> str:
    """Six digits that are no code of the window."""
    window = {app.code_at(current_step() + d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


def actions(admin_sql, org) -> list[str]:
    return [row["action"] for row in audit_rows(admin_sql, "user", organization_id=org.id)
            if row["action"].startswith("two_factor.")]


def test_enrolling_shows_the_secret_as_a_qr_code_and_text_and_a_first_code_turns_it_on(
        client, org, admin_sql):
    setup = ok(client.post("/api/me/two-factor", token=org.token))
    assert setup["qr_svg"].startswith("<svg") and "<script" not in setup["qr_svg"]
    assert f"secret={setup['secret']}" in setup["otpauth_uri"]
    assert ok(client.get("/api/me/two-factor", token=org.token))["enabled"] is False
    app = Authenticator(setup["secret"])

    wrong = client.post("/api/me/two-factor/confirm", token=org.token,
                        json={"code": wrong_code(app)})
    assert fields_named(wrong) == {"code"}
    codes = ok(client.post("/api/me/two-factor/confirm", token=org.token,
                           json={"code": app.code()}))["recovery_codes"]

    assert len(codes) == 10 and len(set(codes)) == 10
    status = ok(client.get("/api/me/two-factor", token=org.token))
    assert status["enabled"] is True and status["recovery_codes_left"] == 10
    assert actions(admin_sql, org) == ["two_factor.enroll", "two_factor.confirm"]
    # on already: starting again is refused, the secret stays
    assert client.post("/api/me/two-factor", token=org.token).status == 409


def test_the_secret_is_stored_sealed_and_the_recovery_codes_as_hashes(client, org, admin_sql):
    setup = ok(client.post("/api/me/two-factor", token=org.token))
    app = Authenticator(setup["secret"])
    codes = ok(client.post("/api/me/two-factor/confirm", token=org.token,
                           json={"code": app.code()}))["recovery_codes"]

    row = admin_sql("SELECT secret_sealed FROM two_factor_credentials WHERE organization_id = %s",
                    (str(org.id),))[0]
    sealed = bytes(row["secret_sealed"])
    raw = base64.b32decode(setup["secret"])
    assert setup["secret"].encode() not in sealed and raw not in sealed
    dump = admin_sql("SELECT string_agg(row_to_json(t)::text, ' ') AS all FROM recovery_codes t"
                     " WHERE organization_id = %s", (str(org.id),))[0]["all"]
    assert not any(code in dump or code.replace("-", "") in dump for code in codes)


def test_without_two_factor_the_password_opens_the_session_at_once(client, org):
    body = ok(password_step(client, org))
    assert body["token"] and body["second_step"] is None
    assert ok(client.get("/api/me", token=body["token"]))["user"]["email"] == org.email


def test_with_two_factor_the_password_opens_no_session_and_the_code_does(client, org, admin_sql):
    app, _ = enroll(client, org.token)
    sessions_before = admin_sql("SELECT count(*) AS n FROM sessions WHERE organization_id = %s",
                                (str(org.id),))[0]["n"]
    challenge = challenge_of(password_step(client, org))

    assert admin_sql("SELECT count(*) AS n FROM sessions WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == sessions_before
    assert client.get("/api/me", token=challenge).status == 401  # a challenge is no session
    assert code_step(client, challenge, app.code_at(current_step() - 5)).status == 401
    session = ok(code_step(client, challenge, app.code()))
    assert ok(client.get("/api/me", token=session["token"]))["user"]["email"] == org.email
    # the challenge was spent
    assert code_step(client, challenge, app.code()).status == 401
    stored = admin_sql("SELECT token_hash FROM sign_in_challenges WHERE organization_id = %s",
                       (str(org.id),))
    assert stored and all(challenge.encode() not in bytes(r["token_hash"]) for r in stored)


def test_a_code_is_accepted_once(client, org):
    app, _ = enroll(client, org.token)
    code = app.code()
    assert ok(code_step(client, challenge_of(password_step(client, org)), code))["token"]

    replayed = code_step(client, challenge_of(password_step(client, org)), code)

    assert replayed.status == 401
    assert replayed.mimetype == "application/problem+json"


def test_codes_are_accepted_one_step_either_side_of_now_and_no_further(client, org):
    app, _ = enroll(client, org.token)  # used the step before now
    now = current_step()
    challenge = challenge_of(password_step(client, org))

    assert code_step(client, challenge, app.code_at(now - 2)).status == 401
    assert code_step(client, challenge, app.code_at(now + 2)).status == 401
    assert ok(code_step(client, challenge, app.code_at(now + 1)))["token"]
    # a later step was used: an earlier one, though in the window, is refused
    assert code_step(client, challenge_of(password_step(client, org)),
                     app.code_at(now)).status == 401


def test_a_recovery_code_signs_in_once_and_is_audited(client, org, admin_sql):
    _, codes = enroll(client, org.token)

    session = ok(code_step(client, challenge_of(password_step(client, org)),
                           codes[0].upper().replace("-", " ")))

    assert session["token"]
    assert code_step(client, challenge_of(password_step(client, org)), codes[0]).status == 401
    assert ok(client.get("/api/me/two-factor", token=org.token))["recovery_codes_left"] == 9
    used = [r for r in audit_rows(admin_sql, "user", organization_id=org.id)
            if r["action"] == "two_factor.recovery_code_use"]
    assert len(used) == 1 and used[0]["changes"] == {"recovery_codes_left": 9}
    assert codes[0] not in str(used)


def test_regenerating_recovery_codes_needs_password_and_code_and_ends_the_old_ones(
        client, org, admin_sql):
    app, old = enroll(client, org.token)

    refused = client.post("/api/me/two-factor/recovery-codes", token=org.token,
                          json={"password": "not the password", "code": wrong_code(app)})
    assert fields_named(refused) == {"password", "code"}
    new = ok(client.post("/api/me/two-factor/recovery-codes", token=org.token,
                         json={"password": PASSWORD, "code": app.code()}))["recovery_codes"]

    assert len(new) == 10 and not set(new) & set(old)
    assert code_step(client, challenge_of(password_step(client, org)), old[1]).status == 401
    assert ok(code_step(client, challenge_of(password_step(client, org)), new[1]))["token"]
    assert "two_factor.recovery_codes_regenerate" in actions(admin_sql, org)


def test_turning_it_off_needs_password_and_code_then_the_password_alone_signs_in(
        client, org, admin_sql):
    app, codes = enroll(client, org.token)

    assert fields_named(client.post("/api/me/two-factor/disable", token=org.token,
                                    json={"password": PASSWORD, "code": wrong_code(app)})) == {
        "password", "code"}  # one answer: either may be wrong
    response = client.post("/api/me/two-factor/disable", token=org.token,
                           json={"password": PASSWORD, "code": app.code()})

    assert response.status == 204, response.body
    assert ok(password_step(client, org))["token"]
    assert admin_sql("SELECT count(*) AS n FROM recovery_codes WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == 0
    assert "two_factor.disable" in actions(admin_sql, org)
    assert client.post("/api/me/two-factor/disable", token=org.token,
                       json={"password": PASSWORD, "code": codes[0]}).status == 409


def test_wrong_codes_count_in_the_sign_in_throttle(client, org, admin_sql):
    app, _ = enroll(client, org.token)
    address = fresh_address()
    challenge = challenge_of(password_step(client, org, address=address))

    statuses = [code_step(client, challenge, wrong_code(app), address=address).status
                for _ in range(throttle.ACCOUNT_LIMIT + 1)]

    # the right password took its attempt back; the sixth wrong code is past the limit
    assert statuses == [401] * throttle.ACCOUNT_LIMIT + [429]
    assert code_step(client, challenge, app.code(), address=address).status == 429
    assert password_step(client, org, address=address).status == 429
    failures = admin_sql("SELECT failures FROM sign_in_throttle WHERE key_hash = %s",
                         (throttle.account_key(org.subdomain, org.email),))[0]["failures"]
    # every attempt after the password step counted: six wrong codes, the right one, the password
    assert failures == throttle.ACCOUNT_LIMIT + 1 + 1 + 1


def test_a_right_password_without_a_code_is_no_failure(client, org, admin_sql):
    app, _ = enroll(client, org.token)
    address = fresh_address()
    for _ in range(throttle.ACCOUNT_LIMIT + 2):  # signing in, then abandoning the code step
        challenge_of(password_step(client, org, address=address))

    assert ok(code_step(client, challenge_of(password_step(client, org, address=address)),
                        app.code(), address=address))["token"]


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(client, org):
    app, _ = enroll(client, org.token)
    for _ in range(throttle.ACCOUNT_LIMIT):
        challenge = challenge_of(password_step(client, org))
        assert code_step(client, challenge, wrong_code(app)).status == 401

    # the right password counted, and took its attempt back, without clearing the wrong codes
    assert password_step(client, org).status == 429


@pytest.mark.parametrize("typed", ["{} {}", "{}-{}", " {}  {} "])
def test_a_code_typed_as_apps_show_it_is_accepted_everywhere(client, org, typed):
    setup = ok(client.post("/api/me/two-factor", token=org.token))
    app = Authenticator(setup["secret"])
    as_shown = lambda code: typed.format(code[:3], code[3:])  # noqa: E731

    assert ok(client.post("/api/me/two-factor/confirm", token=org.token,
                          json={"code": as_shown(app.code())}))["recovery_codes"]
    challenge = challenge_of(password_step(client, org))
    assert ok(code_step(client, challenge, as_shown(app.code())))["token"]
    assert ok(client.post("/api/me/two-factor/recovery-codes", token=org.token,
                          json={"password": PASSWORD, "code": as_shown(app.code())}))


def test_a_recovery_code_is_still_taken_in_any_case_with_or_without_dashes(client, org):
    app, codes = enroll(client, org.token)
    typed = codes[0].replace("-", " ").upper()
    assert ok(code_step(client, challenge_of(password_step(client, org)), typed))["token"]
    assert ok(code_step(client, challenge_of(password_step(client, org)),
                        codes[1].replace("-", "")))["token"]


@pytest.mark.parametrize("code", ["12345", "1234567", "12345a", "abc"])
def test_a_code_of_the_wrong_shape_is_explained_plainly_and_not_counted(client, org, admin_sql,
                                                                       code):
    app, _ = enroll(client, org.token)
    challenge = challenge_of(password_step(client, org))

    refused = code_step(client, challenge, code)
    confirm = client.post("/api/me/two-factor/confirm", token=org.token, json={"code": code})

    assert fields_named(refused) == {"code"}
    assert refused.json()["errors"][0]["message"].startswith(
        "Enter the 6-digit code from your authenticator app")
    assert fields_named(confirm) == {"code"}
    assert confirm.json()["errors"][0]["message"] == (
        "Enter the 6-digit code from your authenticator app")
    assert admin_sql("SELECT failures FROM sign_in_throttle WHERE key_hash = %s",
                     (throttle.account_key(org.subdomain, org.email),)) in ([], [{"failures": 0}])


def test_a_wrong_first_code_says_so_plainly(client, org):
    setup = ok(client.post("/api/me/two-factor", token=org.token))
    app = Authenticator(setup["secret"])

    refused = client.post("/api/me/two-factor/confirm", token=org.token,
                          json={"code": app.code_at(current_step() - 5)})

    assert refused.status == 422
    assert refused.json()["detail"].startswith("That code is not right.")
    assert fields_named(refused) == {"code"}


def test_a_right_code_clears_the_count_the_password_step_left(client, org, admin_sql):
    app, _ = enroll(client, org.token)
    assert sign_in_two_steps(client, org, app)
    rows = admin_sql("SELECT failures FROM sign_in_throttle WHERE key_hash = %s",
                     (throttle.account_key(org.subdomain, org.email),))
    assert rows == [] or rows[0]["failures"] == 0


def test_an_expired_challenge_is_refused(client, org, admin_sql):
    app, _ = enroll(client, org.token)
    challenge = challenge_of(password_step(client, org))
    admin_sql("UPDATE sign_in_challenges SET expires_at = now() - interval '1 second'"
              " WHERE organization_id = %s", (str(org.id),))

    assert code_step(client, challenge, app.code()).status == 401


def test_another_organizations_challenge_does_not_sign_in_here(client, org, other_org):
    app, _ = enroll(client, other_org.token)
    theirs = challenge_of(password_step(client, other_org))
    # the same secret part under this organization's id: no such challenge here
    forged = f"{org.id.hex}.{theirs.partition('.')[2]}"

    assert code_step(client, forged, app.code()).status == 401
    assert client.post("/api/auth/login/enroll", json={"challenge": forged}).status == 401
    assert ok(code_step(client, theirs, app.code()))["organization"]["id"] == str(other_org.id)


def test_an_owner_must_have_two_factor_to_require_it(client, org):
    response = client.put("/api/organization/two-factor", token=org.token, json={"required": True})
    assert response.status == 409
    assert ok(client.get("/api/organization", token=org.token))["require_two_factor"] is False


def test_a_required_two_factor_makes_users_without_it_enroll_before_anything_else(
        client, org, admin_sql):
    member = add_member(org, "coordinator")
    app, _ = enroll(client, org.token)

    required = ok(client.put("/api/organization/two-factor", token=org.token,
                             json={"required": True}))

    assert required == {"required": True, "users_without": 1}
    assert client.get("/api/me", token=member.token).status == 401  # their sessions ended
    assert client.get("/api/me", token=org.token).status == 200
    first = ok(password_step(client, org, email=member.email))
    assert first["token"] is None and first["second_step"]["next"] == "enroll"
    challenge = first["second_step"]["challenge"]
    # an enrollment challenge is no session, and no code step either
    assert client.get("/api/me", token=challenge).status == 401
    assert code_step(client, challenge, "123456").status == 401

    setup = ok(client.post("/api/auth/login/enroll", json={"challenge": challenge}))
    theirs = Authenticator(setup["secret"])
    assert fields_named(client.post("/api/auth/login/enroll/confirm", json={
        "challenge": challenge, "code": "12345x"})) == {"code"}
    session = ok(client.post("/api/auth/login/enroll/confirm",
                             json={"challenge": challenge, "code": theirs.code()}))

    assert len(session["recovery_codes"]) == 10
    assert ok(client.get("/api/me", token=session["token"]))["user"]["email"] == member.email
    assert client.post("/api/auth/login/enroll/confirm", json={
        "challenge": challenge, "code": theirs.code()}).status == 401  # spent
    # from now on: password and code; turning it off is refused while it is required
    assert sign_in_two_steps(client, org, theirs, email=member.email)
    assert client.post("/api/me/two-factor/disable", token=session["token"], json={
        "password": PASSWORD, "code": session["recovery_codes"][0]}).status == 409
    rows = [r for r in audit_rows(admin_sql, "organization", org.id)
            if r["action"] == "organization.two_factor_requirement"]
    assert rows[-1]["changes"] == {"required": True, "sessions_revoked": 1}
    assert ok(client.put("/api/organization/two-factor", token=org.token, json={
        "required": False, "password": PASSWORD, "code": app.code()}))["required"] is False
    assert ok(password_step(client, org))["second_step"]["next"] == "code"  # the owner's own


def test_an_invitation_accepted_where_two_factor_is_required_asks_to_enroll(client, org,
                                                                              admin_sql):
    enroll(client, org.token)
    ok(client.put("/api/organization/two-factor", token=org.token, json={"required": True}))
    email = f"newcomer-{secrets.token_hex(3)}@example.org"
    assert client.post("/api/invitations", token=org.token,
                       json={"email": email, "role": "viewer"}).status == 201
    text = admin_sql("SELECT text_body FROM email_outbox WHERE to_address = %s"
                     " AND template = 'invitation'", (email,))[0]["text_body"]

    accepted = client.post("/api/invitations/accept", json={
        "token": re.search(r"#accept-invitation=(\S+)", text)[1],
        "password": "a long passphrase here"})

    assert accepted.status == 201, accepted.body
    assert accepted.json()["token"] is None
    assert accepted.json()["second_step"]["next"] == "enroll"


def test_closing_the_organization_needs_the_code_when_two_factor_is_on(client, stripe_fake,
                                                                       make_org):
    owner = make_org("Closing Care")
    app, codes = enroll(client, owner.token)

    assert fields_named(client.post("/api/organization/close", token=owner.token,
                                    json={"password": PASSWORD})) == {"code"}
    assert fields_named(client.post("/api/organization/close", token=owner.token,
                                    json={"password": PASSWORD, "code": "2222-3333-4444"})) == {
        "password", "code"}
    closed = client.post("/api/organization/close", token=owner.token,
                         json={"password": PASSWORD, "code": codes[0]})

    assert closed.status == 200, closed.body
    assert ok(client.get("/api/organization", token=owner.token))


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "1" * 21}, {"code": "12 34<5"}])
def test_a_malformed_code_is_a_422_naming_the_field(client, org, body):
    response = client.post("/api/me/two-factor/confirm", token=org.token, json=body)
    assert fields_named(response) == {"code"}


def test_a_wrong_password_answers_the_same_with_two_factor_on_or_off(client, org, make_org):
    """Two-factor state is read only after the password is verified: a wrong password tells
    nothing about it."""
    plain = make_org("Plain Care")
    enroll(client, org.token)

    answers = [password_step(client, o, password="not the password here") for o in (org, plain)]

    assert [a.status for a in answers] == [401, 401]
    assert answers[0].json()["detail"] == answers[1].json()["detail"]
    assert set(answers[0].json()) == set(answers[1].json())


# --- password and code again, after sign-in ---------------------------------------------------

AGAIN = [("POST", "/api/me/two-factor/recovery-codes"), ("POST", "/api/me/two-factor/disable"),
         ("POST", "/api/organization/close")]


def again(client, org, route, password, code):
    method, path = route
    return client.request(method, path, token=org.token, json={"password": password, "code": code},
                          headers={"X-Forwarded-For": fresh_address()})


@pytest.mark.parametrize("route", AGAIN, ids=[p for _, p in AGAIN])
def test_a_wrong_password_or_code_gets_one_answer_and_the_code_is_checked_only_after_it(
        client, make_org, route):
    org = make_org("Asked Again")
    app, _ = enroll(client, org.token)
    code = app.code()

    answers = [again(client, org, route, "not the password", wrong_code(app)),
               again(client, org, route, PASSWORD, wrong_code(app)),
               again(client, org, route, "not the password", code)]

    assert [fields_named(a) for a in answers] == [{"password", "code"}] * 3
    # nothing tells which one was wrong
    assert len({json.dumps({k: v for k, v in a.json().items() if k != "request_id"})
                for a in answers}) == 1
    assert answers[0].json()["detail"] == "The password or the code is wrong."
    # the right code sent with a wrong password was not spent: it still works
    assert again(client, org, route, PASSWORD, code).status in (200, 204)


@pytest.mark.parametrize("route", AGAIN, ids=[p for _, p in AGAIN])
def test_wrong_passwords_or_codes_after_sign_in_count_in_the_sign_in_throttle(
        client, make_org, admin_sql, route):
    org = make_org("Guessed At")
    app, _ = enroll(client, org.token)

    statuses = [again(client, org, route, PASSWORD, wrong_code(app)).status
                for _ in range(throttle.ACCOUNT_LIMIT + 1)]
    locked = again(client, org, route, PASSWORD, app.code())

    assert statuses == [422] * throttle.ACCOUNT_LIMIT + [429]
    assert locked.status == 429 and int(header(locked, "Retry-After")) > 0
    assert password_step(client, org).status == 429  # the same account's lock
    failures = admin_sql("SELECT failures FROM sign_in_throttle WHERE key_hash = %s",
                         (throttle.account_key(org.subdomain, org.email),))[0]["failures"]
    assert failures == throttle.ACCOUNT_LIMIT + 3


def test_a_right_password_and_code_after_sign_in_clear_the_count(client, org, admin_sql):
    app, _ = enroll(client, org.token)
    again(client, org, AGAIN[0], "not the password", wrong_code(app))

    ok(again(client, org, AGAIN[0], PASSWORD, app.code()))

    rows = admin_sql("SELECT failures FROM sign_in_throttle WHERE key_hash = %s",
                     (throttle.account_key(org.subdomain, org.email),))
    assert rows == [] or rows[0]["failures"] == 0


# --- lifting the organization's requirement ---------------------------------------------------

def test_lifting_the_requirement_needs_password_and_code(client, org, admin_sql):
    app, _ = enroll(client, org.token)
    ok(client.put("/api/organization/two-factor", token=org.token, json={"required": True}))

    bare = client.put("/api/organization/two-factor", token=org.token, json={"required": False})
    wrong = client.put("/api/organization/two-factor", token=org.token,
                       json={"required": False, "password": PASSWORD, "code": wrong_code(app)})

    assert fields_named(bare) == {"password", "code"}
    assert fields_named(wrong) == {"password", "code"}
    assert ok(client.get("/api/organization", token=org.token))["require_two_factor"] is True
    lifted = ok(client.put("/api/organization/two-factor", token=org.token,
                           json={"required": False, "password": PASSWORD, "code": app.code()}))
    assert lifted["required"] is False
    assert ok(client.get("/api/organization", token=org.token))["require_two_factor"] is False


def test_a_wrong_or_rotated_totp_key_is_a_503_that_logs_no_secret(client, org, monkeypatch,
                                                                   caplog):
    app, _ = enroll(client, org.token)
    challenge = challenge_of(password_step(client, org))
    other_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", other_key)
    from shared.settings import get_settings
    get_settings.cache_clear()
    try:
        code = app.code()
        answer = code_step(client, challenge, code)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert answer.status == 503, answer.body
    assert answer.mimetype == "application/problem+json" and header(answer, "Retry-After")
    assert "TOTP_ENCRYPTION_KEY" in answer.json()["detail"]
    logged = caplog.text
    assert "TOTP_ENCRYPTION_KEY" in logged
    assert other_key not in logged and app.secret not in logged and code not in logged
    assert ok(code_step(client, challenge, app.code_at(current_step() + 1)))["token"]  # key back


@pytest.mark.parametrize("change", ["disable", "requirement"])
def test_turning_it_off_and_changing_the_requirement_wait_on_the_organizations_row(
        client, org, database, change):
    """Both lock the organization's row first: a requirement turned on while a user turns
    theirs off is seen by one or the other, never missed by both."""
    import threading

    import psycopg2
    from psycopg2.extensions import make_dsn
    app, _ = enroll(client, org.token)
    if change == "disable":
        call = ("POST", "/api/me/two-factor/disable", {"password": PASSWORD, "code": app.code()})
    else:
        ok(client.put("/api/organization/two-factor", token=org.token, json={"required": True}))
        call = ("PUT", "/api/organization/two-factor",
                {"required": False, "password": PASSWORD, "code": app.code()})
    holder = psycopg2.connect(make_dsn(database.admin_dsn, dbname=database.database))
    answers = []
    try:
        # another transaction holds the row, in a mode that lets the audit rows' foreign key
        # checks through: only an explicit lock of the row waits on it
        with holder.cursor() as cur:
            cur.execute("SELECT 1 FROM organizations WHERE id = %s FOR NO KEY UPDATE", (str(org.id),))
            worker = threading.Thread(target=lambda: answers.append(client.request(
                call[0], call[1], token=org.token, json=call[2])))
            worker.start()
            worker.join(1.0)
            assert worker.is_alive() and answers == []  # waiting on the row
        holder.commit()
        worker.join(10)
    finally:
        holder.close()
    assert answers[0].status in (200, 204), answers[0].body
