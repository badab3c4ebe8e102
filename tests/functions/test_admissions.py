"""Admissions: evaluate a referral (nothing saved), save it under a case number, list, get,
decide, compare placements; no patient identifiers; roles; and tenancy."""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from shared import paging
from tests.factories import (IN_FY2026, Configured, Org, add_user, configured_facility, count,
                             created, facility, fields_named, iso, new_client, new_org, ok,
                             org_payers, payer, referral, without_request_id)

EVALUATE = "/api/admissions/evaluate"
ADMISSIONS = "/api/admissions"
COMPARE = "/api/admissions/compare"
KBGE1_GROUPS = {"pt_ot": "TK", "slp": "SB", "nursing": "HBC1", "nta": "NE"}
DEFAULT_WEIGHTS = {"margin": D(35), "census": D(20), "payer": D(15), "clinical": D(20),
                   "risk": D(10)}
SUMMARY_FIELDS = {"id", "case_number", "facility_id", "facility_name", "payer_id", "payer_name",
                  "length_of_stay_days",
                  "acuity", "referral_received_at", "revenue_total", "cost_total", "margin",
                  "margin_pct", "score", "recommendation", "status", "decision_reason",
                  "decided_at", "turnaround_minutes", "created_at"}


@dataclass
class Clinic:
    """An organization with one configured facility (census 80 of 100 beds, target 90%), a
    payer of each kind, and a signed-in coordinator and viewer."""
    org: Org
    place: Configured
    coordinator: str
    viewer: str

    @property
    def token(self) -> str:
        return self.org.token


@pytest.fixture(scope="module")
def clinic(database, app) -> Clinic:
    client = new_client(app)
    org = new_org(client, "Admissions A")
    place = configured_facility(client, org, org_payers(client, org), name="Alder House")
    return Clinic(org, place, add_user(client, org, "coordinator"),
                  add_user(client, org, "viewer"))


@pytest.fixture(scope="module")
def stranger(database, app):
    """Another organization, with a facility and a payer of its own."""
    client = new_client(app)
    org = new_org(client, "Admissions B")
    org.facility = facility(client, org.token, name="Their Place")
    org.payer = payer(client, org.token, payer_type="medicaid")
    return org


@pytest.fixture
def nothing_saved(clinic, admin_sql):
    """Asserts, after the test, that the clinic has no new or changed admission, and no new
    admission audit row."""
    def snapshot():
        return (admin_sql("SELECT id, status FROM admissions WHERE organization_id = %s "
                          "ORDER BY id", (str(clinic.org.id),)),
                admin_sql("SELECT id FROM audit_logs WHERE organization_id = %s "
                          "AND object_type = 'admission' ORDER BY id", (str(clinic.org.id),)))
    before = snapshot()
    yield
    assert snapshot() == before


def amounts(body: dict, key: str = "amount") -> list[D]:
    return [D(day[key]) for day in body["revenue"]["days"]]


def factors(body: dict) -> dict[str, dict]:
    return {f["name"]: f for f in body["factors"]}


def admit(client, clinic_or_org, body: dict, token: str | None = None) -> dict:
    return created(client.post(ADMISSIONS, json=body,
                               token=token or clinic_or_org.token))


def audit_of(admin_sql, admission_id) -> list[dict]:
    return admin_sql("""
        SELECT action, user_id::text, changes, changes::text AS text FROM audit_logs
         WHERE object_type = 'admission' AND object_id = %s ORDER BY occurred_at, action""",
                     (str(admission_id),))


def user_id(client, token: str) -> str:
    return ok(client.get("/api/me", token=token))["user"]["id"]


def stored(admin_sql, admission_id) -> dict:
    rows = admin_sql("SELECT * FROM admissions WHERE id = %s", (str(admission_id),))
    assert len(rows) == 1
    return rows[0]


# --- evaluate: the numbers ----------------------------------------------------------------

def test_a_medicare_referral_is_priced_day_by_day_under_pdpm_and_nothing_is_saved(
        client, clinic, nothing_saved):
    body = referral(clinic.place, "medicare_a", hipps_code="KBGE1", length_of_stay_days=30)

    response = client.post(EVALUATE, json=body, token=clinic.token)

    result = ok(response)
    revenue = result["revenue"]
    assert revenue["method"] == "pdpm"
    days = revenue["days"]
    assert [d["day"] for d in days] == list(range(1, 31))
    # FY2026 urban KBGE, wage index 1.1, no VBP: days 1-3 946.52, 4-20 752.23, 21-27 747.68,
    # 28-30 743.14 (the CMS pricer's rounding, one-day claims).
    assert days[0]["amount"] == "946.52"
    assert amounts(result) == ([D("946.52")] * 3 + [D("752.23")] * 17 + [D("747.68")] * 7
                               + [D("743.14")] * 3)
    assert D(revenue["total"]) == sum(amounts(result)) == D("23090.65")
    assert D(revenue["per_day_average"]) == D("769.69")
    # Calendar 2026 coinsurance of 217.00 a day from day 21 is the patient's share.
    assert days[19]["patient_pays"] in ("0.00", "0")
    assert days[20]["patient_pays"] == "217.00"
    assert D(days[20]["payer_pays"]) == D("530.68")
    assert all(D(d["payer_pays"]) + D(d["patient_pays"]) == D(d["amount"]) for d in days)
    pdpm = revenue["pdpm"]
    assert pdpm["groups"] == KBGE1_GROUPS
    assert pdpm["assumed_groups"] is False
    assert (pdpm["fiscal_year"], pdpm["area"], pdpm["hipps"]) == (2026, "urban", "KBGE")
    assert (pdpm["covered_days"], pdpm["uncovered_days"]) == (30, 0)
    assert pdpm["coinsurance_days"] == 10
    assert D(pdpm["coinsurance_total"]) == D("2170.00")
    assert (D(pdpm["wage_index"]), D(pdpm["vbp_multiplier"])) == (D("1.1"), D(1))
    # Cost: 150 fixed + 3 h x 40 nursing + 50 therapy + 20 default medication = 340.00 a day.
    cost = result["cost"]
    assert {k: D(v) for k, v in cost["breakdown"].items() if k != "services"} == {
        "fixed": D(150), "nursing": D(120), "therapy": D(50), "medication": D(20)}
    assert cost["breakdown"]["services"] == {}
    assert (D(cost["per_day"]), D(cost["total"])) == (D(340), D(10200))
    # Sequestration, 2% of what Medicare pays after coinsurance, day by day: days 1-3
    # 946.52 x 0.02 = 18.93 (x3 = 56.79); days 4-20 752.23 -> 15.04 (x17 = 255.68); days 21-27
    # (747.68 - 217.00) = 530.68 -> 10.61 (x7 = 74.27); days 28-30 526.14 -> 10.52 (x3 = 31.56):
    # 418.30. Coinsurance fully collected by default: no bad debt. Net 23090.65 - 418.30 =
    # 22672.35; margin 22672.35 - 10200 = 12472.35, 55.01% of the net.
    assert [(a["code"], D(a["amount"])) for a in revenue["adjustments"]] == [
        ("sequestration", D("-418.30")), ("uncollected_coinsurance", D(0)),
        ("bad_debt_reimbursement", D(0))]
    assert D(revenue["net_total"]) == D("22672.35")
    assert D(result["margin"]) == D("12472.35")
    assert D(result["margin_pct"]) == D("55.01")
    # Factors: margin over target (100), occupancy 80% under a 90% target (100), Medicare A
    # preference (90), every service provided (100), medication 20 of 769.69 a day (94.8).
    by_name = factors(result)
    assert list(by_name) == ["margin", "census", "payer", "clinical", "risk"]
    assert {n: D(f["weight"]) for n, f in by_name.items()} == DEFAULT_WEIGHTS
    assert {n: D(f["value"]) for n, f in by_name.items()} == {
        "margin": D(100), "census": D(100), "payer": D(90), "clinical": D(100),
        "risk": D("94.8")}
    assert {n: D(f["contribution"]) for n, f in by_name.items()} == {
        "margin": D(35), "census": D(20), "payer": D("13.5"), "clinical": D(20),
        "risk": D("9.5")}
    assert all(f["detail"] for f in result["factors"])
    assert D(result["score"]) == D("98.0")
    assert result["recommendation"] == "accept"
    assert result["hard_stops"] == []
    assert "The PDPM classification is an estimate until the 5-day assessment." in \
        result["assumptions"]
    assert result["facility"] == {"id": clinic.place.id, "name": "Alder House"}
    assert result["payer"]["payer_type"] == "medicare_a"
    assert result["rate"]["id"] == clinic.place.rates["medicare_a"]["id"]
    assert result["rate"]["method"] == "pdpm"
    assert result["length_of_stay_days"] == 30


