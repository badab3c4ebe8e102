"""The plan's limits on everything that counts: facilities and users by their active count,
admissions per calendar month; 402 with the plan, the limit, the usage and what to do; race-safe
with real concurrent connections; evaluating never counts; deactivating frees a place."""
from __future__ import annotations

import secrets
import threading

import pytest

from tests.factories import (add_member, configured_facility, created, on_plan, org_payers, ok,
                             referral)


def facility_body(name=None):
    return {"name": name or f"Facility {secrets.token_hex(4)}", "bed_count": 50}


def invite(client, org, role="coordinator"):
    return client.post("/api/invitations", token=org.token, json={
        "email": f"{role}-{secrets.token_hex(4)}@{org.subdomain}.example", "role": role})


def concurrently(count: int, call) -> list[int]:
    """`count` calls started together on their own threads (each its own pooled connection);
    their statuses."""
    start = threading.Barrier(count)
    statuses: list[int] = []

    def run():
        start.wait()
        statuses.append(call().status)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_a_trial_holds_one_facility_and_says_what_to_do_beyond(client, make_org):
    org = make_org(tier=None)
    created(client.post("/api/facilities", json=facility_body(), token=org.token))

    response = client.post("/api/facilities", json=facility_body(), token=org.token)

    assert response.status == 402
    assert response.mimetype == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Payment Required"
    assert {k: problem[k] for k in ("tier", "state", "resource", "limit", "usage")} == {
        "tier": "trial", "state": "trialing", "resource": "facilities", "limit": 1, "usage": 1}
    assert problem["billing_url"].endswith("/#billing")
    assert "Trial plan allows 1 active facility" in problem["detail"]
    assert problem["billing_url"] in problem["detail"]


def test_deactivating_a_facility_frees_its_place(client, make_org):
    org = make_org(tier=None)
    first = created(client.post("/api/facilities", json=facility_body(), token=org.token))

    assert client.delete(f"/api/facilities/{first['id']}", token=org.token).status == 204
    again = client.post("/api/facilities", json=facility_body(), token=org.token)

    assert again.status == 201


def test_an_invitation_that_would_exceed_the_users_limit_is_refused_when_sent(client, make_org):
    org = make_org(tier=None)  # 5 users: the owner and four more places
    for _ in range(2):
        add_member(org, "viewer")
    created(invite(client, org))
    created(invite(client, org))  # owner + 2 members + 2 open invitations = 5

    response = invite(client, org)

    assert response.status == 402
    assert response.json()["resource"] == "users" and response.json()["usage"] == 5


def test_reactivating_a_user_counts_against_the_limit(client, make_org):
    org = make_org(tier=None)
    members = [add_member(org, "viewer") for _ in range(4)]  # 5 of 5
    ok(client.patch(f"/api/users/{members[0].id}", json={"is_active": False}, token=org.token))
    add_member(org, "viewer")  # 5 of 5 again

    response = client.patch(f"/api/users/{members[0].id}", json={"is_active": True},
                            token=org.token)

    assert response.status == 402 and response.json()["resource"] == "users"


@pytest.fixture
def trial_with_a_facility(client, make_org):
    org = make_org(tier=None)
    place = configured_facility(client, org, org_payers(client, org))
    return org, place


def test_admissions_count_per_month_and_evaluating_never_counts(client, trial_with_a_facility,
                                                                admin_sql):
    org, place = trial_with_a_facility
    created(client.post("/api/admissions", json=referral(place), token=org.token))
    for _ in range(3):
        ok(client.post("/api/admissions/evaluate", json=referral(place), token=org.token))
    assert ok(client.get("/api/usage", token=org.token))["current"]["admissions"]["used"] == 1
    admin_sql("UPDATE usage_periods SET admissions = 19 WHERE organization_id = %s",
              (str(org.id),))  # as if 18 more had been saved this month

    last = client.post("/api/admissions", json=referral(place), token=org.token)
    over = client.post("/api/admissions", json=referral(place), token=org.token)

    assert last.status == 201
    assert over.status == 402
    problem = over.json()
    assert (problem["resource"], problem["limit"], problem["usage"]) == ("admissions", 20, 20)
    assert "20 admissions a month; 20 used this month" in problem["detail"]
    ok(client.post("/api/admissions/evaluate", json=referral(place), token=org.token))


def test_roles_come_before_limits(client, make_org):
    org = make_org(tier=None)
    created(client.post("/api/facilities", json=facility_body(), token=org.token))
    viewer = add_member(org, "viewer")

    response = client.post("/api/facilities", json=facility_body(), token=viewer.token)

    assert response.status == 403


def test_an_enterprise_contract_limit_applies(client, org):
    on_plan(org, "enterprise", contract_max_facilities=2)
    for _ in range(2):
        created(client.post("/api/facilities", json=facility_body(), token=org.token))

    response = client.post("/api/facilities", json=facility_body(), token=org.token)

    assert response.status == 402
    assert "Contact us to raise your contract's limit" in response.json()["detail"]


# --- the race: fifty concurrent creates at one below the limit let exactly one in -----------

def test_fifty_concurrent_facility_creates_let_exactly_one_in(client, make_org, admin_sql):
    org = make_org(tier=None)

    statuses = concurrently(50, lambda: client.post("/api/facilities", json=facility_body(),
                                                    token=org.token))

    assert sorted(set(statuses)) == [201, 402] and statuses.count(201) == 1, statuses
    assert admin_sql("SELECT count(*) AS n FROM facilities WHERE organization_id = %s"
                     " AND is_active", (str(org.id),))[0]["n"] == 1


def test_fifty_concurrent_invitations_at_one_below_let_exactly_one_in(client, make_org):
    org = make_org(tier=None)
    for _ in range(3):
        add_member(org, "viewer")  # 4 of 5

    statuses = concurrently(50, lambda: invite(client, org))

    assert statuses.count(201) == 1 and statuses.count(402) == 49, statuses


def test_fifty_concurrent_admissions_at_one_below_let_exactly_one_in(
        client, trial_with_a_facility, admin_sql):
    org, place = trial_with_a_facility
    for _ in range(19):
        created(client.post("/api/admissions", json=referral(place), token=org.token))

    statuses = concurrently(50, lambda: client.post("/api/admissions", json=referral(place),
                                                    token=org.token))

    assert statuses.count(201) == 1 and statuses.count(402) == 49, statuses
    assert admin_sql("SELECT count(*) AS n FROM admissions WHERE organization_id = %s",
                     (str(org.id),))[0]["n"] == 20
    assert admin_sql("SELECT admissions FROM usage_periods WHERE organization_id = %s",
                     (str(org.id),)) == [{"admissions": 20}]
