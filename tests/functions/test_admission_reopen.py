"""POST /api/admissions/{id}/reopen: an admin undoes the last decision or outcome within 24 hours
of it (a decline back to pending with its reason cleared, an outcome back to accepted), audited
with what was undone and by whom; a pending admission or an older decision is a conflict;
coordinators and viewers may not; another organization's admission is a 404."""
from __future__ import annotations

import uuid

import pytest

from tests.factories import add_user, configured_facility, created, ok, org_payers, referral
from tests.functions.test_admissions import audit_of, decide, user_id

ADMISSIONS = "/api/admissions"


@pytest.fixture
def place(client, org):
    return configured_facility(client, org, org_payers(client, org), name="Reopen House")


def new_admission(client, org, place) -> dict:
    return created(client.post(ADMISSIONS, json=referral(place), token=org.token))


def reopen(client, token, admission_id):
    return client.post(f"{ADMISSIONS}/{admission_id}/reopen", token=token)


def test_a_decline_is_reopened_to_pending_and_the_undo_is_audited(client, org, place,
                                                                  admin_sql):
    admission = new_admission(client, org, place)
    assert decide(client, org.token, admission["id"], "declined", "financial").status == 200
    admin = add_user(client, org, "admin")

    response = reopen(client, admin, admission["id"])

    body = ok(response)
    assert (body["status"], body["decision_reason"], body["decided_at"], body["decided_by"],
            body["turnaround_minutes"]) == ("pending", None, None, None, None)
    rows = audit_of(admin_sql, admission["id"])
    assert [r["action"] for r in rows] == ["admission.create", "admission.declined",
                                           "admission.reopen"]
    assert rows[-1]["user_id"] == user_id(client, admin)
    assert rows[-1]["changes"] == {"status": "pending", "undone": "declined",
                                   "reason_code": "financial"}
    # Decided again, as if for the first time.
    assert ok(decide(client, org.token, admission["id"], "accepted"))["status"] == "accepted"


def test_an_outcome_is_reopened_to_accepted_keeping_the_acceptance(client, org, place):
    admission = new_admission(client, org, place)
    accepted = ok(decide(client, org.token, admission["id"], "accepted"))
    ok(decide(client, org.token, admission["id"], "not_admitted", "patient_choice"))

    body = ok(reopen(client, org.token, admission["id"]))

    assert (body["status"], body["outcome_at"], body["outcome_by"], body["decision_reason"]) == (
        "accepted", None, None, None)
    assert (body["decided_at"], body["decided_by"]) == (accepted["decided_at"],
                                                        accepted["decided_by"])


def test_a_pending_admission_has_nothing_to_reopen(client, org, place, admin_sql):
    admission = new_admission(client, org, place)

    response = reopen(client, org.token, admission["id"])

    assert response.status == 409 and response.mimetype == "application/problem+json"
    assert [r["action"] for r in audit_of(admin_sql, admission["id"])] == ["admission.create"]


def test_a_decision_older_than_the_window_stays(client, org, place, admin_sql):
    admission = new_admission(client, org, place)
    ok(decide(client, org.token, admission["id"], "accepted"))
    admin_sql("UPDATE admissions SET decided_at = now() - interval '25 hours' WHERE id = %s",
              (admission["id"],))

    response = reopen(client, org.token, admission["id"])

    assert response.status == 409
    assert "24 hours" in response.json()["detail"]
    assert admin_sql("SELECT status FROM admissions WHERE id = %s",
                     (admission["id"],))[0]["status"] == "accepted"


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_may_not_reopen(client, org, place, role):
    admission = new_admission(client, org, place)
    ok(decide(client, org.token, admission["id"], "accepted"))

    assert reopen(client, add_user(client, org, role), admission["id"]).status == 403


def test_another_organizations_admission_is_not_found(client, org, other_org, place, admin_sql):
    admission = new_admission(client, org, place)
    ok(decide(client, org.token, admission["id"], "accepted"))

    assert reopen(client, other_org.token, admission["id"]).status == 404
    assert reopen(client, org.token, uuid.uuid4()).status == 404
    assert reopen(client, org.token, "not-a-uuid").status in (404, 422)
    assert admin_sql("SELECT status FROM admissions WHERE id = %s",
                     (admission["id"],))[0]["status"] == "accepted"