def test_medicare_part_a_pays_at_most_100_days_and_coinsurance_from_day_21(client, clinic,
                                                                           nothing_saved):
    response = client.post(EVALUATE, json=referral(
        clinic.place, "medicare_a", hipps_code="KBGE1", length_of_stay_days=110),
        token=clinic.token)

    result = ok(response)
    pdpm = result["revenue"]["pdpm"]
    assert (pdpm["covered_days"], pdpm["uncovered_days"]) == (100, 10)
    assert all(D(a) > 0 for a in amounts(result)[:100])
    assert amounts(result)[100:] == [D(0)] * 10
    assert amounts(result, "patient_pays")[19:21] == [D(0), D("217.00")]
    assert amounts(result, "patient_pays")[100:] == [D(0)] * 10
    assert pdpm["coinsurance_days"] == 80
    assert D(pdpm["coinsurance_total"]) == D("217.00") * 80
    assert D(result["revenue"]["total"]) == sum(amounts(result))
    assert ("Medicare Part A covers at most 100 days; 10 day(s) earn nothing under it."
            in result["assumptions"])


def test_pdpm_groups_give_the_same_evaluation_as_their_hipps_code(client, clinic,
                                                                  nothing_saved):
    by_hipps = client.post(EVALUATE, json=referral(
        clinic.place, "medicare_a", hipps_code="KBGE1", length_of_stay_days=30),
        token=clinic.token)
    by_groups = client.post(EVALUATE, json=referral(
        clinic.place, "medicare_a", pdpm_groups=KBGE1_GROUPS, length_of_stay_days=30),
        token=clinic.token)

    assert ok(by_groups) == ok(by_hipps)


def test_without_pdpm_groups_a_typical_classification_for_the_acuity_is_assumed(
        client, clinic, nothing_saved):
    response = client.post(EVALUATE, json=referral(clinic.place, "medicare_a",
                                                   acuity="moderate", length_of_stay_days=30),
                           token=clinic.token)

    result = ok(response)
    pdpm = result["revenue"]["pdpm"]
    assert pdpm["assumed_groups"] is True
    assert pdpm["groups"] == {"pt_ot": "TK", "slp": "SA", "nursing": "CBC1", "nta": "NE"}
    assumed = [a for a in result["assumptions"] if a.startswith("PDPM groups not given")]
    assert len(assumed) == 1
    assert pdpm["hipps"] in assumed[0]
    assert "TK, SA, CBC1, NE" in assumed[0] and "moderate" in assumed[0]


def test_a_medicaid_per_diem_referral_adds_up_by_hand(client, clinic, nothing_saved):
    response = client.post(EVALUATE, json=referral(clinic.place, "medicaid"),
                           token=clinic.token)

    result = ok(response)
    # 10 days at 400.00 against 10 days at 340.00.
    assert result["revenue"]["method"] == "per_diem"
    assert result["revenue"]["pdpm"] is None
    assert amounts(result) == [D(400)] * 10
    assert amounts(result, "patient_pays") == [D(0)] * 10
    assert D(result["revenue"]["total"]) == D(4000)
    assert D(result["cost"]["total"]) == D(3400)
    assert D(result["margin"]) == D(600)
    assert D(result["margin_pct"]) == D(15)
    # margin 15% = target (100), census 100, Medicaid preference 40, clinical 100,
    # medication 20 of 400 a day: 100 - 200 x 0.05 = 90. Score (3500+2000+600+2000+900)/100.
    assert {n: D(f["value"]) for n, f in factors(result).items()} == {
        "margin": D(100), "census": D(100), "payer": D(40), "clinical": D(100), "risk": D(90)}
    assert D(result["score"]) == D("90.0")
    assert result["recommendation"] == "accept"
    assert result["assumptions"] == [
        "Medication cost not given: the cost model's default was used."]


def test_medicare_details_on_a_per_diem_referral_are_said_to_be_unused(client, clinic,
                                                                      nothing_saved):
    """Tester H2: a HIPPS code, benefit days, skilled days and HIV/AIDS given with a Medicaid
    per diem changed nothing, and nothing said so."""
    plain = ok(client.post(EVALUATE, json=referral(clinic.place, "medicaid"),
                           token=clinic.token))
    result = ok(client.post(EVALUATE, json=referral(
        clinic.place, "medicaid", hipps_code="KBGE1", benefit_days_used=5, skilled_days=4,
        hiv_aids=True), token=clinic.token))

    assert result["revenue"] == plain["revenue"]
    assert ("Not used: the HIPPS code, benefit days used, skilled days, HIV/AIDS. They price "
            "a Medicare Part A PDPM stay; this payer's rate is a per diem."
            in result["assumptions"])
    assert not any(a.startswith("Not used") for a in plain["assumptions"])


