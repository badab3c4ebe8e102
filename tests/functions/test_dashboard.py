"""The dashboard: this month and the twelve before it, overall and by facility; only the
caller's organization counts."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest

from tests.factories import (configured_facility, created, fields_named, iso, ok, org_payers,
                             referral)

DASHBOARD = "/api/dashboard"
ZERO_MONTH = {"referrals": 0, "decided": 0, "accepted": 0, "declined": 0,
              "acceptance_rate_pct": None, "average_margin_pct": None,
              "accepted_margin_pct": None, "accepted_average_margin_pct": None,
              "median_turnaround_minutes": None, "payer_mix": {}}
ACCEPTED = ("accepted_margin_pct", "accepted_average_margin_pct")


def month_start(offset: int, today: date | None = None) -> datetime:
    """Midnight UTC on the first day of the month `offset` months from this one (-1: last)."""
    today = today or datetime.now(timezone.utc).date()
    index = today.year * 12 + today.month - 1 + offset
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)


def month_key(offset: int, today: date | None = None) -> str:
    return month_start(offset, today).strftime("%Y-%m")


def months_back(count: int) -> list[str]:
    """This month and the `count` before it, oldest first."""
    return [month_key(offset) for offset in range(-count, 1)]


def dashboard(client, token, query: str = "") -> dict:
    return ok(client.get(DASHBOARD + query, token=token))


def by_month(months: list[dict]) -> dict[str, dict]:
    return {m["month"]: m for m in months}


def figures(month: dict) -> dict:
    """A month's figures with the decimals as Decimal, for comparing with computed ones; the
    accepted referrals' margins have a test of their own."""
    result = {k: v for k, v in month.items() if k not in ACCEPTED}
    for key in ("acceptance_rate_pct", "average_margin_pct", "median_turnaround_minutes"):
        if result[key] is not None:
            result[key] = D(result[key])
    del result["month"]
    return result


def average(values) -> D:
    values = [D(v) for v in values]
    return (sum(values) / len(values)).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_a_new_organization_sees_thirteen_empty_months(client, org):
    body = dashboard(client, org.token)

    assert [m["month"] for m in body["months"]] == months_back(12)
    assert len(body["months"]) == 13
    assert all({k: v for k, v in m.items() if k != "month"} == ZERO_MONTH
               for m in body["months"])
    assert body["facilities"] == []


@pytest.mark.parametrize("months, expected", [(3, 4), (1, 2), (36, 37)])
def test_months_sets_how_many_months_before_this_one(client, org, months, expected):
    body = dashboard(client, org.token, f"?months={months}")

    assert [m["month"] for m in body["months"]] == months_back(months)
    assert len(body["months"]) == expected


@pytest.mark.parametrize("months", ["0", "37", "40", "-1", "twelve"])
def test_months_outside_one_to_thirty_six_is_named(client, org, months):
    response = client.get(f"{DASHBOARD}?months={months}", token=org.token)

    assert fields_named(response) == {"months"}
    assert response.json()["errors"][0]["location"] == "query"


def test_an_unknown_parameter_is_named(client, org):
    assert fields_named(client.get(f"{DASHBOARD}?facility=x", token=org.token)) == {"facility"}


@pytest.fixture
def activity(client, org, admin_sql):
    """Referrals at two facilities over the last year (and one before it), some decided, with
    known turnarounds. Returns the admissions made, keyed, and the facilities."""
    payers = org_payers(client, org)
    alder = configured_facility(client, org, payers, name="Alder House")
    birch = configured_facility(client, org, payers, name="Birch Court")
    cedar = configured_facility(client, org, payers, name="Cedar Lodge")

    def at(offset: int, day: int = 10) -> str:
        return iso(month_start(offset) + timedelta(days=day - 1, hours=12))

    plan = {
        # two months ago
        "a1": (alder, "medicaid", {"acuity": "moderate"}, at(-2)),
        "a2": (alder, "commercial", {"acuity": "high", "length_of_stay_days": 14,
                                     "required_services": ["iv_therapy"],
                                     "medication_cost_per_day": 30}, at(-2, 11)),
        "b1": (birch, "medicaid", {"acuity": "low"}, at(-2, 12)),
        # its last second: still two months ago
        "b2": (birch, "commercial", {"acuity": "moderate", "length_of_stay_days": 7},
               iso(month_start(-1) - timedelta(seconds=1))),
        # last month
        "a3": (alder, "medicaid", {"acuity": "moderate", "length_of_stay_days": 20}, at(-1)),
        "b3": (birch, "commercial", {"acuity": "complex", "length_of_stay_days": 5}, at(-1)),
        # this month, at its first moment
        "a4": (alder, "medicare_a", {"acuity": "high", "length_of_stay_days": 30},
               iso(month_start(0))),
        # eleven months ago
        "b4": (birch, "commercial", {"acuity": "low"}, at(-11)),
        # thirteen months ago: before the window
        "c1": (cedar, "medicaid", {}, at(-13)),
    }
    made = {key: created(client.post("/api/admissions", json=referral(
        place, payer_type, referral_received_at=received, **fields), token=org.token))
        for key, (place, payer_type, fields, received) in plan.items()}

    def decide(key, decision, reason_code=None, turnaround=None):
        body = {"decision": decision, **({"reason_code": reason_code} if reason_code else {})}
        ok(client.post(f"/api/admissions/{made[key]['id']}/decision", json=body,
                       token=org.token))
        if turnaround is not None:
            admin_sql("""UPDATE admissions
                            SET decided_at = referral_received_at + %s * interval '1 minute',
                                turnaround_minutes = %s
                          WHERE id = %s""", (turnaround, turnaround, made[key]["id"]))

    decide("a1", "accepted", turnaround=30)
    decide("a2", "declined", "financial", turnaround=100)
    decide("b1", "accepted", turnaround=45)
    decide("a3", "accepted", turnaround=20)
    decide("a3", "admitted")
    decide("b3", "accepted", turnaround=40)
    decide("b3", "not_admitted", "patient_choice")
    decide("b4", "declined", "payer", turnaround=600)
    decide("c1", "declined", "no_bed", turnaround=5)
    return {"made": made, "alder": alder, "birch": birch, "cedar": cedar}


