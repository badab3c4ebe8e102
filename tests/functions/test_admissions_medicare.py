"""Medicare Part A rules of issue 12 through the API, on real PostgreSQL and real migrations:
benefit-period days already used, coinsurance by the calendar year each day is furnished.
The facility's Medicare rate is PDPM FY2026 urban, wage index 1.1, VBP 1 (tests/factories.py);
KBGE per diems: days 1-3 946.52, 4-20 752.23 (test_pdpm.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from tests.factories import (MEDICARE_PDPM_TERMS, configured_facility, fields_named, new_client,
                             new_org, ok, org_payers, payer, rate, referral)

EVALUATE = "/api/admissions/evaluate"
ADMISSIONS = "/api/admissions"


@pytest.fixture(scope="module")
def site(database, app):
    client = new_client(app)
    org = new_org(client, "Medicare rules")
    place = configured_facility(client, org, org_payers(client, org), name="Birch Court")
    return client, org, place


def medicare(place, **fields) -> dict:
    """A KBGE1 referral; one with an admission date was received the day before it."""
    if "expected_admission_date" in fields and "referral_received_at" not in fields:
        admission = date.fromisoformat(fields["expected_admission_date"])
        fields["referral_received_at"] = f"{admission - timedelta(days=1)}T10:00:00Z"
    return referral(place, "medicare_a", hipps_code="KBGE1", **fields)


def test_ninety_days_used_gives_ten_covered_days(site):
    client, org, place = site
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=30, benefit_days_used=90,
        expected_admission_date="2026-06-01"), token=org.token))
    detail = result["revenue"]["pdpm"]
    assert (detail["covered_days"], detail["uncovered_days"]) == (10, 20)
    # 3 x 946.52 + 7 x 752.23 = 8105.17, all ten days with 2026's 217.00 coinsurance.
    assert D(result["revenue"]["total"]) == D("8105.17")
    assert D(detail["coinsurance_total"]) == D("2170.00")
    assert result["revenue"]["days"][10]["covered"] is False


def test_a_stay_from_15_november_2025_pays_each_years_coinsurance(site):
    client, org, place = site
    # 40 days from 2025-11-15: benefit days 21-40 are 5 Dec 2025 - 24 Dec 2025: all 2025.
    # With 30 days used, benefit day 21 is before the stay: days 1-47 (to 31 Dec) carry
    # 209.50, days 48-60 carry 217.00.
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=60, benefit_days_used=30,
        expected_admission_date="2025-11-15", referral_received_at="2025-11-14T15:00:00Z"),
        token=org.token))
    by_year = {y["calendar_year"]: y for y in result["revenue"]["pdpm"]["coinsurance_by_year"]}
    assert (by_year[2025]["days"], D(by_year[2025]["total"])) == (47, D("209.50") * 47)
    assert (by_year[2026]["days"], D(by_year[2026]["total"])) == (13, D("217.00") * 13)
    days = result["revenue"]["days"]
    assert (days[46]["date"], days[46]["patient_pays"]) == ("2025-12-31", "209.50")
    assert (days[47]["date"], days[47]["patient_pays"]) == ("2026-01-01", "217.00")


def test_the_inputs_are_stored_with_the_saved_evaluation(site, admin_sql):
    client, org, place = site
    response = client.post(ADMISSIONS, json=medicare(
        place, length_of_stay_days=25, benefit_days_used=12,
        expected_admission_date="2026-06-02"), token=org.token)
    assert response.status == 201, response.body
    stored = admin_sql("SELECT evaluation FROM admissions WHERE id = %s",
                       (response.json()["id"],))[0]["evaluation"]["revenue"]["pdpm"]
    assert (stored["benefit_days_used"], stored["admission_date"],
            stored["coinsurance_from_day"]) == (12, "2026-06-02", 9)


@pytest.mark.parametrize("fields, bad", [
    ({"benefit_days_used": 101}, "benefit_days_used"),
    ({"benefit_days_used": -1}, "benefit_days_used"),
    ({"benefit_days_used": "many"}, "benefit_days_used"),
    ({"expected_admission_date": "2014-12-31"}, "expected_admission_date"),
    ({"expected_admission_date": "2099-01-01"}, "expected_admission_date"),
    ({"expected_admission_date": "June 1"}, "expected_admission_date"),
    # Tester 8b: received 2026-06-01 (UTC); the stay from 2 days before to 90 days after.
    ({"expected_admission_date": "2020-01-01"}, "expected_admission_date"),
    ({"expected_admission_date": "2026-05-29"}, "expected_admission_date"),
    ({"expected_admission_date": "2026-08-31"}, "expected_admission_date"),
    ({"expected_admission_date": "2027-06-01"}, "expected_admission_date"),
    ({"referral_received_at": "2099-01-01T00:00:00Z"}, "referral_received_at"),
])
def test_bad_stay_inputs_are_a_clear_422(site, fields, bad):
    client, org, place = site
    response = client.post(EVALUATE, json=referral(place, "medicare_a", hipps_code="KBGE1",
                                                   **fields), token=org.token)
    assert response.status in (400, 422), response.body
    assert response.mimetype == "application/problem+json"
    assert fields_named(response) == {bad}


def test_codes_typed_in_lower_case_are_taken_in_upper_case(site, admin_sql):
    """Tester 8c: the engine reads HIPPS codes in either case; the API refused lower case."""
    client, org, place = site
    upper = ok(client.post(EVALUATE, json=medicare(place), token=org.token))
    lower = ok(client.post(EVALUATE, json=referral(place, "medicare_a", hipps_code="kbge1"),
                           token=org.token))
    assert lower["revenue"] == upper["revenue"]
    assert lower["revenue"]["pdpm"]["hipps"] == "KBGE"
    groups = {"pt_ot": "tk", "slp": "sb", "nursing": "hbc1", "nta": "ne"}
    saved = client.post(ADMISSIONS, json=referral(place, "medicare_a", pdpm_groups=groups),
                        token=org.token)
    assert saved.status == 201, saved.body
    assert saved.json()["pdpm_groups"] == {k: v.upper() for k, v in groups.items()}
    assert saved.json()["evaluation"]["revenue"] == upper["revenue"]


def test_without_a_hipps_code_therapy_costs_what_the_assumed_groups_cost(site):
    """Tester defect 4: no HIPPS code priced revenue with the assumed groups (KAPE1 for
    moderate acuity) but cost therapy at the flat rate, inflating the margin."""
    client, org, place = site
    made = configured_facility(client, org, place.payers, name="Dogwood Manor",
                               cost_model_fields={"pt_cost_per_day_at_cmi_1": "40.20",
                                                  "ot_cost_per_day_at_cmi_1": "40.20",
                                                  "slp_cost_per_day_at_cmi_1": "22.55"})
    body = referral(made, "medicare_a", length_of_stay_days=20)
    assumed = ok(client.post(EVALUATE, json=body, token=org.token))
    given = ok(client.post(EVALUATE, json={**body, "hipps_code": "KAPE1"}, token=org.token))
    assert assumed["revenue"]["pdpm"]["hipps"] == "KAPE"
    assert assumed["revenue"]["net_total"] == given["revenue"]["net_total"]
    assert assumed["cost"] == given["cost"]
    assert D(assumed["cost"]["breakdown"]["therapy"]) == D("131.01")   # 57.89 + 58.69 + 14.43
    assert (assumed["margin"], assumed["margin_pct"]) == (given["margin"], given["margin_pct"])


@pytest.mark.parametrize("received, admission", [
    ("2026-06-01T10:00:00Z", "2026-05-30"),        # 2 days before: a time zone, a late entry
    ("2026-06-01T23:30:00-05:00", "2026-05-31"),   # 2 June UTC, 31 May in Chicago
    ("2026-06-01T10:00:00Z", "2026-08-30"),        # 90 days after: a planned admission
])
def test_admission_dates_at_the_edges_of_the_window_are_taken(site, received, admission):
    client, org, place = site
    ok(client.post(EVALUATE, json=medicare(place, referral_received_at=received,
                                           expected_admission_date=admission),
                   token=org.token))


def test_a_referral_logged_a_day_late_is_taken_and_a_stay_far_off_is_refused_plainly(site):
    client, org, place = site
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    body = medicare(place, referral_received_at=yesterday.isoformat(),
                    expected_admission_date=yesterday.date().isoformat())
    assert client.post(ADMISSIONS, json=body, token=org.token).status == 201
    far = (yesterday.date() + timedelta(days=120)).isoformat()
    response = client.post(EVALUATE, json={**body, "expected_admission_date": far},
                           token=org.token)
    assert fields_named(response) == {"expected_admission_date"}
    message = response.json()["errors"][0]["message"]
    assert "90 days after the referral was received" in message, message


# --- 4. payment adjustments ------------------------------------------------------------------

def test_a_rate_flagged_for_qrp_prices_with_the_reduced_rates(site, admin_sql):
    client, org, place = site
    made = configured_facility(client, org, place.payers, name="Cedar Hill")
    rate_id = made.rates["medicare_a"]["id"]
    changed = client.request("PATCH", f"/api/rates/{rate_id}", json={"qrp_reduced": True},
                             token=org.token)
    assert changed.status == 200, changed.body
    assert changed.json()["qrp_reduced"] is True
    result = ok(client.post(EVALUATE, json=medicare(
        made, length_of_stay_days=4, expected_admission_date="2026-06-01", hiv_aids=False),
        token=org.token))
    # Derived in tests/shared/test_engine_medicare.py: 3 x -18.37 + -14.60.
    lines = {a["code"]: D(a["amount"]) for a in result["revenue"]["adjustments"]}
    assert lines["qrp_reduction"] == D("-69.71")
    audit = admin_sql("SELECT changes FROM audit_logs WHERE object_id = %s "
                      "AND action = 'rate.update'", (rate_id,))
    assert any("qrp_reduced" in str(row["changes"]) for row in audit)


def test_hiv_aids_is_its_own_line(site):
    client, org, place = site
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=4, expected_admission_date="2026-06-01", hiv_aids=True),
        token=org.token))
    assert result["revenue"]["days"][3]["hiv_aids_adjustment"] == "202.81"


def test_the_qrp_flag_is_refused_on_a_rate_that_is_not_pdpm(site):
    client, org, place = site
    rate_id = place.rates["medicaid"]["id"]
    response = client.request("PATCH", f"/api/rates/{rate_id}", json={"qrp_reduced": True},
                              token=org.token)
    assert response.status == 422, response.body
    assert fields_named(response) == {"qrp_reduced"}


@pytest.mark.parametrize("value", [-1, 100.01, "all"])
def test_a_collection_rate_outside_0_to_100_is_refused(site, value):
    client, org, _ = site
    body = client.get("/api/business-weights", token=org.token).json()
    body = {k: v for k, v in body.items() if k not in ("is_default", "updated_at")}
    response = client.request("PUT", "/api/business-weights", token=org.token,
                              json={**body, "coinsurance_collection_pct": value})
    assert response.status in (400, 422), response.body
    assert fields_named(response) == {"coinsurance_collection_pct"}


# --- 5. interrupted stay ---------------------------------------------------------------------

def admitted_stay(client, org, place, **fields) -> dict:
    saved = client.post(ADMISSIONS, json=medicare(place, **fields), token=org.token)
    assert saved.status == 201, saved.body
    admission = saved.json()
    for decision in ("accepted", "admitted"):
        decided = client.post(f"{ADMISSIONS}/{admission['id']}/decision",
                              json={"decision": decision}, token=org.token)
        assert decided.status == 200, decided.body
    return admission


def test_a_readmission_within_the_window_continues_the_schedule(site):
    client, org, place = site
    prior = admitted_stay(client, org, place, length_of_stay_days=10,
                          expected_admission_date="2026-05-01")
    # The prior stay's days are 1-10 May; it ends (discharge day) on 11 May. Back on 12 May is
    # 1 day later: schedule days 11-20 pay 752.23, 21-22 747.68 (PT/OT x 0.98); 10 benefit
    # days used, so coinsurance starts on this stay's day 11.
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=12, expected_admission_date="2026-05-12",
        prior_case_number=prior["case_number"]), token=org.token))
    assert [d["amount"] for d in result["revenue"]["days"]] == ["752.23"] * 10 + ["747.68"] * 2
    detail = result["revenue"]["pdpm"]
    assert detail["interrupted_stay"] == {"prior_case_number": prior["case_number"],
                                          "prior_days": 10, "gap_days": 1}
    assert (detail["benefit_days_used"], detail["coinsurance_from_day"]) == (10, 11)

    # Back on 15 May (4 days later): a new stay, the schedule restarts.
    later = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=4, expected_admission_date="2026-05-15",
        prior_case_number=prior["case_number"]), token=org.token))
    assert [d["amount"] for d in later["revenue"]["days"]] == ["946.52"] * 3 + ["752.23"]
    assert later["revenue"]["pdpm"]["interrupted_stay"] is None
    assert any("a new stay" in a for a in later["assumptions"])


def test_a_chain_of_interrupted_stays_continues_the_whole_chains_schedule(site):
    """Tester defect H1: a readmission after an interrupted stay continued from the last stay's
    length only, restarting the variable per diem of the days before it."""
    client, org, place = site
    first = admitted_stay(client, org, place, length_of_stay_days=10,
                          expected_admission_date="2026-05-01")
    # Days 1-10 May, back on 12 May for days 11-20 of the schedule, discharged 22 May.
    second = admitted_stay(client, org, place, length_of_stay_days=10,
                           expected_admission_date="2026-05-12",
                           prior_case_number=first["case_number"])
    assert second["evaluation"]["revenue"]["pdpm"]["interrupted_stay"]["prior_days"] == 10
    # Back on 23 May: the schedule goes on from day 21 (PT/OT x 0.98), not from day 11.
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=4, expected_admission_date="2026-05-23",
        prior_case_number=second["case_number"]), token=org.token))
    assert [d["amount"] for d in result["revenue"]["days"]] == ["747.68"] * 4
    detail = result["revenue"]["pdpm"]
    assert detail["interrupted_stay"] == {"prior_case_number": second["case_number"],
                                          "prior_days": 20, "gap_days": 1}
    assert detail["benefit_days_used"] == 20


@pytest.mark.parametrize("admission, gap, used", [
    ("2026-05-29", 59, 30),     # 59 days out: the benefit period goes on
    ("2026-05-30", 60, 0),      # 60 days out: it ended (42 CFR 409.60(b)(1))
    ("2026-07-01", 92, 0),      # the tester's case
])
def test_sixty_days_out_of_care_start_a_new_benefit_period(site, admission, gap, used):
    """Tester defect 2: the prior stay's days counted however long the patient was out."""
    client, org, place = site
    # 30 days from 1 March: days 1-30 March, discharged (the first day not in it) 31 March.
    prior = admitted_stay(client, org, place, length_of_stay_days=30,
                          expected_admission_date="2026-03-01",
                          referral_received_at="2026-02-27T10:00:00Z")
    received = (date.fromisoformat(admission) - timedelta(days=2)).isoformat() + "T10:00:00Z"
    body = medicare(place, length_of_stay_days=30, expected_admission_date=admission,
                    referral_received_at=received)
    without = ok(client.post(EVALUATE, json=body, token=org.token))
    result = ok(client.post(EVALUATE, json={**body, "prior_case_number": prior["case_number"]},
                            token=org.token))

    detail = result["revenue"]["pdpm"]
    assert (detail["benefit_days_used"], detail["benefit_days_used_known"]) == (used, True)
    assert detail["coinsurance_from_day"] == max(1, 21 - used)
    if used:
        assert any(f"{gap} days before" in a and "fewer than 60" in a
                   for a in result["assumptions"])
    else:
        assert result["revenue"]["net_total"] == without["revenue"]["net_total"]
        assert D(detail["coinsurance_total"]) == D("217.00") * 10
        assert any(f"ended {gap} days before this admission" in a and "409.60" in a
                   and "new benefit period" in a for a in result["assumptions"])
        assert not any("covers at most 70" in a for a in result["assumptions"])