def test_medicare_details_on_an_acuity_rate_referral_say_the_rate_is_by_acuity(client, clinic,
                                                                                nothing_saved):
    result = ok(client.post(EVALUATE, json=referral(
        clinic.place, "commercial", acuity="high", skilled_days=4), token=clinic.token))

    assert ("Not used: skilled days. They price a Medicare Part A PDPM stay; this payer's rate "
            "is by acuity level." in result["assumptions"])


def test_an_acuity_rate_referral_adds_up_by_hand_and_a_margin_under_the_floor_declines(
        client, clinic, nothing_saved):
    response = client.post(EVALUATE, json=referral(
        clinic.place, "commercial", acuity="high", length_of_stay_days=14,
        required_services=["iv_therapy"], medication_cost_per_day=30), token=clinic.token)

    result = ok(response)
    # 14 days at the high rate 450.00 = 6300.00; cost a day 150 + 4 h x 40 + 50 + IV 85 +
    # medication 30 = 475.00, 6650.00 in all; margin -350.00 = -5.56% < the -5% floor.
    assert result["revenue"]["method"] == "acuity"
    assert amounts(result) == [D(450)] * 14
    assert D(result["revenue"]["total"]) == D(6300)
    breakdown = result["cost"]["breakdown"]
    assert D(breakdown["nursing"]) == D(160)
    assert {k: D(v) for k, v in breakdown["services"].items()} == {"iv_therapy": D(85)}
    assert D(breakdown["medication"]) == D(30)
    assert D(result["cost"]["per_day"]) == D(475)
    assert D(result["cost"]["total"]) == D(6650)
    assert D(result["margin"]) == D(-350)
    assert D(result["margin_pct"]) == D("-5.56")
    assert D(factors(result)["margin"]["value"]) == D(0)
    assert [s["code"] for s in result["hard_stops"]] == ["margin_below_floor"]
    assert result["recommendation"] == "decline"
    assert result["assumptions"] == []


def test_a_required_service_the_facility_cannot_provide_is_a_hard_stop(client, clinic,
                                                                       nothing_saved):
    # Commercial, complex: 600.00 a day against 150 + 5 h x 40 + 50 + dialysis 140 + 20 =
    # 560.00, a positive margin: only the service stops it.
    response = client.post(EVALUATE, json=referral(clinic.place, "commercial", acuity="complex",
                                                   required_services=["dialysis"]),
                           token=clinic.token)

    result = ok(response)
    assert D(result["margin_pct"]) == D("6.67")
    assert result["recommendation"] == "decline"
    assert [s["code"] for s in result["hard_stops"]] == ["service_not_provided"]
    assert "Dialysis" in result["hard_stops"][0]["message"]
    assert D(factors(result)["clinical"]["value"]) == D(0)
    assert D(factors(result)["clinical"]["contribution"]) == D(0)


# --- evaluate: what it needs --------------------------------------------------------------

def test_a_referral_on_a_date_without_a_rate_in_force_asks_for_a_rate(client, clinic,
                                                                      nothing_saved):
    response = client.post(EVALUATE, json=referral(
        clinic.place, "medicaid", referral_received_at="2024-06-01T10:00:00Z"),
        token=clinic.token)

    assert response.status == 422, response.body
    assert response.mimetype == "application/problem+json"
    detail = response.json()["detail"]
    assert "No rate" in detail and "2024-06-01" in detail
    assert "Add one under Rates" in detail


def test_a_payer_without_any_rate_at_the_facility_asks_for_a_rate(client, clinic,
                                                                  nothing_saved):
    place = Configured(clinic.place.facility, {"va": payer(client, clinic.token, payer_type="va")})

    response = client.post(EVALUATE, json=referral(place, "va"), token=clinic.token)

    assert response.status == 422, response.body
    assert "Add one under Rates" in response.json()["detail"]


def test_the_no_rate_message_names_the_utc_date_the_rate_was_looked_up_on(client, clinic,
                                                                          nothing_saved):
    late = payer(client, clinic.token, payer_type="hospice")
    per_diem = {"facility_id": clinic.place.id, "payer_id": late["id"], "method": "per_diem",
                "per_diem": 300, "effective_from": "2026-06-01"}
    created(client.post("/api/rates", json=per_diem, token=clinic.token))
    place = Configured(clinic.place.facility, {"hospice": late})

    # 01:00 on 1 June at UTC+5 is 20:00 on 31 May UTC, the day before the rate begins.
    response = client.post(EVALUATE, json=referral(
        place, "hospice", referral_received_at="2026-06-01T01:00:00+05:00"), token=clinic.token)

    assert response.status == 422, response.body
    assert "2026-05-31" in response.json()["detail"]


def test_the_coinsurance_is_that_of_the_utc_year_like_the_rate(client, clinic, nothing_saved):
    # 02:00 on 1 January 2026 at UTC+5 is 21:00 on 31 December 2025 UTC: with no admission
    # date the stay starts on 31 December 2025 (UTC), so day 1 is a 2025 day; day 21 is
    # furnished on 20 January 2026 and carries 2026's 217.00 (42 USC 1395e(b)(3)).
    response = client.post(EVALUATE, json=referral(
        clinic.place, "medicare_a", hipps_code="KBGE1", length_of_stay_days=25,
        referral_received_at="2026-01-01T02:00:00+05:00"), token=clinic.token)

    result = ok(response)
    assert result["revenue"]["days"][0]["date"] == "2025-12-31"
    assert result["revenue"]["days"][20]["date"] == "2026-01-20"
    assert result["revenue"]["days"][20]["patient_pays"] == "217.00"


def test_a_facility_without_a_cost_model_cannot_be_evaluated(client, clinic, nothing_saved):
    place = configured_facility(client, clinic.org, clinic.place.payers, with_cost_model=False,
                                name="No Costs Yet")

    response = client.post(EVALUATE, json=referral(place, "medicaid"), token=clinic.token)

    assert response.status == 422, response.body
    detail = response.json()["detail"]
    assert "No Costs Yet" in detail and "cost model" in detail


def test_an_inactive_facility_is_named(client, clinic, nothing_saved):
    place = configured_facility(client, clinic.org, clinic.place.payers)
    assert client.delete(f"/api/facilities/{place.id}", token=clinic.token).status == 204

    response = client.post(EVALUATE, json=referral(place, "medicaid"), token=clinic.token)

    assert fields_named(response) == {"facility_id"}


def test_an_inactive_payer_is_named(client, clinic, nothing_saved):
    gone = payer(client, clinic.token, payer_type="private_pay")
    assert client.delete(f"/api/payers/{gone['id']}", token=clinic.token).status == 204
    body = {**referral(clinic.place), "payer_id": gone["id"]}

    response = client.post(EVALUATE, json=body, token=clinic.token)

    assert fields_named(response) == {"payer_id"}


