"""Every write leaves its audit row, in the same transaction as the write: one table of every
route that may change something, generated against the registered routes, so a new mutating route
fails here until it says which audit actions it writes (or that it writes nothing, and why).

For each route the call is made as a real client would, then the audit rows of that request (by
its X-Request-Id) must be exactly the expected actions, all written by one transaction, the same
one that wrote the row each of them names (PostgreSQL's xmin of both rows)."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Callable

import pytest

from function_app import app
from shared.models.business_weights import DEFAULTS
from shared.routing import http_functions
from tests.factories import (PASSWORD, Authenticator, add_member, configured_facility,
                             cost_model_body, created, enroll, facility, fresh_address, header,
                             ok, org_payers, payer, on_plan, payer_body, rate_body, referral,
                             signup)

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
NEW_PASSWORD = "a brand new and rather long passphrase"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">'
       b'<rect x="0" y="0" width="20" height="20" fill="#1f5f8b"/></svg>')


def _email(org) -> str:
    return f"invitee-{secrets.token_hex(3)}@{org.subdomain}.example"


def _outbox_link(admin_sql, org, template: str, fragment: str) -> str:
    rows = admin_sql("SELECT text_body FROM email_outbox WHERE organization_id = %s"
                     " AND template = %s ORDER BY created_at DESC LIMIT 1", (str(org.id), template))
    return re.search(rf"#{fragment}=(\S+)", rows[0]["text_body"])[1]


def _invitation(client, org, admin_sql) -> tuple[dict, str]:
    invitation = created(client.post("/api/invitations", token=org.token,
                                      json={"email": _email(org), "role": "coordinator"}))
    return invitation, _outbox_link(admin_sql, org, "invitation", "accept-invitation")


def _password_reset_link(client, org, admin_sql) -> str:
    response = client.post("/api/auth/password-reset",
                           json={"subdomain": org.subdomain, "email": org.email})
    assert response.status == 202, response.body
    return _outbox_link(admin_sql, org, "password_reset", "reset-password")


def _other_session(client, org) -> str:
    """The id of a second session of the organization's owner (signed in once more)."""
    client.post("/api/auth/login", headers={"X-Forwarded-For": fresh_address()},
                json={"subdomain": org.subdomain, "email": org.email, "password": PASSWORD})
    listed = client.get("/api/me/sessions", token=org.token).json()["items"]
    return next(item["id"] for item in listed if not item["current"])


def _placed(client, org):
    return configured_facility(client, org, org_payers(client, org))


def _admission(client, org) -> dict:
    return created(client.post("/api/admissions", token=org.token,
                               json=referral(_placed(client, org))))


def _logo(client, org):
    return client.request("PUT", "/api/organization/logo", body=SVG, token=org.token,
                          headers={"content-type": "image/svg+xml"})


@dataclass(frozen=True)
class Write:
    """What one call of a route writes: its audit actions (none, with a reason, for a route
    that changes nothing) and how to make the call successfully in a fresh organization."""
    actions: tuple[str, ...]
    call: Callable  # (client, org, admin_sql) -> response
    status: int = 200
    # The row an action's transaction wrote when it is not the row the action names.
    proof: dict[str, str] | None = None
    why_none: str = ""
    # The call needs the local fake of Stripe: it is passed as a fourth argument.
    stripe: bool = False


def _reopened(client, org):
    admission = _admission(client, org)
    client.post(f"/api/admissions/{admission['id']}/decision", token=org.token,
                json={"decision": "accepted"})
    return client.post(f"/api/admissions/{admission['id']}/reopen", token=org.token)


def _trial_with_customer(client, org) -> None:
    """The organization back on a trial, with its Stripe customer already made (by a first
    checkout), so that the call under test writes only its own action."""
    on_plan(org, "trial", status="trialing")
    client.post("/api/billing/checkout", token=org.token, json={"tier": "starter"})


def _checkout(client, org, admin_sql, fake):
    _trial_with_customer(client, org)
    return client.post("/api/billing/checkout", token=org.token, json={"tier": "professional"})


def _portal(client, org, admin_sql, fake):
    _trial_with_customer(client, org)
    return client.post("/api/billing/portal", token=org.token)