def test_an_interrupted_stay_needs_an_admission_of_the_organization(site):
    client, org, place = site
    response = client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=4, expected_admission_date="2026-04-07",
        prior_case_number="NOPE-2026-000999"), token=org.token)
    assert response.status == 422, response.body
    assert fields_named(response) == {"prior_case_number"}
    assert "no admission" in response.body.decode()


def test_a_prior_stay_at_another_facility_is_a_new_stay_whose_days_count_in_the_benefit_period(
        site):
    """An interrupted stay is a readmission to the same SNF (42 CFR 413.343); the benefit
    period is the beneficiary's, so the days used at another facility still count. (Tester: a
    prior stay elsewhere was a 422, and a comparison naming one failed at every facility.)"""
    client, org, place = site
    other = configured_facility(client, org, place.payers, name="Elm Ridge")
    # Days 1-5 April at Elm Ridge, discharged 6 April; here on 7 April, one day later.
    elsewhere = admitted_stay(client, org, other, length_of_stay_days=5,
                              expected_admission_date="2026-04-01")
    body = medicare(place, length_of_stay_days=20, expected_admission_date="2026-04-07")
    fresh = ok(client.post(EVALUATE, json=body, token=org.token))
    result = ok(client.post(EVALUATE, json={**body, "prior_case_number": elsewhere["case_number"]},
                            token=org.token))

    detail = result["revenue"]["pdpm"]
    assert detail["interrupted_stay"] is None
    assert ([d["amount"] for d in result["revenue"]["days"]]
            == [d["amount"] for d in fresh["revenue"]["days"]])  # the schedule starts again
    assert (detail["benefit_days_used"], detail["coinsurance_from_day"]) == (5, 16)
    assert any(f"{elsewhere['case_number']} was at another facility" in a and "413.343" in a
               for a in result["assumptions"])