@pytest.mark.parametrize("field", ["facility_id", "payer_id"])
@pytest.mark.parametrize("whose", ["another organization's", "a missing"])
def test_a_facility_or_payer_that_is_not_ours_is_named(client, clinic, stranger, nothing_saved,
                                                       field, whose):
    theirs = {"facility_id": stranger.facility["id"], "payer_id": stranger.payer["id"]}
    value = theirs[field] if whose.startswith("another") else str(uuid.uuid4())
    body = {**referral(clinic.place), field: value}

    for path in (EVALUATE, ADMISSIONS):
        response = client.post(path, json=body, token=clinic.token)
        assert fields_named(response) == {field}, path


@pytest.mark.parametrize("hipps", ["ZBGE1", "KBGE9", "KBGEX", "KBG", "KBGE12", "KMGE1", "KBZE1"])
def test_a_malformed_hipps_code_is_named(client, clinic, nothing_saved, hipps):
    response = client.post(EVALUATE, json=referral(clinic.place, "medicare_a",
                                                   hipps_code=hipps), token=clinic.token)

    assert fields_named(response) == {"hipps_code"}


@pytest.mark.parametrize("groups", [
    {"nursing": "ZZZ1"},   # fit the pattern, but FY2026 has no such nursing group
    {"nursing": "HBC9"},
    {"nursing": "AB"},
])
def test_pdpm_groups_that_the_fiscal_year_does_not_have_are_named(client, clinic,
                                                                  nothing_saved, groups):
    response = client.post(EVALUATE, json=referral(
        clinic.place, "medicare_a", pdpm_groups={**KBGE1_GROUPS, **groups}), token=clinic.token)

    assert fields_named(response) == {"pdpm_groups"}
    message = response.json()["errors"][0]["message"]
    assert "FY2026" in message


def test_a_pdpm_group_with_the_wrong_shape_is_named_by_its_path(client, clinic, nothing_saved):
    response = client.post(EVALUATE, json=referral(
        clinic.place, "medicare_a", pdpm_groups={**KBGE1_GROUPS, "pt_ot": "XX"}),
        token=clinic.token)

    assert fields_named(response) == {"pdpm_groups.pt_ot"}


def test_hipps_code_and_pdpm_groups_together_are_refused(client, clinic, nothing_saved):
    response = client.post(EVALUATE, json=referral(
        clinic.place, "medicare_a", hipps_code="KBGE1", pdpm_groups=KBGE1_GROUPS),
        token=clinic.token)

    assert fields_named(response) == {"hipps_code"}


@pytest.mark.parametrize("received", [
    iso(datetime.now(timezone.utc) + timedelta(hours=2)),
    iso(datetime.now(timezone.utc) + timedelta(days=30)),
    "2026-06-01T10:00:00",      # no timezone
    "2026-06-01",               # a date, not a moment
])
def test_a_referral_time_in_the_future_or_without_timezone_is_named(client, clinic,
                                                                    nothing_saved, received):
    response = client.post(EVALUATE, json=referral(clinic.place,
                                                   referral_received_at=received),
                           token=clinic.token)

    assert fields_named(response) == {"referral_received_at"}


@pytest.mark.parametrize("change, field", [
    ({"length_of_stay_days": 0}, "length_of_stay_days"),
    ({"length_of_stay_days": 366}, "length_of_stay_days"),
    ({"length_of_stay_days": "10"}, "length_of_stay_days"),
    ({"acuity": "extreme"}, "acuity"),
    ({"required_services": ["teleportation"]}, "required_services.0"),
    ({"medication_cost_per_day": -1}, "medication_cost_per_day"),
    ({"facility_id": "not-a-uuid"}, "facility_id"),
])
def test_a_wrong_referral_field_is_named(client, clinic, nothing_saved, change, field):
    response = client.post(EVALUATE, json={**referral(clinic.place), **change},
                           token=clinic.token)

    assert fields_named(response) == {field}


# --- no patient identifiers ---------------------------------------------------------------

PHI_NOTES = [
    ("SSN", "Mrs Haversham 123-45-6789 from St Mary"),
    ("phone", "daughter Haversham at (614) 555-0123"),
    ("phone", "call Haversham 614.555.0123 after 5"),
    ("e-mail", "contact haversham@example.com re transport"),
    ("date", "Haversham b. 3/4/1941 hip fx"),
    ("date", "Haversham 1941-03-04 hip fx"),
    ("date", "Haversham March 4, 1941 hip fx"),
    ("date", "Haversham 4 March 1941 hip fx"),
    ("MRN-like number", "Haversham chart 00482913"),
    ("label", "Haversham DOB on file"),
    ("label", "Haversham MRN pending"),
    ("MBI", "Haversham MBI 1EG4-TE5-MK73, hip fx"),
    ("MBI", "Haversham 1EG4TE5MK73 hip fx"),
]


@pytest.mark.parametrize("path", [EVALUATE, ADMISSIONS])
@pytest.mark.parametrize("kind, note", PHI_NOTES, ids=[n for _, n in PHI_NOTES])
def test_a_note_that_identifies_the_patient_is_refused_without_echoing_it(
        client, clinic, nothing_saved, path, kind, note):
    response = client.post(path, json=referral(clinic.place, note=note), token=clinic.token)

    assert fields_named(response) == {"note"}
    assert "identify the patient" in response.json()["errors"][0]["message"]
    assert b"Haversham" not in response.body
    # The request id is random hex: "1941" or "0123" turns up in one of a few thousand.
    echoed = response.body.replace(response.json()["request_id"].encode(), b"")
    for fragment in ("6789", "0123", "example.com", "1941", "00482913", "MK73"):
        if fragment in note:
            assert fragment.encode() not in echoed


@pytest.mark.parametrize("note", [
    "Haversham 1941/03/04 hip fx",
    "Haversham 1941.03.04 hip fx",
    "Haversham 4-Mar-1941 hip fx",
    "Haversham 04MAR1941 hip fx",
    "Haversham 4th March 1941 hip fx",
    "Haversham 03.04.1941 hip fx",
    "Haversham Mar. 4, 1941 hip fx",
    "Haversham March 4th 1941 hip fx",
])
def test_a_full_date_in_other_common_formats_is_refused(client, clinic, nothing_saved, note):
    response = client.post(EVALUATE, json=referral(clinic.place, note=note),
                           token=clinic.token)

    assert fields_named(response) == {"note"}
    assert b"Haversham" not in response.body


@pytest.mark.parametrize("note", ["Needs wound vac, IV abx 2 weeks",
                                  "Hip fx s/p ORIF, PT/OT 5x/wk, O2 2L",
                                  "x" * 280])
def test_a_clinical_note_without_identifiers_is_accepted(client, clinic, nothing_saved, note):
    response = client.post(EVALUATE, json=referral(clinic.place, note=note),
                           token=clinic.token)

    assert response.status == 200, response.body


def test_a_note_over_280_characters_is_refused(client, clinic, nothing_saved):
    response = client.post(EVALUATE, json=referral(clinic.place, note="x" * 281),
                           token=clinic.token)

    assert fields_named(response) == {"note"}


