"""Medicare Part A rules of issue 12 through the API, on real PostgreSQL and real migrations:
benefit-period days already used, coinsurance by the calendar year each day is furnished.
The facility's Medicare rate is PDPM FY2026 urban, wage index 1.1, VBP 1 (tests/factories.py);
KBGE per diems: days 1-3 946.52, 4-20 752.23 (test_pdpm.py)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.factories import (configured_facility, fields_named, new_client, new_org, ok,
                             org_payers, referral)

EVALUATE = "/api/admissions/evaluate"
ADMISSIONS = "/api/admissions"


@pytest.fixture(scope="module")
def site(database, app):
    client = new_client(app)
    org = new_org(client, "Medicare rules")
    place = configured_facility(client, org, org_payers(client, org), name="Birch Court")
    return client, org, place


def medicare(place, **fields) -> dict:
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
])
def test_bad_stay_inputs_are_a_clear_422(site, fields, bad):
    client, org, place = site
    response = client.post(EVALUATE, json=medicare(place, **fields), token=org.token)
    assert response.status in (400, 422), response.body
    assert response.mimetype == "application/problem+json"
    assert fields_named(response) == {bad}