def test_a_comparison_naming_a_prior_stay_evaluates_it_at_every_facility(site):
    client, org, place = site
    other = configured_facility(client, org, place.payers, name="Fir Glen")
    prior = admitted_stay(client, org, place, length_of_stay_days=10,
                          expected_admission_date="2026-06-01")
    body = medicare(place, length_of_stay_days=12, expected_admission_date="2026-06-12",
                    prior_case_number=prior["case_number"])
    del body["facility_id"]

    placements = {p["facility"]["id"]: p for p in ok(client.post(
        "/api/admissions/compare", json=body, token=org.token))["placements"]}

    here, there = placements[str(place.id)], placements[str(other.id)]
    assert here["evaluation"]["revenue"]["pdpm"]["interrupted_stay"] == {
        "prior_case_number": prior["case_number"], "prior_days": 10, "gap_days": 1}
    assert there["evaluation"]["revenue"]["pdpm"]["interrupted_stay"] is None
    assert there["evaluation"]["revenue"]["pdpm"]["benefit_days_used"] == 10


# --- 6. then-payer; Medicare Advantage as a percentage of PDPM --------------------------------

def test_the_then_payer_pays_the_days_after_medicare(site):
    client, org, place = site
    # 110 days: days 101-110 at the facility's Medicaid per diem, 400.00: 4000.00.
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=110, expected_admission_date="2026-03-01",
        then_payer_id=place.payer_id("medicaid")), token=org.token))
    days = result["revenue"]["days"]
    assert [d["amount"] for d in days[100:]] == ["400.00"] * 10
    assert result["revenue"]["pdpm"]["then_payer"]["total"] == "4000.00"


