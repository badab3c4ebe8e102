"""Fiscal years as data (issue 12, item 3): the stored years and their statuses, FY2027's
proposed base rates as loaded, and an FY2027 referral through the API. The pricing of each day
by its fiscal year, which needs no database, is in test_fiscal_years.py."""
from __future__ import annotations

import csv
import uuid
from decimal import Decimal

import pytest

from shared import db
from shared.repositories import pdpm as pdpm_repository
from tests.factories import configured_facility, new_client, new_org, ok, org_payers, referral
from tests.shared.test_pdpm import REFERENCE

D = Decimal


def fiscal_years_csv() -> list[dict]:
    with open(REFERENCE / "fiscal_years.csv", newline="") as f:
        return list(csv.DictReader(f))


# --- the data ---------------------------------------------------------------------------------

def test_fiscal_years_table_holds_fiscal_years_csv(admin_sql):
    rows = admin_sql("SELECT * FROM pdpm_fiscal_years ORDER BY fiscal_year")
    expected = sorted(fiscal_years_csv(), key=lambda r: int(r["fiscal_year"]))
    assert [(r["fiscal_year"], r["status"], r["rule"], r["sources"]) for r in rows] == [
        (int(r["fiscal_year"]), r["status"], r["rule"], r["sources"]) for r in expected]
    assert {r["fiscal_year"]: r["status"] for r in rows} == {
        **{y: "final" for y in range(2020, 2027)}, 2027: "proposed"}


def test_every_fiscal_year_with_base_rates_has_a_status(admin_sql):
    with_rates = {r["fiscal_year"] for r in admin_sql(
        "SELECT DISTINCT fiscal_year FROM pdpm_base_rates")}
    with_status = {r["fiscal_year"] for r in admin_sql("SELECT fiscal_year FROM pdpm_fiscal_years")}
    assert with_rates == with_status


def test_fy2027_holds_the_proposed_rules_base_rates(database):
    """CMS-1843-P (Federal Register 2026-04-07) unadjusted per diems, as the issue gives them."""
    with db.tenant_transaction(uuid.uuid4()) as cur:
        urban = pdpm_repository.load_tables(cur, fiscal_year=2027, area="urban")
        rural = pdpm_repository.load_tables(cur, fiscal_year=2027, area="rural")
        info = pdpm_repository.fiscal_year_info(cur)[2027]
    order = ("PT", "OT", "SLP", "NURSING", "NTA", "NON_CASE_MIX")
    assert [urban.base_rates[c] for c in order] == [
        D("77.45"), D("72.09"), D("28.92"), D("134.99"), D("101.85"), D("120.89")]
    assert [rural.base_rates[c] for c in order] == [
        D("88.29"), D("81.09"), D("36.44"), D("128.98"), D("97.31"), D("123.13")]
    assert (info.status, info.net_update) == ("proposed", D("0.0240"))
    assert "CMS-1843-P" in info.rule and "labor-related share" in info.notes


# --- through the API --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(database, app):
    client = new_client(app)
    org = new_org(client, "Fiscal years")
    return client, org, configured_facility(client, org, org_payers(client, org))


def test_an_fy2027_referral_says_it_is_priced_on_proposed_rates(site):
    client, org, place = site
    result = ok(client.post("/api/admissions/evaluate", json=referral(
        place, "medicare_a", hipps_code="KBGE1", length_of_stay_days=4,
        referral_received_at="2026-10-20T12:00:00Z", expected_admission_date="2026-10-21"),
        token=org.token))
    days = result["revenue"]["days"]
    assert [d["amount"] for d in days] == ["967.96"] * 3 + ["769.27"]
    assert {(d["fiscal_year"], d["rates_status"]) for d in days} == {(2027, "proposed")}
    assert any("priced on FY2027's proposed rates (FY2027 proposed rule, CMS-1843-P" in a
               for a in result["assumptions"])