def margins(activity, *keys) -> D:
    return average(activity["made"][k]["margin_pct"] for k in keys)


def test_each_month_counts_referrals_decisions_margins_turnaround_and_payer_mix(
        client, org, activity):
    body = dashboard(client, org.token)

    months = by_month(body["months"])
    assert list(months) == months_back(12)
    assert figures(months[month_key(-2)]) == {
        "referrals": 4, "decided": 3, "accepted": 2, "declined": 1,
        "acceptance_rate_pct": D("66.7"),
        "average_margin_pct": margins(activity, "a1", "a2", "b1", "b2"),
        "median_turnaround_minutes": D("45.0"),   # of 30, 45 and 100; b2 is pending
        "payer_mix": {"medicaid": 2, "commercial": 2}}
    assert figures(months[month_key(-1)]) == {
        # admitted and not admitted were accepted first: both count as accepted
        "referrals": 2, "decided": 2, "accepted": 2, "declined": 0,
        "acceptance_rate_pct": D("100.0"),
        "average_margin_pct": margins(activity, "a3", "b3"),
        "median_turnaround_minutes": D("30.0"),   # of 20 and 40
        "payer_mix": {"medicaid": 1, "commercial": 1}}
    assert figures(months[month_key(0)]) == {
        "referrals": 1, "decided": 0, "accepted": 0, "declined": 0,
        "acceptance_rate_pct": None,
        "average_margin_pct": margins(activity, "a4"),
        "median_turnaround_minutes": None,
        "payer_mix": {"medicare_a": 1}}
    assert figures(months[month_key(-11)]) == {
        "referrals": 1, "decided": 1, "accepted": 0, "declined": 1,
        "acceptance_rate_pct": D("0.0"),
        "average_margin_pct": margins(activity, "b4"),
        "median_turnaround_minutes": D("600.0"),
        "payer_mix": {"commercial": 1}}
    quiet = [m for m in body["months"]
             if m["month"] not in {month_key(o) for o in (0, -1, -2, -11)}]
    assert len(quiet) == 9
    assert all({k: v for k, v in m.items() if k != "month"} == ZERO_MONTH for m in quiet)
    # c1, thirteen months ago, counts nowhere.
    assert sum(m["referrals"] for m in body["months"]) == 8


def test_the_margin_average_is_over_every_referral_of_the_month_whatever_its_status(
        client, org, activity):
    made = activity["made"]
    statuses = {made[k]["recommendation"] for k in ("a1", "a2", "b1", "b2")}

    month = by_month(dashboard(client, org.token)["months"])[month_key(-2)]

    assert "decline" in statuses and "accept" in statuses   # a2 is a projected loss
    assert D(made["a2"]["margin_pct"]) < 0
    assert D(month["average_margin_pct"]) == margins(activity, "a1", "a2", "b1", "b2")


def weighted(activity, *keys) -> D:
    """Their margin over their net revenue (the margin plus the cost), in percent."""
    made = [activity["made"][k] for k in keys]
    margin = sum(D(m["margin"]) for m in made)
    return (margin * 100 / sum(D(m["margin"]) + D(m["cost_total"]) for m in made)).quantize(
        D("0.01"), rounding=ROUND_HALF_UP)


def test_the_margin_of_what_was_accepted_is_its_own_figure_weighted_by_revenue(
        client, org, activity):
    """Tester 8a: the average over every referral, declined and pending ones included, read as
    the margin of what was accepted."""
    body = dashboard(client, org.token)
    months = by_month(body["months"])
    # Two months ago a1 and b1 were accepted; a2 (a projected loss) declined, b2 pending.
    two_ago = months[month_key(-2)]
    assert D(two_ago["accepted_margin_pct"]) == weighted(activity, "a1", "b1")
    assert D(two_ago["accepted_average_margin_pct"]) == margins(activity, "a1", "b1")
    assert D(two_ago["accepted_margin_pct"]) > D(two_ago["average_margin_pct"])
    # Last month: a3 admitted and b3 not admitted were both accepted first.
    last = months[month_key(-1)]
    assert D(last["accepted_margin_pct"]) == weighted(activity, "a3", "b3")
    assert D(last["accepted_average_margin_pct"]) == margins(activity, "a3", "b3")
    # Weighted by revenue: a 20-day stay weighs more than a 5-day one.
    assert D(last["accepted_margin_pct"]) != D(last["accepted_average_margin_pct"])
    # This month nothing is accepted yet; eleven months ago b4 was declined.
    for month in (months[month_key(0)], months[month_key(-11)]):
        assert (month["accepted_margin_pct"], month["accepted_average_margin_pct"]) == (
            None, None)
    alder = by_month(body["facilities"][0]["months"])
    assert D(alder[month_key(-2)]["accepted_margin_pct"]) == weighted(activity, "a1")