@pytest.mark.parametrize("payer_type", ["medicare_a", "nobody"])
def test_a_then_payer_must_be_another_payer_with_a_per_diem(site, payer_type):
    client, org, place = site
    payer_id = (place.payer_id(payer_type) if payer_type != "nobody"
                else "00000000-0000-4000-8000-000000000000")
    response = client.post(EVALUATE, json=medicare(place, then_payer_id=payer_id),
                           token=org.token)
    assert response.status == 422, response.body
    assert fields_named(response) == {"then_payer_id"}


def test_a_then_payer_on_a_non_medicare_referral_is_refused(site):
    client, org, place = site
    response = client.post(EVALUATE, json=referral(
        place, "medicaid", then_payer_id=place.payer_id("commercial")), token=org.token)
    assert response.status == 422, response.body
    assert fields_named(response) == {"then_payer_id"}


def test_a_medicare_advantage_rate_as_a_percentage_of_pdpm(site):
    client, org, place = site
    from tests.factories import payer, rate
    plan = payer(client, org.token, payer_type="medicare_advantage", name="Humana MA")
    rate(client, org.token, place.id, plan["id"], "pdpm", fiscal_year=2026, locality="urban",
         wage_index=1.1, vbp_multiplier=1, pdpm_percent=90, effective_from="2025-10-01")
    result = ok(client.post(EVALUATE, json={**medicare(place, length_of_stay_days=4,
                                                       expected_admission_date="2026-06-01"),
                                            "payer_id": plan["id"]}, token=org.token))
    # 946.52 x 0.9 = 851.87 (x3), 752.23 x 0.9 = 677.01.
    assert [d["amount"] for d in result["revenue"]["days"]] == ["851.87"] * 3 + ["677.01"]
    refused = client.post("/api/rates", json={
        "facility_id": place.id, "payer_id": plan["id"], "method": "per_diem", "per_diem": 300,
        "effective_from": "2020-01-01", "effective_to": "2020-12-31", "pdpm_percent": 90},
        token=org.token)
    assert refused.status == 422, refused.body
    assert fields_named(refused) == {"pdpm_percent"}