@pytest.mark.parametrize("path", [EVALUATE, ADMISSIONS, COMPARE])
@pytest.mark.parametrize("field", ["patient_name", "name", "dob", "birth_date", "age", "zip",
                                   "zip_code", "mrn", "ssn"])
def test_a_field_for_a_patient_identifier_is_refused(client, clinic, nothing_saved, path,
                                                     field):
    body = {**referral(clinic.place), field: "Haversham 43004"}
    if path == COMPARE:
        del body["facility_id"]

    response = client.post(path, json=body, token=clinic.token)

    assert fields_named(response) == {field}
    assert response.json()["errors"][0]["type"] == "extra_forbidden"
    assert b"Haversham" not in response.body


# --- create -------------------------------------------------------------------------------

@pytest.fixture
def ours(client, org) -> Configured:
    """The `org` fixture's organization with one configured facility."""
    return configured_facility(client, org, org_payers(client, org), name="Alder House")


def test_create_saves_the_referral_under_the_first_case_number_of_the_year(
        client, org, ours, admin_sql):
    body = referral(ours, "medicare_a", hipps_code="KBGE1", length_of_stay_days=30,
                    required_services=["wound_vac"], note="Needs wound vac, IV abx 2 weeks")

    response = client.post(ADMISSIONS, json=body, token=org.token)

    admission = created(response)
    year = datetime.now(timezone.utc).year
    assert admission["case_number"] == f"{org.subdomain.upper()}-{year}-000001"
    assert admission["status"] == "pending"
    assert admission["facility_id"] == ours.id
    assert admission["payer_id"] == ours.payer_id("medicare_a")
    assert admission["rate_id"] == ours.rates["medicare_a"]["id"]
    assert admission["required_services"] == ["wound_vac"]
    assert admission["pdpm_groups"] == KBGE1_GROUPS
    assert admission["note"] == "Needs wound vac, IV abx 2 weeks"
    assert admission["referral_received_at"].startswith("2026-06-01T10:00:00")
    assert admission["created_by"] == user_id(client, org.token)
    assert (admission["decided_at"], admission["decided_by"], admission["turnaround_minutes"],
            admission["decision_reason"]) == (None, None, None, None)
    evaluation = admission["evaluation"]
    assert D(admission["revenue_total"]) == D(evaluation["revenue"]["total"])
    assert D(admission["cost_total"]) == D(evaluation["cost"]["total"])
    assert D(admission["margin"]) == D(evaluation["margin"])
    assert D(admission["score"]) == D(evaluation["score"])
    assert admission["recommendation"] == evaluation["recommendation"]
    assert count(admin_sql, "admissions", org.id) == 1


def test_the_saved_evaluation_is_the_one_evaluate_gives(client, org, ours):
    body = referral(ours, "medicare_a", hipps_code="KBGE1", length_of_stay_days=45,
                    medication_cost_per_day=35)
    evaluated = ok(client.post(EVALUATE, json=body, token=org.token))

    admission = admit(client, org, body)

    assert admission["evaluation"] == evaluated
    assert ok(client.get(f"{ADMISSIONS}/{admission['id']}", token=org.token)) == admission


def test_case_numbers_run_on_per_organization(client, org, ours, other_org):
    theirs = configured_facility(client, other_org, org_payers(client, other_org))
    year = datetime.now(timezone.utc).year

    mine = [admit(client, org, referral(ours))["case_number"] for _ in range(3)]
    first_of_theirs = admit(client, other_org, referral(theirs))["case_number"]
    fourth = admit(client, org, referral(ours))["case_number"]

    prefix = f"{org.subdomain.upper()}-{year}-"
    assert mine == [prefix + "000001", prefix + "000002", prefix + "000003"]
    assert first_of_theirs == f"{other_org.subdomain.upper()}-{year}-000001"
    assert fourth == prefix + "000004"


def test_concurrent_creates_get_consecutive_distinct_case_numbers(client, org, ours,
                                                                  admin_sql):
    start = threading.Barrier(20)

    def create(i):
        start.wait(timeout=30)
        return client.post(ADMISSIONS, json=referral(ours, length_of_stay_days=5 + i),
                           token=org.token)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(create, range(20)))

    assert [r.status for r in responses] == [201] * 20, [r.body for r in responses
                                                         if r.status != 201][:1]
    year = datetime.now(timezone.utc).year
    numbers = sorted(r.json()["case_number"] for r in responses)
    assert numbers == [f"{org.subdomain.upper()}-{year}-{n:06d}" for n in range(1, 21)]
    assert count(admin_sql, "admissions", org.id) == 20
    assert admin_sql("SELECT last_value FROM case_number_counters WHERE organization_id = %s",
                     (str(org.id),)) == [{"last_value": 20}]


def test_create_is_audited_without_the_note(client, org, ours, admin_sql):
    note = "Needs wound vac, IV abx 2 weeks"
    admission = admit(client, org, referral(ours, note=note))

    rows = audit_of(admin_sql, admission["id"])

    assert [r["action"] for r in rows] == ["admission.create"]
    assert rows[0]["user_id"] == user_id(client, org.token)
    changes = rows[0]["changes"]
    assert changes["case_number"] == admission["case_number"]
    assert changes["recommendation"] == admission["recommendation"]
    assert "note" not in changes
    assert "wound vac" not in rows[0]["text"] and "abx" not in rows[0]["text"]


def test_a_refused_create_uses_no_case_number(client, org, ours, admin_sql):
    refused = client.post(ADMISSIONS, json=referral(ours, required_services=["dialysis"],
                                                    note="MRN 12345678"), token=org.token)
    assert refused.status == 422
    no_rate = client.post(ADMISSIONS, json=referral(
        ours, referral_received_at="2024-06-01T10:00:00Z"), token=org.token)
    assert no_rate.status == 422

    admission = admit(client, org, referral(ours))

    assert admission["case_number"].endswith("-000001")
    assert count(admin_sql, "admissions", org.id) == 1


# --- list ---------------------------------------------------------------------------------

@pytest.fixture
def history(client, org):
    """Five admissions at two facilities around the 1st-3rd of June 2026; two decided."""
    payers = org_payers(client, org)
    alder = configured_facility(client, org, payers, name="Alder House")
    birch = configured_facility(client, org, payers, name="Birch Court")
    made = {
        "may31": admit(client, org, referral(
            alder, referral_received_at="2026-05-31T23:59:59Z")),
        "jun1": admit(client, org, referral(
            alder, referral_received_at="2026-06-01T00:00:00Z")),
        "jun2": admit(client, org, referral(
            alder, "commercial", acuity="high", length_of_stay_days=14,
            required_services=["iv_therapy"], medication_cost_per_day=30,
            referral_received_at="2026-06-02T23:59:59Z")),
        "jun3_dialysis": admit(client, org, referral(
            birch, required_services=["dialysis"], referral_received_at="2026-06-03T00:00:00Z")),
        "jun3": admit(client, org, referral(
            birch, referral_received_at="2026-06-03T00:00:00Z")),
    }
    assert ok(client.post(f"{ADMISSIONS}/{made['jun1']['id']}/decision",
                          json={"decision": "accepted"}, token=org.token))
    assert ok(client.post(f"{ADMISSIONS}/{made['jun3_dialysis']['id']}/decision",
                          json={"decision": "declined", "reason_code": "clinical_capability"},
                          token=org.token))
    return {"alder": alder, "birch": birch, "payers": payers,
            **{key: a["id"] for key, a in made.items()}}