def test_the_document_says_what_each_margin_figure_is_over(client):
    document = ok(client.get("/api/openapi.json"))
    fields = document["components"]["schemas"]["MonthFigures"]["properties"]
    assert "declined and pending included" in fields["average_margin_pct"]["description"]
    assert "weighted by" in fields["accepted_margin_pct"]["description"]
    assert "each referral counting once" in fields["accepted_average_margin_pct"]["description"]


def test_each_facility_has_its_own_months(client, org, activity):
    body = dashboard(client, org.token)

    # Facilities with referrals in the window, by name; Cedar's only one is older.
    assert [f["facility"] for f in body["facilities"]] == [
        {"id": activity["alder"].id, "name": "Alder House"},
        {"id": activity["birch"].id, "name": "Birch Court"}]
    alder, birch = (by_month(f["months"]) for f in body["facilities"])
    assert list(alder) == list(birch) == months_back(12)
    assert figures(alder[month_key(-2)]) == {
        "referrals": 2, "decided": 2, "accepted": 1, "declined": 1,
        "acceptance_rate_pct": D("50.0"),
        "average_margin_pct": margins(activity, "a1", "a2"),
        "median_turnaround_minutes": D("65.0"),   # of 30 and 100
        "payer_mix": {"medicaid": 1, "commercial": 1}}
    assert figures(birch[month_key(-2)]) == {
        "referrals": 2, "decided": 1, "accepted": 1, "declined": 0,
        "acceptance_rate_pct": D("100.0"),
        "average_margin_pct": margins(activity, "b1", "b2"),
        "median_turnaround_minutes": D("45.0"),
        "payer_mix": {"medicaid": 1, "commercial": 1}}
    assert (alder[month_key(-1)]["referrals"], alder[month_key(-1)]["accepted"],
            D(alder[month_key(-1)]["median_turnaround_minutes"])) == (1, 1, D(20))
    assert (birch[month_key(-1)]["referrals"], birch[month_key(-1)]["accepted"],
            D(birch[month_key(-1)]["median_turnaround_minutes"])) == (1, 1, D(40))
    assert alder[month_key(0)]["payer_mix"] == {"medicare_a": 1}
    assert birch[month_key(0)]["referrals"] == 0
    assert birch[month_key(-11)]["declined"] == 1
    assert alder[month_key(-11)]["referrals"] == 0
    # The facilities add up to the organization, month by month.
    for month in body["months"]:
        key = month["month"]
        assert month["referrals"] == alder[key]["referrals"] + birch[key]["referrals"]
        assert month["decided"] == alder[key]["decided"] + birch[key]["decided"]


def test_fewer_months_show_the_same_figures_for_the_months_they_keep(client, org, activity):
    full = by_month(dashboard(client, org.token)["months"])

    short = dashboard(client, org.token, "?months=3")

    assert [m["month"] for m in short["months"]] == months_back(3)
    assert all(m == full[m["month"]] for m in short["months"])
    assert sum(m["referrals"] for m in short["months"]) == 7


def test_another_organizations_admissions_never_count(client, org, other_org, activity):
    mine_before = dashboard(client, org.token)
    payers = org_payers(client, other_org)
    theirs = configured_facility(client, other_org, payers, name="Alder House")
    for offset in (0, -1, -2):
        received = month_start(offset)
        admission = created(client.post("/api/admissions", json=referral(
            theirs, referral_received_at=iso(received)), token=other_org.token))
        ok(client.post(f"/api/admissions/{admission['id']}/decision",
                       json={"decision": "declined", "reason_code": "staffing"},
                       token=other_org.token))

    mine = dashboard(client, org.token)
    their_view = dashboard(client, other_org.token)

    assert mine == mine_before
    assert [f["facility"]["id"] for f in their_view["facilities"]] == [theirs.id]
    assert [(m["referrals"], m["declined"]) for m in their_view["months"][-3:]] == [(1, 1)] * 3
    assert sum(m["referrals"] for m in their_view["months"]) == 3


def test_a_viewer_reads_the_dashboard(client, org, make_user, activity):
    token = make_user(org, "viewer")

    assert dashboard(client, token) == dashboard(client, org.token)


def test_without_a_session_the_dashboard_is_not_shown(client):
    response = client.get(DASHBOARD)

    assert response.status == 401
    assert response.mimetype == "application/problem+json"
