"""Medicare Part A rules beyond the per diem, derived by hand (issue 12): the benefit period's
days already used, coinsurance by the calendar year each day is furnished. The FY2026 urban
KBGE per diems at wage index 1.1 are the ones derived in test_pdpm.py: days 1-3 946.52,
4-20 752.23, 21-27 747.68, 28-34 743.14."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.engine import evaluation as engine
from shared.engine import pdpm
from tests.shared.test_engine import KBGE, URBAN_2026, referral, run

D = Decimal
COINSURANCE = {2024: D("204.00"), 2025: D("209.50"), 2026: D("217.00")}


def medicare(*, coinsurance=COINSURANCE, vbp="1.0", **changes) -> engine.Rate:
    terms = engine.PdpmTerms(tables=URBAN_2026, wage_index=D("1.1000"), vbp_multiplier=D(vbp),
                             coinsurance_per_day=None, coinsurance_by_year=dict(coinsurance))
    return engine.Rate(method="pdpm", pdpm=dataclasses.replace(terms, **changes))


def stay(days: int, **changes) -> engine.Referral:
    return referral(length_of_stay_days=days, classification=KBGE,
                    admission_date=date(2026, 3, 2), **changes)


# --- 1. benefit-period days already used -------------------------------------------------------

def test_ninety_days_used_leave_ten_covered_days_all_with_coinsurance():
    # Benefit days 91-100 are stay days 1-10: covered, and past day 20 of the benefit period,
    # so every one carries the 2026 coinsurance of 217.00. The per diem still follows the
    # stay's own schedule: 3 x 946.52 + 7 x 752.23 = 2839.56 + 5265.61 = 8105.17.
    result = run(ref=stay(30, benefit_days_used=90), rate=medicare())
    detail = result["revenue"]["pdpm"]
    assert (detail["covered_days"], detail["uncovered_days"]) == (10, 20)
    days = result["revenue"]["days"]
    assert [d["amount"] for d in days[:10]] == [D("946.52")] * 3 + [D("752.23")] * 7
    assert [d["benefit_day"] for d in days[:10]] == list(range(91, 101))
    assert all(d["amount"] == 0 and d["covered"] is False for d in days[10:])
    assert result["revenue"]["total"] == D("8105.17")
    assert [d["patient_pays"] for d in days[:10]] == [D("217.00")] * 10
    assert (detail["coinsurance_from_day"], detail["coinsurance_days"]) == (1, 10)
    assert detail["coinsurance_total"] == D("2170.00")
    assert (detail["benefit_days_used"], detail["benefit_days_used_known"]) == (90, True)
    assert ("90 SNF day(s) of the benefit period already used: Medicare covers at most 10 "
            "day(s) of this stay, with coinsurance from day 1 of the stay."
            in result["assumptions"])
    assert ("Medicare Part A covers at most 100 days a benefit period; with 90 already used, "
            "20 day(s) of this stay earn nothing under it." in result["assumptions"])


def test_coinsurance_starts_on_day_21_of_the_benefit_period_not_of_the_stay():
    # 15 days used: benefit day 21 is stay day 6. Days 1-5 pay in full; days 6-30 (25 days)
    # carry 217.00 each = 5425.00.
    result = run(ref=stay(30, benefit_days_used=15), rate=medicare())
    days = result["revenue"]["days"]
    assert [d["patient_pays"] for d in days[:5]] == [D("0.00")] * 5
    assert [d["patient_pays"] for d in days[5:]] == [D("217.00")] * 25
    detail = result["revenue"]["pdpm"]
    assert (detail["coinsurance_from_day"], detail["coinsurance_days"]) == (6, 25)
    assert detail["coinsurance_total"] == D("5425.00")
    assert (detail["covered_days"], detail["uncovered_days"]) == (30, 0)


def test_a_patient_with_all_100_days_used_has_no_covered_day():
    result = run(ref=stay(5, benefit_days_used=100), rate=medicare())
    detail = result["revenue"]["pdpm"]
    assert (detail["covered_days"], detail["uncovered_days"]) == (0, 5)
    assert result["revenue"]["total"] == 0
    assert detail["coinsurance_from_day"] is None


def test_days_used_unknown_is_assumed_zero_and_said():
    result = run(ref=stay(25), rate=medicare())
    detail = result["revenue"]["pdpm"]
    assert (detail["benefit_days_used"], detail["benefit_days_used_known"]) == (0, False)
    assert detail["coinsurance_from_day"] == 21
    assert any(a.startswith("SNF days already used in the benefit period not given")
               for a in result["assumptions"])


@settings(max_examples=150, deadline=None)
@given(used=st.integers(0, 100), days=st.integers(1, 130))
def test_covered_days_never_exceed_100_minus_days_used(used, days):
    detail = run(ref=stay(days, benefit_days_used=used), rate=medicare())["revenue"]["pdpm"]
    assert detail["covered_days"] == min(days, pdpm.MAX_COVERED_DAYS - used)
    assert detail["covered_days"] + detail["uncovered_days"] == days


# --- 2. coinsurance by the calendar year each day is furnished ---------------------------------

def test_a_stay_across_new_year_pays_each_years_coinsurance():
    # From 15 Nov 2025 with 10 days used: benefit day 21 is stay day 11 (25 Nov 2025); 31 Dec
    # 2025 is stay day 47. Days 11-47 (37 days) carry 209.50 = 7751.50; days 48-60 (1-13 Jan
    # 2026, 13 days) carry 217.00 = 2821.00; in all 10572.50.
    result = run(ref=referral(length_of_stay_days=60, classification=KBGE,
                              admission_date=date(2025, 11, 15), benefit_days_used=10),
                 rate=medicare())
    days = result["revenue"]["days"]
    assert days[10]["date"] == date(2025, 11, 25)
    assert days[46]["date"] == date(2025, 12, 31)
    assert [d["patient_pays"] for d in days[:10]] == [D("0.00")] * 10
    assert [d["patient_pays"] for d in days[10:47]] == [D("209.50")] * 37
    assert [d["patient_pays"] for d in days[47:]] == [D("217.00")] * 13
    assert {d["coinsurance_year"] for d in days[10:47]} == {2025}
    assert {d["coinsurance_year"] for d in days[47:]} == {2026}
    detail = result["revenue"]["pdpm"]
    assert [(y["calendar_year"], y["per_day"], y["days"], y["total"])
            for y in detail["coinsurance_by_year"]] == [
        (2025, D("209.50"), 37, D("7751.50")), (2026, D("217.00"), 13, D("2821.00"))]
    assert detail["coinsurance_total"] == D("10572.50")
    assert detail["coinsurance_per_day"] == D("209.50")


def test_a_2024_day_carries_the_2024_coinsurance():
    # From 1 Dec 2024 (stay day 21 = 21 Dec 2024): days 21-31 (11 days) 204.00 = 2244.00.
    result = run(ref=referral(length_of_stay_days=31, classification=KBGE,
                              admission_date=date(2024, 12, 1)), rate=medicare())
    detail = result["revenue"]["pdpm"]
    assert [(y["calendar_year"], y["days"], y["total"]) for y in detail["coinsurance_by_year"]] \
        == [(2024, 11, D("2244.00"))]


def test_a_year_with_no_amount_loaded_uses_the_latest_and_says_so():
    result = run(ref=referral(length_of_stay_days=25, classification=KBGE,
                              admission_date=date(2026, 12, 20)), rate=medicare())
    # Stay day 21 is 9 Jan 2027: CY2027 is not loaded, CY2026's 217.00 is used and said.
    year = result["revenue"]["pdpm"]["coinsurance_by_year"][0]
    assert (year["calendar_year"], year["amount_of_year"], year["per_day"], year["days"]) == (
        2027, 2026, D("217.00"), 5)
    assert ("No SNF coinsurance amount is loaded for 2027: 2026's 217.00 a day is assumed."
            in result["assumptions"])


def test_coinsurance_never_exceeds_the_days_payment_in_either_year():
    # VBP 0.25: day 21 pays 747.68 x 0.25 = 186.92 (< 209.50 and < 217.00).
    result = run(ref=referral(length_of_stay_days=21, classification=KBGE,
                              admission_date=date(2025, 12, 1)), rate=medicare(vbp="0.25"))
    day21 = result["revenue"]["days"][20]
    assert (day21["amount"], day21["patient_pays"], day21["payer_pays"]) == (
        D("186.92"), D("186.92"), D("0.00"))


@settings(max_examples=150, deadline=None)
@given(used=st.integers(0, 100), days=st.integers(1, 120),
       start=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
       vbp=st.integers(1, 100_000).map(lambda n: D(n).scaleb(-5)))
def test_coinsurance_is_never_above_the_days_payment(used, days, start, vbp):
    result = run(ref=referral(length_of_stay_days=days, classification=KBGE,
                              admission_date=start, benefit_days_used=used),
                 rate=medicare(vbp=vbp))
    for day in result["revenue"]["days"]:
        assert D(0) <= day["patient_pays"] <= day["amount"]
        assert day["date"] == start + timedelta(days=day["day"] - 1)
        if day["patient_pays"] > 0:
            assert day["coinsurance_year"] == day["date"].year
            amount_year = min(day["date"].year, max(COINSURANCE))
            assert day["patient_pays"] == min(day["amount"], COINSURANCE[amount_year])
