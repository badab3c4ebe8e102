"""GET /api/usage: this month against the limits, and the months before; the counts agree with
the rows in the tables whatever mix of creates and deactivations made them."""
from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from tests.factories import (add_member, configured_facility, created, org_payers, ok, referral)


def test_a_new_trial_sees_its_limits_and_no_history(client, make_org):
    org = make_org(tier=None)

    usage = ok(client.get("/api/usage", token=org.token))

    today = date.today()
    assert usage["current"]["period_start"] == today.replace(day=1).isoformat()
    assert usage["current"]["period_end"] >= today.isoformat()
    assert usage["current"]["admissions"] == {"used": 0, "limit": 20, "percent": 0.0}
    assert usage["current"]["facilities"] == {"used": 0, "limit": 1, "percent": 0.0}
    assert usage["current"]["users"] == {"used": 1, "limit": 5, "percent": 20.0}
    assert usage["history"] == []
    assert usage["standing"]["state"] == "trialing" and usage["standing"]["days_left"] == 14


def test_no_limit_is_shown_as_none(client, org):
    usage = ok(client.get("/api/usage", token=org.token))

    assert usage["current"]["admissions"]["limit"] is None
    assert usage["current"]["admissions"]["percent"] is None


def test_the_counts_agree_with_the_tables_after_a_random_mix(client, org, admin_sql):
    rng = random.Random(7)
    payers = org_payers(client, org)
    places = [configured_facility(client, org, payers)]
    members = []
    for _ in range(40):
        step = rng.choice(["facility", "deactivate facility", "admission", "admission",
                           "user", "deactivate user", "invite"])
        if step == "facility":
            places.append(configured_facility(client, org, payers, with_rates=False,
                                              with_cost_model=False))
        elif step == "deactivate facility" and len(places) > 1:
            gone = places.pop(rng.randrange(1, len(places)))
            assert client.delete(f"/api/facilities/{gone.id}", token=org.token).status == 204
        elif step == "admission":
            created(client.post("/api/admissions", json=referral(places[0]), token=org.token))
        elif step == "user":
            members.append(add_member(org, "viewer"))
        elif step == "deactivate user" and members:
            gone = members.pop(rng.randrange(len(members)))
            ok(client.patch(f"/api/users/{gone.id}", json={"is_active": False},
                            token=org.token))
        elif step == "invite":
            created(client.post("/api/invitations", token=org.token, json={
                "email": f"x-{secrets.token_hex(3)}@{org.subdomain}.example", "role": "viewer"}))

    current = ok(client.get("/api/usage", token=org.token))["current"]

    def n(sql):
        return admin_sql(sql, (str(org.id),))[0]["n"]
    assert current["facilities"]["used"] == n(
        "SELECT count(*) AS n FROM facilities WHERE organization_id = %s AND is_active")
    assert current["users"]["used"] == n(
        "SELECT count(*) AS n FROM users WHERE organization_id = %s AND is_active")
    assert current["open_invitations"] == n(
        "SELECT count(*) AS n FROM invitations WHERE organization_id = %s"
        " AND accepted_at IS NULL AND revoked_at IS NULL")
    assert current["admissions"]["used"] == n(
        "SELECT count(*) AS n FROM admissions WHERE organization_id = %s"
        " AND date_trunc('month', created_at AT TIME ZONE 'UTC')"
        "   = date_trunc('month', now() AT TIME ZONE 'UTC')")
    assert current["admissions"]["used"] > 0


def test_another_organizations_usage_is_never_counted(client, make_org):
    busy, quiet = make_org(), make_org(tier=None)
    place = configured_facility(client, busy, org_payers(client, busy))
    created(client.post("/api/admissions", json=referral(place), token=busy.token))

    usage = ok(client.get("/api/usage", token=quiet.token))["current"]

    assert usage["admissions"]["used"] == 0 and usage["facilities"]["used"] == 0


def test_usage_needs_a_session(client):
    assert client.get("/api/usage").status == 401


def test_history_lists_the_months_since_the_organization_began(client, org, admin_sql):
    this_month = date.today().replace(day=1)
    months = []
    for _ in range(3):
        this_month = this_month.replace(day=1) - timedelta(days=1)
        months.append(this_month.replace(day=1))
    admin_sql("UPDATE organizations SET created_at = %s WHERE id = %s",
              (months[-1].isoformat() + "T12:00:00Z", str(org.id)))
    admin_sql("INSERT INTO usage_periods (organization_id, period_start, admissions,"
              " active_facilities, active_users, closed_at) VALUES (%s, %s, 12, 2, 4, now())",
              (str(org.id), months[1]))

    history = ok(client.get("/api/usage", token=org.token))["history"]

    assert [h["period_start"] for h in history] == [m.isoformat() for m in months]
    assert [h["admissions"] for h in history] == [0, 12, 0]
    assert history[1] == {"period_start": months[1].isoformat(), "admissions": 12,
                          "active_facilities": 2, "active_users": 4, "closed": True}