# --- 9. person names in notes ------------------------------------------------------------------

@pytest.mark.parametrize("note", ["Mary Johnson, 83 y/o, from St. Luke's",
                                  "Mrs. Eleanor Whitfield"])
def test_a_note_with_a_persons_name_is_a_422_naming_the_note(site, note):
    client, org, place = site
    response = client.post(EVALUATE, json=medicare(place, note=note), token=org.token)
    assert response.status == 422, response.body
    assert fields_named(response) == {"note"}
    assert "a person's name" in response.body.decode()


# --- 7. consistency checks -------------------------------------------------------------------

def test_a_pdpm_rate_contradicting_its_facility_is_a_422_unless_overridden(site):
    client, org, place = site
    from tests.factories import payer
    plan = payer(client, org.token, payer_type="medicare_a", name="Medicare checks")
    body = {"facility_id": place.id, "payer_id": plan["id"], "method": "pdpm",
            "effective_from": "2025-10-01", "fiscal_year": 2026, "locality": "rural",
            "wage_index": 0.9, "vbp_multiplier": 1}
    refused = client.post("/api/rates", json=body, token=org.token)
    assert refused.status == 422, refused.body
    assert fields_named(refused) == {"locality", "wage_index"}
    assert "is rural but the facility is urban" in refused.body.decode()
    kept = client.post("/api/rates", json={**body, "facility_mismatch_override": True},
                       token=org.token)
    assert kept.status == 201, kept.body
    result = ok(client.post(EVALUATE, json={**medicare(place, length_of_stay_days=3),
                                            "payer_id": plan["id"]}, token=org.token))
    assert any("locality is rural but the facility is urban; wage index is 0.9" in a
               and "explicit override" in a for a in result["assumptions"])
    # Taking the override away brings the check back.
    again = client.request("PATCH", f"/api/rates/{kept.json()['id']}",
                           json={"facility_mismatch_override": False}, token=org.token)
    assert again.status == 422, again.body