def _stripe_event(client, org, admin_sql, fake):
    import json as jsonlib

    from local.stripe_fake import event, sign
    _trial_with_customer(client, org)
    fake.webhook_url = None
    subscription = fake.complete_checkout(next(iter(fake.checkout_sessions)))
    payload = jsonlib.dumps(event("customer.subscription.created", subscription)).encode()
    return client.post("/api/stripe/webhook", body=payload,
                       headers={"stripe-signature": sign(payload, fake.webhook_secret)})


def _second_step(client, org, email=None) -> str:
    return ok(client.post("/api/auth/login", headers={"X-Forwarded-For": fresh_address()},
                          json={"subdomain": org.subdomain, "email": email or org.email,
                                "password": PASSWORD}))["second_step"]["challenge"]


def _code_step(client, org):
    app, _ = enroll(client, org.token)
    return client.post("/api/auth/login/code", json={"challenge": _second_step(client, org),
                                                     "code": app.code()})


def _enrollment_challenge(client, org) -> str:
    """A member's sign-in where the owner requires two-factor sign-in: the enrollment step."""
    enroll(client, org.token)
    ok(client.put("/api/organization/two-factor", token=org.token, json={"required": True}))
    return _second_step(client, org, add_member(org, "viewer").email)


def _enrolled_at_sign_in(client, org):
    challenge = _enrollment_challenge(client, org)
    app = Authenticator(ok(client.post("/api/auth/login/enroll",
                                       json={"challenge": challenge}))["secret"])
    return client.post("/api/auth/login/enroll/confirm",
                       json={"challenge": challenge, "code": app.code()})


def _confirmed(client, org):
    app = Authenticator(ok(client.post("/api/me/two-factor", token=org.token))["secret"])
    return client.post("/api/me/two-factor/confirm", token=org.token, json={"code": app.code()})


def _with_password_and_code(path: str):
    def call(client, org, admin_sql):
        app, _ = enroll(client, org.token)
        return client.post(path, token=org.token, json={"password": PASSWORD,
                                                        "code": app.code()})
    return call


# An action that records what happened elsewhere (at Stripe) writes only its audit row.
AUDIT_ROW_ITSELF = ("SELECT xmin::text FROM audit_logs WHERE object_id = %(object_id)s"
                    " AND action = '{action}' ORDER BY occurred_at DESC LIMIT 1")