def listed(client, org, query: str = "") -> list[str]:
    page = ok(client.get(f"{ADMISSIONS}?limit=200{query}", token=org.token))
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


def test_the_list_shows_the_newest_referral_first(client, org, history):
    page = ok(client.get(ADMISSIONS, token=org.token))

    ids = [item["id"] for item in page["items"]]
    same_moment = sorted([history["jun3"], history["jun3_dialysis"]], reverse=True)
    assert ids == same_moment + [history["jun2"], history["jun1"], history["may31"]]
    assert all(set(item) == SUMMARY_FIELDS for item in page["items"])
    recommendations = {item["id"]: item["recommendation"] for item in page["items"]}
    assert (recommendations[history["jun1"]], recommendations[history["jun2"]],
            recommendations[history["jun3_dialysis"]]) == ("accept", "decline", "decline")


@pytest.mark.parametrize("limit, page_count", [(1, 5), (2, 3), (4, 2)])
def test_cursor_paging_covers_every_admission_once(client, org, history, limit, page_count):
    everything = listed(client, org)

    seen, cursor, pages = [], None, 0
    while True:
        url = f"{ADMISSIONS}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = ok(client.get(url, token=org.token))
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10

    # With a limit of 1 a cursor falls between the two referrals received at the same moment.
    assert seen == everything
    assert len(set(seen)) == 5
    assert pages == page_count


@pytest.mark.parametrize("query, expected", [
    ("facility_id={alder}", ["jun2", "jun1", "may31"]),
    ("payer_id={commercial}", ["jun2"]),
    ("recommendation=decline", ["jun3_dialysis", "jun2"]),
    ("status=accepted", ["jun1"]),
    ("status=declined", ["jun3_dialysis"]),
    ("received_from=2026-06-01&received_to=2026-06-02", ["jun2", "jun1"]),
    ("received_from=2026-06-03", ["jun3", "jun3_dialysis"]),
    ("received_to=2026-05-31", ["may31"]),
    ("received_from=2026-06-04", []),
    ("facility_id={alder}&recommendation=accept", ["jun1", "may31"]),
    ("facility_id={birch}&status=pending", ["jun3"]),
])
def test_the_list_filters(client, org, history, query, expected):
    query = query.format(alder=history["alder"].id, birch=history["birch"].id,
                         commercial=history["payers"]["commercial"]["id"])

    ids = listed(client, org, "&" + query)

    # Admissions received at the same moment come in descending id order.
    wanted = [history[k] for k in expected]
    if {"jun3", "jun3_dialysis"} <= set(expected):
        wanted = sorted(wanted, reverse=True)
    assert ids == wanted


@pytest.mark.parametrize("cursor", ["not-a-cursor", paging.encode_cursor("only-one"),
                                    paging.encode_cursor("yesterday", str(uuid.uuid4())),
                                    paging.encode_cursor("2026-06-01T00:00:00+00:00", "x")])
def test_a_cursor_the_list_did_not_give_out_is_unprocessable(client, clinic, cursor):
    response = client.get(f"{ADMISSIONS}?cursor={cursor}", token=clinic.token)

    assert fields_named(response) == {"cursor"}


@pytest.mark.parametrize("query, field", [
    ("status=lost", "status"), ("recommendation=maybe", "recommendation"),
    ("facility_id=nope", "facility_id"), ("received_from=June", "received_from"),
    ("limit=0", "limit"), ("patient_name=x", "patient_name"),
    # Swapped dates matched nothing, silently (tester-3); the audit log's are refused so.
    ("received_from=2026-06-03&received_to=2026-06-01", "received_to"),
])
def test_bad_list_parameters_are_named(client, clinic, query, field):
    response = client.get(f"{ADMISSIONS}?{query}", token=clinic.token)

    assert fields_named(response) == {field}


def test_swapped_dates_are_named_in_the_export_too(client, clinic):
    response = client.get(f"{ADMISSIONS}/export?received_from=2026-06-03&received_to=2026-06-01",
                          token=clinic.token)

    assert fields_named(response) == {"received_to"}


# --- get ----------------------------------------------------------------------------------

def test_get_returns_the_admission_with_its_full_evaluation(client, clinic):
    admission = admit(client, clinic, referral(clinic.place, "medicare_a", hipps_code="KBGE1",
                                               length_of_stay_days=30))

    fetched = ok(client.get(f"{ADMISSIONS}/{admission['id']}", token=clinic.token))

    assert fetched == admission
    evaluation = fetched["evaluation"]
    assert evaluation["revenue"]["days"][0]["amount"] == "946.52"
    assert len(evaluation["revenue"]["days"]) == 30
    assert evaluation["revenue"]["pdpm"]["groups"] == KBGE1_GROUPS
    assert set(evaluation["cost"]["breakdown"]) == {"fixed", "nursing", "therapy", "services",
                                                    "medication"}
    assert [f["name"] for f in evaluation["factors"]] == ["margin", "census", "payer",
                                                         "clinical", "risk"]
    assert evaluation["recommendation"] == fetched["recommendation"]