def test_a_facility_changed_after_its_rate_was_saved_is_stated(site):
    client, org, place = site
    made = configured_facility(client, org, place.payers, name="Elm Row")
    changed = client.request("PATCH", f"/api/facilities/{made.id}", json={"wage_index": 1.2},
                             token=org.token)
    assert changed.status == 200, changed.body
    result = ok(client.post(EVALUATE, json=medicare(made, length_of_stay_days=3),
                            token=org.token))
    assert any("wage index is 1.1" in a and "the facility changed after the rate was saved"
               in a for a in result["assumptions"])


# --- the "done when" -------------------------------------------------------------------

def test_a_stay_with_days_used_across_1_october_and_1_january_with_a_then_payer(site):
    client, org, place = site
    # From 30 Sep 2026, 5 benefit days used, 100 days, Medicaid after Medicare:
    #   day 1 (30 Sep) FY2026 final: 946.52; day 2 (1 Oct) FY2027 proposed, an NTA x 3 day:
    #   967.96; day 4: 769.27 (tests/shared/test_fiscal_years.py), sequestration 769.27 x 0.02
    #   = 15.3854 -> -15.39.
    #   Coinsurance from stay day 16 (benefit day 21): days 16-93 (to 31 Dec) 78 x 217.00 =
    #   16926.00 in CY2026; days 94-95 (1-2 Jan 2027) carry CY2027, not loaded: 2026's 217.00.
    #   Day 95 is benefit day 100; days 96-100 are Medicaid's at 400.00 = 2000.00.
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=100, benefit_days_used=5,
        expected_admission_date="2026-09-30", then_payer_id=place.payer_id("medicaid")),
        token=org.token))
    days = result["revenue"]["days"]
    assert [(d["date"], d["fiscal_year"], d["rates_status"], d["amount"]) for d in days[:2]] == [
        ("2026-09-30", 2026, "final", "946.52"), ("2026-10-01", 2027, "proposed", "967.96")]
    assert (days[3]["amount"], days[3]["sequestration"]) == ("769.27", "-15.39")
    assert [d["patient_pays"] for d in days[14:16]] == ["0.00", "217.00"]
    assert [(d["date"], d["coinsurance_year"]) for d in days[92:95]] == [
        ("2026-12-31", 2026), ("2027-01-01", 2027), ("2027-01-02", 2027)]
    by_year = {y["calendar_year"]: y for y in result["revenue"]["pdpm"]["coinsurance_by_year"]}
    assert (by_year[2026]["days"], by_year[2026]["total"]) == (78, "16926.00")
    assert (by_year[2027]["days"], by_year[2027]["amount_of_year"]) == (2, 2026)
    assert [(d["paid_by"], d["amount"], d["sequestration"]) for d in days[94:96]] == [
        ("medicare", days[94]["amount"], days[94]["sequestration"]),
        ("then_payer", "400.00", "0.00")]
    assert result["revenue"]["pdpm"]["then_payer"]["total"] == "2000.00"
    assumptions = " ".join(result["assumptions"])
    assert "priced on FY2027's proposed rates" in assumptions
    assert "No SNF coinsurance amount is loaded for 2027" in assumptions
    assert "5 SNF day(s) of the benefit period already used" in assumptions


# --- 7. the rate in force on each day of the stay (tester defect 1) --------------------------

def end_rate(client, org, rate_id: str, last_day: str) -> None:
    ended = client.request("PATCH", f"/api/rates/{rate_id}", json={"effective_to": last_day},
                           token=org.token)
    assert ended.status == 200, ended.body