WRITES: dict[tuple[str, str], Write] = {
    **{(method, "{*path}"): Write((), lambda c, o, s, m=method: c.request(m, "/api/no/such"),
                                 status=404, why_none="nothing is routed there")
       for method in MUTATING},
    ("POST", "signup"): Write(
        ("organization.create", "user.create", "session.create"),
        lambda c, o, s: signup(c), status=201),
    ("POST", "auth/login"): Write(
        ("session.create",),
        lambda c, o, s: c.post("/api/auth/login", headers={"X-Forwarded-For": fresh_address()},
                               json={"subdomain": o.subdomain, "email": o.email,
                                     "password": PASSWORD})),
    ("POST", "auth/logout"): Write(
        ("session.revoke",), lambda c, o, s: c.post("/api/auth/logout", token=o.token),
        status=204),
    ("POST", "auth/password-reset"): Write(
        ("user.password_reset_request",),
        lambda c, o, s: c.post("/api/auth/password-reset",
                               json={"subdomain": o.subdomain, "email": o.email}),
        status=202,
        proof={"user.password_reset_request": "SELECT xmin::text FROM password_resets"
               " WHERE user_id = %(object_id)s ORDER BY created_at DESC LIMIT 1"}),
    ("POST", "auth/password-reset/confirm"): Write(
        ("user.password_reset",),
        lambda c, o, s: c.post("/api/auth/password-reset/confirm", json={
            "token": _password_reset_link(c, o, s), "new_password": NEW_PASSWORD}),
        status=204),
    ("POST", "me/password"): Write(
        ("user.password_change",),
        lambda c, o, s: c.post("/api/me/password", token=o.token, json={
            "current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        status=204),
    ("DELETE", "me/sessions/{id:guid}"): Write(
        ("session.revoke",), lambda c, o, s: c.delete(f"/api/me/sessions/{_other_session(c, o)}",
                                                      token=o.token),
        status=204),
    ("DELETE", "users/{id:guid}/sessions"): Write(
        ("user.sessions_revoke",),
        lambda c, o, s: c.delete(f"/api/users/{add_member(o, 'viewer').id}/sessions",
                                 token=o.token),
        proof={"user.sessions_revoke": "SELECT xmin::text FROM sessions WHERE user_id ="
               " %(object_id)s ORDER BY revoked_at DESC NULLS LAST LIMIT 1"}),
    ("POST", "organization/close"): Write(
        ("organization.close",),
        lambda c, o, s: c.post("/api/organization/close", token=o.token,
                               json={"password": PASSWORD})),
    ("POST", "organization/reopen"): Write(
        ("organization.reopen",),
        lambda c, o, s: (c.post("/api/organization/close", token=o.token,
                                json={"password": PASSWORD}),
                         c.post("/api/organization/reopen", token=o.token))[1]),
    ("POST", "organization/exports"): Write(
        ("data_export.request",),
        lambda c, o, s: c.post("/api/organization/exports", token=o.token), status=202),
    ("PATCH", "users/{id:guid}"): Write(
        ("user.update",),
        lambda c, o, s: c.patch(f"/api/users/{add_member(o, 'viewer').id}", token=o.token,
                                json={"role": "coordinator"})),
    ("POST", "invitations"): Write(
        ("invitation.create",),
        lambda c, o, s: c.post("/api/invitations", token=o.token,
                               json={"email": _email(o), "role": "viewer"}),
        status=201),
    ("DELETE", "invitations/{id:guid}"): Write(
        ("invitation.revoke",),
        lambda c, o, s: c.delete(f"/api/invitations/{_invitation(c, o, s)[0]['id']}",
                                 token=o.token),
        status=204),
    ("POST", "invitations/accept"): Write(
        ("invitation.accept", "user.create", "session.create"),
        lambda c, o, s: c.post("/api/invitations/accept", json={
            "token": _invitation(c, o, s)[1], "password": NEW_PASSWORD}),
        status=201),
    ("POST", "invitations/preview"): Write(
        (), lambda c, o, s: c.post("/api/invitations/preview",
                                   json={"token": _invitation(c, o, s)[1]}),
        why_none="shows what a link is for; changes nothing"),
    ("PATCH", "organization"): Write(
        ("organization.update",),
        lambda c, o, s: c.patch("/api/organization", token=o.token, json={"name": "Renamed"})),
    ("PUT", "organization/logo"): Write(("organization.logo_set",), lambda c, o, s: _logo(c, o)),
    ("DELETE", "organization/logo"): Write(
        ("organization.logo_remove",),
        lambda c, o, s: (_logo(c, o), c.delete("/api/organization/logo", token=o.token))[1],
        status=204),
    ("POST", "facilities"): Write(
        ("facility.create",),
        lambda c, o, s: c.post("/api/facilities", token=o.token,
                               json={"name": "Audited", "bed_count": 40}),
        status=201),
    ("PATCH", "facilities/{id:guid}"): Write(
        ("facility.update",),
        lambda c, o, s: c.patch(f"/api/facilities/{facility(c, o.token)['id']}", token=o.token,
                                json={"bed_count": 90})),
    ("DELETE", "facilities/{id:guid}"): Write(
        ("facility.deactivate",),
        lambda c, o, s: c.delete(f"/api/facilities/{facility(c, o.token)['id']}",
                                 token=o.token),
        status=204),
    ("POST", "payers"): Write(
        ("payer.create",), lambda c, o, s: c.post("/api/payers", token=o.token,
                                                  json=payer_body()),
        status=201),
    ("PATCH", "payers/{id:guid}"): Write(
        ("payer.update",),
        lambda c, o, s: c.patch(f"/api/payers/{payer(c, o.token)['id']}", token=o.token,
                                json={"name": "Renamed payer"})),
    ("DELETE", "payers/{id:guid}"): Write(
        ("payer.deactivate",),
        lambda c, o, s: c.delete(f"/api/payers/{payer(c, o.token)['id']}", token=o.token),
        status=204),
    ("POST", "rates"): Write(
        ("rate.create",),
        lambda c, o, s: c.post("/api/rates", token=o.token, json=rate_body(
            facility(c, o.token)["id"], payer(c, o.token)["id"])),
        status=201),
    ("PATCH", "rates/{id:guid}"): Write(
        ("rate.update",),
        lambda c, o, s: c.patch(f"/api/rates/{_placed(c, o).rates['medicaid']['id']}",
                                token=o.token, json={"per_diem": 410})),
    ("DELETE", "rates/{id:guid}"): Write(
        ("rate.deactivate",),
        lambda c, o, s: c.delete(f"/api/rates/{_placed(c, o).rates['medicaid']['id']}",
                                 token=o.token),
        status=204),
    ("POST", "cost-models"): Write(
        ("cost_model.create",),
        lambda c, o, s: c.post("/api/cost-models", token=o.token,
                               json=cost_model_body(facility(c, o.token)["id"])),
        status=201),
    ("PATCH", "cost-models/{id:guid}"): Write(
        ("cost_model.update",),
        lambda c, o, s: c.patch(f"/api/cost-models/{_placed(c, o).cost_model['id']}",
                                token=o.token, json={"therapy_cost_per_day": 55})),
    ("DELETE", "cost-models/{id:guid}"): Write(
        ("cost_model.deactivate",),
        lambda c, o, s: c.delete(f"/api/cost-models/{_placed(c, o).cost_model['id']}",
                                 token=o.token),
        status=204),
    ("PUT", "business-weights"): Write(
        ("business_weights.update",),
        lambda c, o, s: c.request("PUT", "/api/business-weights", token=o.token,
                                  json=DEFAULTS.model_dump(mode="json"))),
    ("POST", "admissions/evaluate"): Write(
        (), lambda c, o, s: c.post("/api/admissions/evaluate", token=o.token,
                                   json=referral(_placed(c, o))),
        why_none="evaluates without saving"),
    ("POST", "admissions/compare"): Write(
        (), lambda c, o, s: c.post("/api/admissions/compare", token=o.token, json={
            k: v for k, v in referral(_placed(c, o)).items() if k != "facility_id"}),
        why_none="ranks facilities without saving"),
    ("POST", "admissions"): Write(
        ("admission.create",),
        lambda c, o, s: c.post("/api/admissions", token=o.token, json=referral(_placed(c, o))),
        status=201),
    ("POST", "onboarding/defaults"): Write(
        ("payer.create", "rate.create", "cost_model.create", "business_weights.update"),
        lambda c, o, s: c.post("/api/onboarding/defaults", token=o.token,
                               json={"facility_id": facility(c, o.token)["id"]}),
        status=201),
    ("POST", "admissions/{id:guid}/reopen"): Write(
        ("admission.reopen",), lambda c, o, s: _reopened(c, o)),
    ("POST", "billing/checkout"): Write(
        ("billing.checkout",), _checkout, stripe=True,
        proof={"billing.checkout": AUDIT_ROW_ITSELF.format(action="billing.checkout")}),
    ("POST", "billing/portal"): Write(
        ("billing.portal",), _portal, stripe=True,
        proof={"billing.portal": AUDIT_ROW_ITSELF.format(action="billing.portal")}),
    ("POST", "stripe/webhook"): Write(("billing.subscription",), _stripe_event, stripe=True),
    ("POST", "admissions/{id:guid}/decision"): Write(
        ("admission.accepted",),
        lambda c, o, s: c.post(f"/api/admissions/{_admission(c, o)['id']}/decision",
                               token=o.token, json={"decision": "accepted"})),
}

# The two-factor actions name the user; the row they write is the user's credential.
CREDENTIAL_ROW = ("SELECT xmin::text FROM two_factor_credentials WHERE user_id = %(object_id)s")
WRITES.update({
    ("POST", "auth/login/code"): Write(("session.create",), lambda c, o, s: _code_step(c, o)),
    ("POST", "auth/login/enroll"): Write(
        ("two_factor.enroll",),
        lambda c, o, s: c.post("/api/auth/login/enroll",
                               json={"challenge": _enrollment_challenge(c, o)}),
        proof={"two_factor.enroll": CREDENTIAL_ROW}),
    ("POST", "auth/login/enroll/confirm"): Write(
        ("two_factor.confirm", "session.create"), lambda c, o, s: _enrolled_at_sign_in(c, o),
        proof={"two_factor.confirm": CREDENTIAL_ROW}),
    ("POST", "me/two-factor"): Write(
        ("two_factor.enroll",), lambda c, o, s: c.post("/api/me/two-factor", token=o.token),
        proof={"two_factor.enroll": CREDENTIAL_ROW}),
    ("POST", "me/two-factor/confirm"): Write(
        ("two_factor.confirm",), lambda c, o, s: _confirmed(c, o),
        proof={"two_factor.confirm": CREDENTIAL_ROW}),
    ("POST", "me/two-factor/recovery-codes"): Write(
        ("two_factor.recovery_codes_regenerate",),
        _with_password_and_code("/api/me/two-factor/recovery-codes"),
        proof={"two_factor.recovery_codes_regenerate": "SELECT DISTINCT xmin::text FROM"
               " recovery_codes WHERE user_id = %(object_id)s"}),
    # The credential it deletes is gone: the audit row is what is left of the change.
    ("POST", "me/two-factor/disable"): Write(
        ("two_factor.disable",), _with_password_and_code("/api/me/two-factor/disable"),
        status=204,
        proof={"two_factor.disable": AUDIT_ROW_ITSELF.format(action="two_factor.disable")}),
    ("PUT", "organization/two-factor"): Write(
        ("organization.two_factor_requirement",),
        lambda c, o, s: (enroll(c, o.token),
                         c.put("/api/organization/two-factor", token=o.token,
                               json={"required": True}))[1]),
})

# object_type of an audit row -> the table and key column of the row it names.
OBJECT_ROWS = {
    "organization": ("organizations", "id"), "user": ("users", "id"),
    "session": ("sessions", "id"), "invitation": ("invitations", "id"),
    "facility": ("facilities", "id"), "payer": ("payers", "id"), "rate": ("rates", "id"),
    "cost_model": ("cost_models", "id"), "admission": ("admissions", "id"),
    "business_weights": ("business_weights", "organization_id"),
    "data_export": ("data_exports", "id"),
}


def mutating_routes() -> set[tuple[str, str]]:
    return {(method, function.route) for function in http_functions(app)
            for method in function.methods if method in MUTATING}


def test_every_mutating_route_says_what_it_audits():
    routes = mutating_routes()

    assert routes - set(WRITES) == set(), "mutating routes not in WRITES: add them on purpose"
    assert set(WRITES) - routes == set(), "WRITES lists routes that are not registered"
    for key, write in WRITES.items():
        assert write.actions or write.why_none, f"{key}: no audit action and no reason"


def _written_by(admin_sql, row: dict, proof: dict[str, str] | None) -> str | None:
    """The xmin of the row an audit row names: the transaction that last wrote it."""
    if proof and row["action"] in proof:
        found = admin_sql(proof[row["action"]], {"object_id": row["object_id"]})
    else:
        table, key = OBJECT_ROWS[row["object_type"]]
        found = admin_sql(f"SELECT xmin::text FROM {table} WHERE {key} = %(id)s",
                          {"id": row["object_id"] or row["organization_id"]})
    assert len(found) == 1, (row["action"], found)
    return found[0]["xmin"]


@pytest.mark.parametrize("method, route", sorted(WRITES), ids=[f"{m} {r}" for m, r in
                                                                 sorted(WRITES)])
def test_a_write_leaves_exactly_its_audit_rows_in_its_own_transaction(client, org, admin_sql,
                                                                      method, route, request):
    write = WRITES[(method, route)]

    if write.stripe:
        response = write.call(client, org, admin_sql, request.getfixturevalue("stripe_fake"))
    else:
        response = write.call(client, org, admin_sql)

    assert response.status == write.status, response.body
    rows = admin_sql("""SELECT action, object_type, object_id::text,
                               organization_id::text, xmin::text FROM audit_logs
                         WHERE request_id = %s""", (header(response, "X-Request-Id"),))
    assert sorted(r["action"] for r in rows) == sorted(write.actions)
    assert len({r["xmin"] for r in rows}) <= 1, "audit rows of one request in two transactions"
    for row in rows:
        assert _written_by(admin_sql, row, write.proof) == row["xmin"], (
            f"{row['action']}: not written in the transaction that wrote its object")