@pytest.mark.parametrize("admission_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_a_missing_admission_is_not_found(client, clinic, admission_id):
    response = client.get(f"{ADMISSIONS}/{admission_id}", token=clinic.token)

    assert response.status == 404
    assert response.mimetype == "application/problem+json"


# --- decide -------------------------------------------------------------------------------

def decide(client, token, admission_id, decision, reason_code=None):
    body = {"decision": decision}
    if reason_code is not None:
        body["reason_code"] = reason_code
    return client.post(f"{ADMISSIONS}/{admission_id}/decision", json=body, token=token)


def pending(client, clinic, **fields) -> dict:
    return admit(client, clinic, referral(clinic.place, **fields))


def test_accepting_records_who_when_and_the_turnaround_from_the_referral(client, clinic,
                                                                         admin_sql):
    received = datetime.now(timezone.utc) - timedelta(minutes=90)
    admission = pending(client, clinic, referral_received_at=iso(received))

    response = decide(client, clinic.coordinator, admission["id"], "accepted")

    decided = ok(response)
    assert decided["status"] == "accepted"
    assert decided["decision_reason"] is None
    assert decided["decided_by"] == user_id(client, clinic.coordinator)
    decided_at = datetime.fromisoformat(decided["decided_at"])
    assert abs(datetime.now(timezone.utc) - decided_at) < timedelta(minutes=1)
    assert decided["turnaround_minutes"] in (90, 91)
    assert decided["outcome_at"] is None
    assert decided["evaluation"] == admission["evaluation"]
    assert ok(client.get(f"{ADMISSIONS}/{admission['id']}", token=clinic.token)) == decided
    rows = audit_of(admin_sql, admission["id"])
    assert [r["action"] for r in rows] == ["admission.create", "admission.accepted"]
    assert rows[1]["user_id"] == decided["decided_by"]
    assert rows[1]["changes"] == {"status": "accepted", "reason_code": None}


def test_declining_keeps_the_reason(client, clinic, admin_sql):
    admission = pending(client, clinic)

    decided = ok(decide(client, clinic.coordinator, admission["id"], "declined", "no_bed"))

    assert (decided["status"], decided["decision_reason"]) == ("declined", "no_bed")
    assert decided["decided_at"] and decided["turnaround_minutes"] is not None
    assert [r["action"] for r in audit_of(admin_sql, admission["id"])] == [
        "admission.create", "admission.declined"]


@pytest.mark.parametrize("decision, reason_code", [
    ("declined", None), ("declined", "clinical_change"), ("declined", "whim"),
    ("accepted", "financial"), ("not_admitted", None), ("admitted", "other"),
])
def test_a_decision_with_a_missing_or_unfit_reason_names_reason_code(client, clinic, admin_sql,
                                                                     decision, reason_code):
    admission = pending(client, clinic)

    response = decide(client, clinic.coordinator, admission["id"], decision, reason_code)

    assert fields_named(response) == {"reason_code"}
    assert stored(admin_sql, admission["id"])["status"] == "pending"


def test_an_unknown_decision_is_named(client, clinic):
    admission = pending(client, clinic)

    response = decide(client, clinic.coordinator, admission["id"], "maybe")

    assert fields_named(response) == {"decision"}


@pytest.mark.parametrize("decision, reason_code", [("admitted", None),
                                                   ("not_admitted", "patient_choice")])
def test_an_outcome_before_an_acceptance_is_a_conflict(client, clinic, admin_sql, decision,
                                                       reason_code):
    admission = pending(client, clinic)

    response = decide(client, clinic.coordinator, admission["id"], decision, reason_code)

    assert response.status == 409, response.body
    assert response.mimetype == "application/problem+json"
    assert "pending" in response.json()["detail"]
    row = stored(admin_sql, admission["id"])
    assert (row["status"], row["outcome_at"]) == ("pending", None)
    assert [r["action"] for r in audit_of(admin_sql, admission["id"])] == ["admission.create"]


def test_an_accepted_admission_is_then_admitted(client, clinic, admin_sql):
    admission = pending(client, clinic)
    accepted = ok(decide(client, clinic.coordinator, admission["id"], "accepted"))

    admitted = ok(decide(client, clinic.token, admission["id"], "admitted"))

    assert admitted["status"] == "admitted"
    assert admitted["outcome_at"] is not None
    assert (admitted["decided_at"], admitted["decided_by"], admitted["turnaround_minutes"]) == (
        accepted["decided_at"], accepted["decided_by"], accepted["turnaround_minutes"])
    assert [r["action"] for r in audit_of(admin_sql, admission["id"])] == [
        "admission.create", "admission.accepted", "admission.admitted"]


def test_an_accepted_admission_may_end_not_admitted_with_a_reason(client, clinic, admin_sql):
    admission = pending(client, clinic)
    ok(decide(client, clinic.coordinator, admission["id"], "accepted"))

    outcome = ok(decide(client, clinic.coordinator, admission["id"], "not_admitted",
                        "hospital_withdrew"))

    assert (outcome["status"], outcome["decision_reason"]) == ("not_admitted",
                                                                "hospital_withdrew")
    assert audit_of(admin_sql, admission["id"])[-1]["action"] == "admission.not_admitted"


@pytest.mark.parametrize("first, second", [
    (("accepted", None), ("accepted", None)),
    (("accepted", None), ("declined", "financial")),
    (("declined", "financial"), ("accepted", None)),
    (("declined", "financial"), ("admitted", None)),
])
def test_deciding_twice_is_a_conflict_and_changes_nothing(client, clinic, admin_sql, first,
                                                          second):
    admission = pending(client, clinic)
    ok(decide(client, clinic.coordinator, admission["id"], *first))
    before = stored(admin_sql, admission["id"])

    response = decide(client, clinic.coordinator, admission["id"], *second)

    assert response.status == 409, response.body
    assert stored(admin_sql, admission["id"]) == before
    assert len(audit_of(admin_sql, admission["id"])) == 2


def test_two_decisions_at_once_leave_exactly_one_standing(client, clinic, admin_sql):
    admission = pending(client, clinic)
    start = threading.Barrier(2)

    def send(decision):
        start.wait(timeout=30)
        return decide(client, clinic.coordinator, admission["id"], *decision)

    with ThreadPoolExecutor(max_workers=2) as pool:
        accepted, declined = pool.map(send, [("accepted", None), ("declined", "financial")])

    assert sorted([accepted.status, declined.status]) == [200, 409]
    winner = (accepted if accepted.status == 200 else declined).json()
    assert stored(admin_sql, admission["id"])["status"] == winner["status"]
    assert [r["action"] for r in audit_of(admin_sql, admission["id"])] == [
        "admission.create", f"admission.{winner['status']}"]


def test_an_outcome_cannot_be_recorded_twice(client, clinic):
    admission = pending(client, clinic)
    ok(decide(client, clinic.coordinator, admission["id"], "accepted"))
    ok(decide(client, clinic.coordinator, admission["id"], "admitted"))

    assert decide(client, clinic.coordinator, admission["id"], "not_admitted",
                  "other").status == 409


def test_deciding_a_missing_admission_is_not_found(client, clinic):
    response = decide(client, clinic.coordinator, uuid.uuid4(), "accepted")

    assert response.status == 404


# --- compare ------------------------------------------------------------------------------

def test_compare_ranks_every_active_facility_and_says_why_one_cannot_be_evaluated(
        client, org, other_org, admin_sql):
    payers = org_payers(client, org)
    good = configured_facility(client, org, payers, name="Alder House")
    lacking = configured_facility(client, org, payers, name="Birch Court",
                                  cost_model_fields={"supported_services": ["iv_therapy"]})
    unrated = configured_facility(client, org, payers, name="Cedar Lodge", with_rates=False)
    closed = configured_facility(client, org, payers, name="Dorset Park")
    assert client.delete(f"/api/facilities/{closed.id}", token=org.token).status == 204
    facility(client, other_org.token, name="Elsewhere")
    body = {"payer_id": payers["medicaid"]["id"], "length_of_stay_days": 10, "acuity": "low",
            "required_services": ["wound_vac"], "referral_received_at": IN_FY2026}

    response = client.post(COMPARE, json=body, token=org.token)

    placements = ok(response)["placements"]
    assert [(p["facility"]["name"], p["rank"]) for p in placements] == [
        ("Alder House", 1), ("Birch Court", 2), ("Cedar Lodge", None)]
    assert [p["facility"]["id"] for p in placements] == [good.id, lacking.id, unrated.id]
    best = placements[0]["evaluation"]
    # Low acuity: 150 + 2 h x 40 + 50 + wound vac 62 + 20 = 362.00 a day against 400.00.
    assert (D(best["cost"]["per_day"]), D(best["margin"]), D(best["margin_pct"])) == (
        D(362), D(380), D("9.50"))
    assert best["recommendation"] == "accept"
    assert best["hard_stops"] == []
    assert placements[0]["unavailable"] is None
    second = placements[1]["evaluation"]
    assert second["recommendation"] == "decline"
    assert [s["code"] for s in second["hard_stops"]] == ["service_not_provided"]
    assert placements[2]["evaluation"] is None
    assert "rate" in placements[2]["unavailable"] and "Cedar Lodge" in placements[2]["unavailable"]
    assert count(admin_sql, "admissions", org.id) == 0


def test_compare_says_when_a_facility_has_no_cost_model(client, org):
    payers = org_payers(client, org)
    configured_facility(client, org, payers, name="Alder House")
    configured_facility(client, org, payers, name="Birch Court", with_cost_model=False)
    body = {"payer_id": payers["commercial"]["id"], "length_of_stay_days": 10,
            "acuity": "complex", "referral_received_at": IN_FY2026}

    placements = ok(client.post(COMPARE, json=body, token=org.token))["placements"]

    assert [(p["facility"]["name"], p["rank"]) for p in placements] == [
        ("Alder House", 1), ("Birch Court", None)]
    assert "cost model" in placements[1]["unavailable"]


def test_compare_refuses_a_referral_that_is_wrong_wherever_it_goes(client, clinic, stranger,
                                                                   nothing_saved):
    base = {"payer_id": clinic.place.payer_id("medicare_a"), "length_of_stay_days": 10,
            "acuity": "low", "referral_received_at": IN_FY2026}

    wrong_groups = client.post(COMPARE, json={**base, "pdpm_groups": {
        **KBGE1_GROUPS, "nursing": "ZZZ1"}}, token=clinic.token)
    their_payer = client.post(COMPARE, json={**base, "payer_id": stranger.payer["id"]},
                              token=clinic.token)
    with_facility = client.post(COMPARE, json={**base, "facility_id": clinic.place.id},
                                token=clinic.token)

    assert fields_named(wrong_groups) == {"pdpm_groups"}
    assert fields_named(their_payer) == {"payer_id"}
    assert fields_named(with_facility) == {"facility_id"}


# --- roles --------------------------------------------------------------------------------

def test_a_viewer_reads_admissions_but_cannot_evaluate_save_decide_or_compare(
        client, clinic, admin_sql):
    admission = pending(client, clinic)
    before = count(admin_sql, "admissions", clinic.org.id)

    assert ok(client.get(f"{ADMISSIONS}/{admission['id']}", token=clinic.viewer)) == admission
    assert admission["id"] in [i["id"] for i in ok(client.get(
        f"{ADMISSIONS}?limit=200", token=clinic.viewer))["items"]]
    refused = [
        client.post(EVALUATE, json=referral(clinic.place), token=clinic.viewer),
        client.post(ADMISSIONS, json=referral(clinic.place), token=clinic.viewer),
        decide(client, clinic.viewer, admission["id"], "accepted"),
        client.post(COMPARE, json={"payer_id": clinic.place.payer_id("medicaid"),
                                   "length_of_stay_days": 5, "acuity": "low"},
                    token=clinic.viewer),
    ]

    for response in refused:
        assert response.status == 403, response.body
        assert response.mimetype == "application/problem+json"
    assert count(admin_sql, "admissions", clinic.org.id) == before
    assert stored(admin_sql, admission["id"])["status"] == "pending"


def test_a_coordinator_evaluates_saves_decides_and_compares(client, clinic):
    token = clinic.coordinator
    body = referral(clinic.place)

    assert ok(client.post(EVALUATE, json=body, token=token))["recommendation"] == "accept"
    admission = created(client.post(ADMISSIONS, json=body, token=token))
    assert admission["created_by"] == user_id(client, token)
    assert ok(decide(client, token, admission["id"], "accepted"))["status"] == "accepted"
    compared = ok(client.post(COMPARE, json={k: v for k, v in body.items()
                                             if k != "facility_id"}, token=token))
    assert compared["placements"][0]["facility"]["id"] == clinic.place.id


def test_without_a_session_nothing_is_answered(client, clinic):
    assert client.get(ADMISSIONS).status == 401
    assert client.post(EVALUATE, json=referral(clinic.place)).status == 401


# --- other organizations ------------------------------------------------------------------

def test_another_organizations_admission_answers_exactly_as_a_missing_one(
        client, clinic, stranger, admin_sql):
    admission = pending(client, clinic)
    before = stored(admin_sql, admission["id"])
    theirs = f"{ADMISSIONS}/{admission['id']}"
    missing = f"{ADMISSIONS}/{uuid.uuid4()}"

    for method, path_suffix, kwargs in (("GET", "", {}),
                                        ("POST", "/decision", {"json": {"decision": "accepted"}}),
                                        ("POST", "/decision", {"json": {
                                            "decision": "declined", "reason_code": "other"}})):
        foreign = client.request(method, theirs + path_suffix, token=stranger.token, **kwargs)
        absent = client.request(method, missing + path_suffix, token=stranger.token, **kwargs)
        assert foreign.status == absent.status == 404, (method, path_suffix)
        assert foreign.mimetype == absent.mimetype == "application/problem+json"
        assert without_request_id(foreign.json()) == without_request_id(absent.json())
        assert foreign.json()["request_id"] != absent.json()["request_id"]

    assert stored(admin_sql, admission["id"]) == before
    assert [r["action"] for r in audit_of(admin_sql, admission["id"])] == ["admission.create"]
    assert ok(client.get(f"{ADMISSIONS}?limit=200", token=stranger.token))["items"] == []
    assert admin_sql("SELECT action FROM audit_logs WHERE organization_id = %s "
                     "AND object_type = 'admission'", (str(stranger.id),)) == []
    assert ok(client.get(theirs, token=clinic.token)) == admission


def test_a_list_filtered_by_another_organizations_facility_is_empty(client, clinic, stranger):
    pending(client, clinic)

    mine = ok(client.get(f"{ADMISSIONS}?facility_id={clinic.place.id}", token=stranger.token))

    assert mine["items"] == []