@pytest.fixture(scope="module")
def fy2027(site):
    """A facility whose FY2026 Medicare rate (wage index 1.1) ended on 30 September 2026 and
    whose FY2027 rate (0.9700, VBP 1) runs from 1 October, as the tester set it up; its
    Medicaid per diem 400.00 ended then too, 420.00 from 1 October."""
    client, org, place = site
    made = configured_facility(client, org, place.payers, name="Elm Reach")
    end_rate(client, org, made.rates["medicare_a"]["id"], "2026-09-30")
    made.rates["medicare_a_2027"] = rate(
        client, org.token, made.id, made.payer_id("medicare_a"), "pdpm",
        effective_from="2026-10-01", fiscal_year=2027, locality="urban", wage_index="0.9700",
        vbp_multiplier="1.00000", facility_mismatch_override=True)
    end_rate(client, org, made.rates["medicaid"]["id"], "2026-09-30")
    made.rates["medicaid_2027"] = rate(client, org.token, made.id, made.payer_id("medicaid"),
                                       effective_from="2026-10-01", per_diem=420)
    return client, org, made


def test_a_stay_is_priced_with_the_rate_in_force_on_its_days_not_on_the_received_day(fy2027):
    client, org, place = fy2027
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=10, acuity="high", referral_received_at="2026-09-28T10:00:00Z",
        expected_admission_date="2026-10-02"), token=org.token))
    # FY2027 proposed urban KBGE: PT 77.45 x 1.44 = 111.53, OT 72.09 x 1.46 = 105.25, SLP
    # 28.92 x 1.72 = 49.74, nursing 134.99 x 1.76 = 237.58, NTA 101.85 x 0.91 = 92.68 (x 3 on
    # days 1-3: 278.04), non-case-mix 120.89. Day 1: 903.03; labor 903.03 x 0.719 = 649.28
    # x 0.97 = 629.80, non-labor 903.03 x 0.281 = 253.75: 883.55 (the tester's 871.35 took
    # the old wage index, 0.9512, for the labor part). Days 4+: 717.67 -> 516.00 x 0.97 =
    # 500.52 + 201.67 = 702.19. Stay: 3 x 883.55 + 7 x 702.19 = 7565.98.
    amounts = [d["amount"] for d in result["revenue"]["days"]]
    assert amounts == ["883.55"] * 3 + ["702.19"] * 7
    assert D(result["revenue"]["total"]) == D("7565.98")
    assert result["rate"]["id"] == place.rates["medicare_a_2027"]["id"]
    assert [(r["id"], r["first_day"], r["last_day"]) for r in result["rates"]] == [
        (place.rates["medicare_a_2027"]["id"], 1, 10)]
    assert not any("set up for FY" in a for a in result["assumptions"])


def test_a_stay_crossing_a_rate_change_is_priced_day_by_day_and_says_so(fy2027):
    client, org, place = fy2027
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=10, acuity="high", expected_admission_date="2026-09-29"),
        token=org.token))
    # 29-30 September: the FY2026 rate, 946.52 (wage index 1.1, FY2026 tables); 1 October on:
    # the FY2027 rate, day 3 883.55 (NTA x 3), days 4-10 702.19.
    amounts = [d["amount"] for d in result["revenue"]["days"]]
    assert amounts == ["946.52"] * 2 + ["883.55"] + ["702.19"] * 7
    assert D(result["revenue"]["total"]) == D("7691.92")
    old, new = place.rates["medicare_a"]["id"], place.rates["medicare_a_2027"]["id"]
    assert result["rate"]["id"] == old
    assert [(r["id"], r["first_day"], r["last_day"], r["first_date"], r["last_date"])
            for r in result["rates"]] == [(old, 1, 2, "2026-09-29", "2026-09-30"),
                                          (new, 3, 10, "2026-10-01", "2026-10-08")]
    said = next(a for a in result["assumptions"] if "rate changes during the stay" in a)
    assert "days 1-2 (2026-09-29 to 2026-09-30)" in said and "wage index 1.1000" in said
    assert "days 3-10 (2026-10-01 to 2026-10-08)" in said and "wage index 0.9700" in said
    assert not any("set up for FY" in a for a in result["assumptions"])


def test_the_then_payer_is_paid_at_its_rate_in_force_on_the_days_it_pays(fy2027):
    client, org, place = fy2027
    # 95 days used: Medicare covers days 1-5 (28 September - 2 October), Medicaid days 6-10
    # (3-7 October) at its rate from 1 October, 420.00, not the 400.00 of the received day.
    result = ok(client.post(EVALUATE, json=medicare(
        place, length_of_stay_days=10, benefit_days_used=95,
        expected_admission_date="2026-09-28", then_payer_id=place.payer_id("medicaid")),
        token=org.token))
    days = result["revenue"]["days"]
    assert [d["amount"] for d in days[5:]] == ["420.00"] * 5
    assert result["revenue"]["pdpm"]["then_payer"]["total"] == "2100.00"
    medicaid = [(r["id"], r["first_day"], r["last_day"]) for r in result["rates"]
                if r["payer_id"] == place.payer_id("medicaid")]
    assert medicaid == [(place.rates["medicaid"]["id"], 1, 3),
                        (place.rates["medicaid_2027"]["id"], 4, 10)]


def test_days_no_rate_covers_are_refused_as_a_stay_without_a_rate_is(site):
    client, org, place = site
    made = configured_facility(client, org, place.payers, name="Fir Landing")
    end_rate(client, org, made.rates["medicare_a"]["id"], "2026-09-30")
    response = client.post(EVALUATE, json=medicare(
        made, length_of_stay_days=10, expected_admission_date="2026-09-29"), token=org.token)
    assert response.status == 422, response.body
    detail = response.json()["detail"]
    assert "No rate of Medicare Part A at Fir Landing is in force" in detail
    assert "2026-10-01 to 2026-10-08 (days 3-10 of the stay)" in detail
    assert "Add one under Rates" in detail

    end_rate(client, org, made.rates["medicaid"]["id"], "2026-09-29")
    response = client.post(EVALUATE, json=medicare(
        made, length_of_stay_days=2, expected_admission_date="2026-09-29",
        then_payer_id=made.payer_id("medicaid")), token=org.token)
    assert response.status == 422, response.body
    assert fields_named(response) == {"then_payer_id"}


def test_a_stay_whose_rates_change_between_pdpm_and_a_per_diem_is_refused_plainly(site):
    client, org, place = site
    made = configured_facility(client, org, place.payers, name="Gale Point")
    end_rate(client, org, made.rates["medicare_a"]["id"], "2026-09-30")
    rate(client, org.token, made.id, made.payer_id("medicare_a"), effective_from="2026-10-01",
         per_diem=500)
    response = client.post(EVALUATE, json=medicare(
        made, length_of_stay_days=5, expected_admission_date="2026-09-29"), token=org.token)
    assert response.status == 422, response.body
    assert ("change from pdpm to per_diem on 2026-10-01, during the stay"
            in response.json()["detail"])
    # A stay on one side of the change is priced as before.
    ok(client.post(EVALUATE, json=medicare(made, length_of_stay_days=2,
                                           expected_admission_date="2026-09-29"),
                   token=org.token))


# --- 7. Medicare's rules follow the payer's type ------------------------------------------------

def test_a_state_medicaid_program_paying_by_pdpm_pays_every_day_without_medicares_rules(site):
    """Exploratory tester: a Medicaid payer on a PDPM rate was given Medicare's 100-day limit,
    coinsurance, bad debt and sequestration; so was a Medicare payer switched to Medicaid."""
    client, org, place = site
    state = payer(client, org.token, name="Buckeye PDPM Medicaid", payer_type="medicaid")
    rate(client, org.token, place.id, state["id"], method="pdpm", effective_from="2025-10-01",
         **MEDICARE_PDPM_TERMS)
    body = medicare(place, length_of_stay_days=120, expected_admission_date="2026-03-02")
    original = ok(client.post(EVALUATE, json=body, token=org.token))

    result = ok(client.post(EVALUATE, json={**body, "payer_id": state["id"]}, token=org.token))

    days, detail = result["revenue"]["days"], result["revenue"]["pdpm"]
    assert [d["amount"] for d in days[:100]] == [d["amount"] for d in
                                                 original["revenue"]["days"][:100]]
    assert {d["paid_by"] for d in days} == {"payer"} and all(D(d["amount"]) > 0 for d in days)
    assert (detail["covered_days"], D(detail["coinsurance_total"])) == (120, D(0))
    assert result["revenue"]["adjustments"] == []
    assert any(a.startswith("This Medicaid payer's rate is PDPM, not Medicare's")
               for a in result["assumptions"])
    # Original Medicare's, for the same stay: its limit, its coinsurance, its sequestration.
    assert original["revenue"]["pdpm"]["covered_days"] == 100
    assert {a["code"] for a in original["revenue"]["adjustments"]} >= {"sequestration"}

    # The payer's type is read at each evaluation: switched to Medicare Part A, it is Medicare.
    ok(client.patch(f"/api/payers/{state['id']}", json={"payer_type": "medicare_a"},
                    token=org.token))
    switched = ok(client.post(EVALUATE, json={**body, "payer_id": state["id"]}, token=org.token))
    assert switched["revenue"]["pdpm"]["covered_days"] == 100
