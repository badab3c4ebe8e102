"""Medicare Part A rules beyond the per diem, derived by hand (issue 12): the benefit period's
days already used, coinsurance by the calendar year each day is furnished. The FY2026 urban
KBGE per diems at wage index 1.1 are the ones derived in test_pdpm.py: days 1-3 946.52,
4-20 752.23, 21-27 747.68, 28-34 743.14."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.engine import evaluation as engine
from shared.engine import pdpm
from tests.shared.test_engine import (ACUITY_RATES, KBGE, PROPERTY_SETTINGS, URBAN_2026,
                                     per_diem_rate, referral, run,
                                     tables_from_csv, weights)

D = Decimal
# FY2026's net update, 3.2% (reference/pdpm S16), for the QRP method.
FY2026 = pdpm.FiscalYear(2026, "final", "FY2026 final rule", D("0.032"))
COINSURANCE = {2024: D("204.00"), 2025: D("209.50"), 2026: D("217.00")}


def medicare(*, coinsurance=COINSURANCE, vbp="1.0", **changes) -> engine.Rate:
    terms = engine.PdpmTerms(tables=URBAN_2026, wage_index=D("1.1000"), vbp_multiplier=D(vbp),
                             coinsurance_per_day=None, coinsurance_by_year=dict(coinsurance),
                             fiscal_years={2026: FY2026})
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
    assert ("100 SNF day(s) of the benefit period already used: Medicare covers at most 0 day(s) "
            "of this stay." in result["assumptions"])


def test_days_used_before_a_stay_without_coinsurance_are_said_without_it():
    result = run(ref=stay(10, benefit_days_used=5), rate=medicare())
    assert ("5 SNF day(s) of the benefit period already used: Medicare covers at most 95 day(s) "
            "of this stay." in result["assumptions"])


def test_days_used_unknown_is_assumed_zero_and_said():
    result = run(ref=stay(25), rate=medicare())
    detail = result["revenue"]["pdpm"]
    assert (detail["benefit_days_used"], detail["benefit_days_used_known"]) == (0, False)
    assert detail["coinsurance_from_day"] == 21
    assert any(a.startswith("SNF days already used in the benefit period not given")
               for a in result["assumptions"])


@PROPERTY_SETTINGS
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


@pytest.mark.parametrize("days, from_day", [(10, None), (20, None), (21, 21), (25, 21)])
def test_coinsurance_is_owed_from_day_21_and_only_on_the_days_that_owe_it(days, from_day):
    result = run(ref=stay(days), rate=medicare())
    assert result["revenue"]["pdpm"]["coinsurance_from_day"] == from_day
    assert [d["coinsurance_year"] for d in result["revenue"]["days"]] == (
        [None] * min(days, 20) + [2026] * max(0, days - 20))


def test_the_daily_coinsurance_shown_is_that_of_the_year_of_its_first_day():
    # From 20 Dec 2025: day 1 is in 2025, but day 21, the first to owe coinsurance, is 9 Jan
    # 2026: 217.00 a day, not 2025's 209.50.
    result = run(ref=referral(length_of_stay_days=25, classification=KBGE,
                              admission_date=date(2025, 12, 20)), rate=medicare())
    detail = result["revenue"]["pdpm"]
    assert result["revenue"]["days"][20]["date"] == date(2026, 1, 9)
    assert (detail["coinsurance_per_day"], detail["coinsurance_from_day"]) == (D("217.00"), 21)
    assert [(y["calendar_year"], y["days"]) for y in detail["coinsurance_by_year"]] == [(2026, 5)]


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


@PROPERTY_SETTINGS
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


# --- 4. payment adjustments, each its own line -------------------------------------------------
# Full-rate FY2026 urban KBGE day 4 (wage index 1.1): PT 109.05 + OT 102.92 + SLP 48.64 +
# nursing 232.32 + NTA 90.63 + NCM 118.21 = 701.77; labor 504.57 x 1.1 = 555.03, non-labor
# 197.20: 752.23.

def lines(result) -> dict:
    return {a["code"]: a["amount"] for a in result["revenue"]["adjustments"]}


# What every evaluation below says first (groups given, admission date given, days used not),
# and what Original Medicare's says of sequestration: the tests below list the rest in full, as
# the evaluation shows them.
SAID_FIRST = [
    "The PDPM classification is an estimate until the 5-day assessment.",
    "SNF days already used in the benefit period not given: assumed none (a new benefit "
    "period), so Medicare covers up to 100 days and coinsurance starts on day 21 of this stay."]
SEQUESTRATION_LINE = ("sequestration",
                      "Sequestration: 2% of the Medicare payment after coinsurance")
SEQUESTRATION_SAID = (
    "Medicare's payment after coinsurance, and its bad debt reimbursement, are reduced 2% by "
    "sequestration (applied day by day here; CMS applies it per claim and on the cost report).")


def collected_said(pct: int) -> str:
    return (f"{pct}% of the coinsurance is expected to be collected (business weights); "
            "Medicare reimburses 65% of the rest as bad debt, after the facility's collection "
            "effort, on the cost report.")


def test_sequestration_and_bad_debt_with_60_percent_of_coinsurance_collected():
    # 30 days from 2 Mar 2026: days 21-30 carry 217.00; 60% collected = 130.20, 86.80 a day
    # unpaid (x10 = 868.00), 65% of it reimbursed = 56.42 a day (564.20).
    # Sequestration, 2% of Medicare's share after coinsurance plus its bad debt payment:
    #   days 1-3   946.52 -> 18.93 (x3 56.79);    days 4-20  752.23 -> 15.04 (x17 255.68)
    #   days 21-27 530.68 + 56.42 = 587.10 -> 11.74 (x7 82.18)
    #   days 28-30 526.14 + 56.42 = 582.56 -> 11.65 (x3 34.95);   in all 429.60.
    # Net: 23090.65 - 868.00 + 564.20 - 429.60 = 22357.25.
    w = dataclasses.replace(weights(), coinsurance_collection_pct=D(60))
    result = run(ref=stay(30), rate=medicare(), w=w)
    assert lines(result) == {"sequestration": D("-429.60"),
                             "uncollected_coinsurance": D("-868.00"),
                             "bad_debt_reimbursement": D("564.20")}
    revenue = result["revenue"]
    assert revenue["total"] == D("23090.65")
    assert revenue["net_total"] == D("22357.25")
    day21 = revenue["days"][20]
    assert (day21["sequestration"], day21["bad_debt_reimbursement"], day21["net"]) == (
        D("-11.74"), D("56.42"), D("530.68") + D("130.20") + D("56.42") - D("11.74"))
    assert result["assumptions"] == SAID_FIRST + [SEQUESTRATION_SAID, collected_said(60)]
    assert [(a["code"], a["label"]) for a in revenue["adjustments"]] == [
        SEQUESTRATION_LINE,
        ("uncollected_coinsurance", "Coinsurance not expected to be collected (business weights)"),
        ("bad_debt_reimbursement", "Medicare bad debt: 65% of the uncollected coinsurance")]


def test_qrp_reduced_rates_and_the_rules_method_for_the_unpublished_ncm():
    # Reduced FY2026 bases: PT 74.26, OT 69.12, SLP 27.73, nursing 129.44, NTA 97.66 (pricer);
    # NCM not published: 118.21 x (1 + 0.032 - 0.02) / 1.032 = 115.919 -> 115.92.
    # Day 4: 106.93 + 100.92 + 47.70 + 227.81 + 88.87 + 115.92 = 688.15; labor 494.78 x 1.1 =
    #   544.26, non-labor 193.37: 737.63, i.e. 752.23 - 14.60.
    # Day 1: NTA 88.87 x 3 = 266.61, total 865.89; labor 622.57 x 1.1 = 684.83, non-labor
    #   243.32: 928.15, i.e. 946.52 - 18.37.
    result = run(ref=stay(4), rate=medicare(qrp_reduced=True))
    days = result["revenue"]["days"]
    assert [d["amount"] for d in days] == [D("946.52")] * 3 + [D("752.23")]
    assert [d["qrp_reduction"] for d in days] == [D("-18.37")] * 3 + [D("-14.60")]
    assert lines(result)["qrp_reduction"] == D("-18.37") * 3 + D("-14.60")
    assert [d["payer_pays"] for d in days] == [D("928.15")] * 3 + [D("737.63")]
    assert result["revenue"]["pdpm"]["qrp_by_rule_method"] == [2026]
    # No coinsurance in 4 days: no line for its collection or bad debt.
    assert [(a["code"], a["label"]) for a in result["revenue"]["adjustments"]] == [
        ("qrp_reduction", "SNF QRP not met: the annual update less 2 percentage points"),
        SEQUESTRATION_LINE]
    assert result["assumptions"] == SAID_FIRST + [
        SEQUESTRATION_SAID,
        "The facility did not meet the SNF Quality Reporting Program: its rates are the reduced "
        "ones (the annual update less 2 points).",
        "FY2026's QRP-reduced non-case-mix rate is not published in the loaded tables: derived "
        "by the rule's method, rate x (1 + update - 0.02) / (1 + update), within a cent of "
        "CMS's."]


def test_the_qrp_assumption_names_the_components_it_derived():
    """Tester: FY2026's five published reduced rates were said to be unpublished, when only the
    non-case-mix one is derived."""
    bare = dataclasses.replace(URBAN_2026, qrp_base_rates={})
    result = run(ref=stay(4), rate=medicare(qrp_reduced=True, tables=bare))
    [said] = [a for a in result["assumptions"] if "not published" in a]
    assert said.startswith("FY2026's QRP-reduced ") and " rates are not published" in said
    named = said.removeprefix("FY2026's QRP-reduced ").split(" rates are")[0].split(", ")
    assert sorted(named) == sorted(["PT", "OT", "SLP", "nursing", "NTA", "non-case-mix"])


def test_the_qrp_method_reproduces_fy2026s_published_reduced_rates_within_a_cent():
    for area in ("urban", "rural"):
        tables = tables_from_csv(2026, area)
        published = {c: r for c, r in tables.qrp_base_rates.items() if r is not None}
        bare = dataclasses.replace(tables, qrp_base_rates={})
        for component, rate in published.items():
            derived, by_method = pdpm.qrp_base_rate(bare, component, D("0.032"))
            assert by_method and abs(derived - rate) <= D("0.01"), (area, component)


def test_an_unpublished_qrp_rate_is_not_guessed_without_the_years_net_update():
    # FY2026's QRP-reduced NCM is not published; a year known only by its status and rule has
    # no net update to derive it from: the engine refuses rather than pay an invented rate.
    known_only = pdpm.FiscalYear(2026, "final", "FY2026 final rule")
    with pytest.raises(ValueError) as missing:
        run(ref=stay(4), rate=medicare(qrp_reduced=True, fiscal_years={2026: known_only}))
    assert str(missing.value) == ("FY2026 has no QRP-reduced NON_CASE_MIX rate and no net "
                                  "update to derive it from")


def test_hiv_aids_pays_nursing_x_1_18_and_remaps_the_nta_group():
    # Nursing 232.32 x 1.18 = 274.1376 -> 274.14; NTA NE -> NB (2.39 x 99.59 = 238.02).
    # Day 4: 109.05 + 102.92 + 48.64 + 274.14 + 238.02 + 118.21 = 890.98; labor 640.61 x 1.1
    # = 704.67, non-labor 250.37: 955.04, i.e. 752.23 + 202.81.
    result = run(ref=stay(4, hiv_aids=True), rate=medicare())
    day4 = result["revenue"]["days"][3]
    assert (day4["amount"], day4["hiv_aids_adjustment"], day4["payer_pays"]) == (
        D("752.23"), D("202.81"), D("955.04"))
    assert [(a["code"], a["label"]) for a in result["revenue"]["adjustments"]] == [
        ("hiv_aids_adjustment", "HIV/AIDS: nursing x 1.18 and the NTA remap (CMS SNF pricer)"),
        SEQUESTRATION_LINE]
    assert any("NTA group NE as NB" in a for a in result["assumptions"])


@pytest.mark.parametrize("nta, paid_as", [("NA", "NA"), ("NB", "NA"), ("NC", "NA"),
                                           ("ND", "NA"), ("NE", "NB"), ("NF", "NC")])
def test_hiv_aids_says_which_nta_group_each_group_is_paid_as(nta, paid_as):
    # S2: characters A-D are paid as A, E as B, F as C; the evaluation says which.
    ref = dataclasses.replace(stay(4, hiv_aids=True), classification=dataclasses.replace(
        KBGE, nta=nta))
    result = run(ref=ref, rate=medicare())
    assert (f"HIV/AIDS: the nursing component is paid x 1.18 and NTA group {nta} as {paid_as}, "
            "as the CMS pricer does for a B20 diagnosis on the claim." in result["assumptions"])


@PROPERTY_SETTINGS
@given(used=st.integers(0, 100), days=st.integers(1, 110), qrp=st.booleans(),
       hiv=st.booleans(), collected=st.integers(0, 100).map(D),
       vbp=st.integers(1, 100_000).map(lambda n: D(n).scaleb(-5)))
def test_sequestration_never_raises_a_payment(used, days, qrp, hiv, collected, vbp):
    w = dataclasses.replace(weights(), coinsurance_collection_pct=collected)
    result = run(ref=stay(days, benefit_days_used=used, hiv_aids=hiv),
                 rate=medicare(qrp_reduced=qrp, vbp=vbp), w=w)
    for day in result["revenue"]["days"]:
        assert day["sequestration"] <= 0
        assert day["net"] <= day["payer_pays"] + day["patient_pays"]
        assert D(0) <= day["patient_pays"] <= day["payer_pays"] + day["patient_pays"]
    assert lines(result)["sequestration"] <= 0
    assert result["revenue"]["net_total"] == sum(d["net"] for d in result["revenue"]["days"])


# --- 5. interrupted stay -----------------------------------------------------------------------

def test_an_interrupted_stay_continues_the_prior_stays_schedule():
    # After a 10-day prior stay the readmission's days are schedule days 11-15: PT/OT factor
    # 1.00 and NTA 1.00, so each pays the day-4 rate 752.23 (not 946.52): 5 x 752.23 = 3761.15.
    stay_info = {"prior_case_number": "DEMO-2026-000001", "prior_days": 10, "gap_days": 1}
    result = run(ref=stay(5, interrupted_stay=stay_info), rate=medicare())
    assert [d["amount"] for d in result["revenue"]["days"]] == [D("752.23")] * 5
    assert result["revenue"]["total"] == D("3761.15")
    assert result["assumptions"] == SAID_FIRST + [
        SEQUESTRATION_SAID,
        "Interrupted stay: a readmission 1 day(s) after DEMO-2026-000001 ended (within the 3-day "
        "interruption window), so the variable per diem continues from day 11: PT/OT and NTA "
        "days do not restart. The prior stay's end is its expected one."]
    # After 20 prior days, schedule days 21-25: PT/OT x 0.98 -> 747.68 (test_pdpm.py).
    later = run(ref=stay(5, interrupted_stay={**stay_info, "prior_days": 20}), rate=medicare())
    assert [d["amount"] for d in later["revenue"]["days"]] == [D("747.68")] * 5


# --- 6. after the Medicare stay; Medicare Advantage as a percentage of PDPM --------------------

MEDICAID = engine.ThenPayer(name="Ohio Medicaid", payer_type="medicaid", per_day=D("250.00"))


def test_days_after_100_are_paid_by_the_then_payer():
    # 120 days, none used: days 101-120 at Medicaid's 250.00 = 5000.00 on top of the 100
    # Medicare days (which the then-payer does not change); no sequestration on those days.
    alone = run(ref=stay(120), rate=medicare())
    result = run(ref=stay(120, then_payer=MEDICAID), rate=medicare())
    days = result["revenue"]["days"]
    assert [d["amount"] for d in days[100:]] == [D("250.00")] * 20
    assert {(d["paid_by"], d["sequestration"], d["net"]) for d in days[100:]} == {
        ("then_payer", D(0), D("250.00"))}
    assert days[99]["paid_by"] == "medicare"
    assert result["revenue"]["total"] == alone["revenue"]["total"] + D("5000.00")
    assert result["revenue"]["net_total"] == alone["revenue"]["net_total"] + D("5000.00")
    then = result["revenue"]["pdpm"]["then_payer"]
    assert (then["days"], then["total"]) == (20, D("5000.00"))
    assert result["assumptions"] == SAID_FIRST + [
        SEQUESTRATION_SAID,
        "The 20 day(s) Medicare does not cover are paid by Ohio Medicaid (medicaid) at 250.00 a "
        "day, its rate in force at the facility.",
        collected_said(100),
        "Medicare Part A covers at most 100 days; 20 day(s) are paid by the then-payer."]


def test_days_after_skilled_need_ends_are_not_medicare_days():
    # Skilled need for 25 days of a 30-day stay: Medicare covers days 1-25 (coinsurance on days
    # 21-25: 5 x 217.00 = 1085.00); days 26-30 are Medicaid's at 250.00.
    result = run(ref=stay(30, skilled_days=25, then_payer=MEDICAID), rate=medicare())
    detail = result["revenue"]["pdpm"]
    assert (detail["covered_days"], detail["not_skilled_days"]) == (25, 5)
    assert detail["coinsurance_total"] == D("1085.00")
    assert [d["paid_by"] for d in result["revenue"]["days"][24:26]] == ["medicare", "then_payer"]
    assert result["assumptions"] == SAID_FIRST + [
        SEQUESTRATION_SAID,
        "Skilled need is expected for 25 day(s): Medicare Part A does not cover the 5 day(s) "
        "after it.",
        "The 5 day(s) Medicare does not cover are paid by Ohio Medicaid (medicaid) at 250.00 a "
        "day, its rate in force at the facility.",
        collected_said(100)]


def test_skilled_need_ending_before_the_100th_day_and_days_past_it_are_said_apart():
    # 90 days used, 12-day stay, skilled need for 5: stay days 6-10 (benefit days 96-100, the
    # 100th included) are not skilled; days 11-12 (benefit days 101-102) are past the cap.
    result = run(ref=stay(12, benefit_days_used=90, skilled_days=5), rate=medicare())
    detail = result["revenue"]["pdpm"]
    assert (detail["covered_days"], detail["not_skilled_days"], detail["uncovered_days"]) == (
        5, 5, 7)
    assert ("Skilled need is expected for 5 day(s): Medicare Part A does not cover the 5 day(s) "
            "after it." in result["assumptions"])
    assert result["assumptions"][-1] == (
        "Medicare Part A covers at most 100 days a benefit period; with 90 already used, 2 "
        "day(s) of this stay earn nothing under it.")


def test_a_medicare_advantage_contract_pays_its_percentage_of_pdpm():
    # 90% of PDPM: day 1 946.52 x 0.90 = 851.868 -> 851.87; day 4 752.23 x 0.9 = 677.007 ->
    # 677.01. The plan's terms replace coinsurance and sequestration: none shown.
    result = run(ref=stay(25), rate=medicare(percent_of_pdpm=D(90)))
    days = result["revenue"]["days"]
    assert (days[0]["amount"], days[3]["amount"]) == (D("851.87"), D("677.01"))
    assert all(d["patient_pays"] == 0 and d["sequestration"] == 0 for d in days)
    assert "sequestration" not in lines(result)
    assert result["revenue"]["net_total"] == result["revenue"]["total"]
    # Nor is Original Medicare's coinsurance said to start on day 21 (tester-3).
    assert result["assumptions"] == [
        "The PDPM classification is an estimate until the 5-day assessment.",
        "SNF days already used in the benefit period not given: assumed none (a new benefit "
        "period), so Medicare covers up to 100 days.",
        "Medicare Advantage contract: 90% of the PDPM per diem; the plan's own cost sharing and "
        "any sequestration pass-through are by contract and not modeled, and its days are taken "
        "as Original Medicare's (100 a benefit period, while skilled care is needed)."]
    assert result["revenue"]["pdpm"]["coinsurance_from_day"] is None


def test_a_medicare_advantage_stay_after_days_used_owes_no_coinsurance_from_any_day():
    # 10 days used: stay day 11 is benefit day 21, where Original Medicare's coinsurance would
    # start; under the contract nothing starts there, and nothing says it does (tester-3: the
    # evaluation said "with coinsurance from day 11" and the page "the stay ends by day 20").
    result = run(ref=stay(30, benefit_days_used=10), rate=medicare(percent_of_pdpm=D(90)))
    detail = result["revenue"]["pdpm"]
    assert (detail["coinsurance_from_day"], detail["coinsurance_days"]) == (None, 0)
    assert ("10 SNF day(s) of the benefit period already used: Medicare covers at most 90 "
            "day(s) of this stay." in result["assumptions"])
    assert not [a for a in result["assumptions"] if "coinsurance from day" in a]


# --- Medicare's rules follow the payer's type, not the rate's method --------------------------

def test_a_medicaid_program_paying_by_pdpm_pays_every_day_without_medicares_rules():
    """Tester: a Medicaid payer on a PDPM rate was given Medicare's 100-day limit, coinsurance
    from day 21, bad debt and sequestration. Several state Medicaid programs price by PDPM; none
    of Original Medicare's benefit rules is theirs."""
    original = run(ref=stay(120), rate=medicare(), payer="medicare_a")
    result = run(ref=stay(120, skilled_days=30, benefit_days_used=10), rate=medicare(),
                 payer="medicaid")

    days = result["revenue"]["days"]
    detail = result["revenue"]["pdpm"]
    # The same PDPM per diems, on every one of the 120 days, all the payer's.
    assert [d["amount"] for d in days[:100]] == [d["amount"] for d in original["revenue"]["days"]
                                                 [:100]]
    assert all(d["amount"] > 0 and d["paid_by"] == "payer" and d["patient_pays"] == 0
               and d["sequestration"] == 0 for d in days)
    assert (detail["covered_days"], detail["uncovered_days"], detail["coinsurance_total"]) == (
        120, 0, D(0))
    assert lines(result) == {}
    assert result["revenue"]["net_total"] == result["revenue"]["total"]
    assert ("This Medicaid payer's rate is PDPM, not Medicare's: the 100-day benefit period, "
            "coinsurance and sequestration do not apply to it; not used: benefit days used, "
            "skilled days." in result["assumptions"])
    assert not [a for a in result["assumptions"]
                if "sequestration" in a.lower() and not a.startswith("This Medicaid")]
    assert not [a for a in result["assumptions"] if "covers at most" in a or "day 21" in a]


def test_a_medicare_advantage_plan_on_pdpm_keeps_the_benefit_period_but_owes_no_coinsurance():
    result = run(ref=stay(110), rate=medicare(), payer="medicare_advantage")

    detail = result["revenue"]["pdpm"]
    assert (detail["covered_days"], detail["coinsurance_total"]) == (100, D(0))
    assert [d["paid_by"] for d in result["revenue"]["days"][99:101]] == ["medicare", None]
    assert lines(result) == {}
    assert ("Medicare Advantage contract: the PDPM per diem; the plan's own cost sharing and any "
            "sequestration pass-through are by contract and not modeled, and its days are taken "
            "as Original Medicare's (100 a benefit period, while skilled care is needed)."
            in result["assumptions"])
    assert ("SNF days already used in the benefit period not given: assumed none (a new benefit "
            "period), so Medicare covers up to 100 days." in result["assumptions"])


def test_a_medicare_part_a_payer_on_a_per_diem_is_priced_as_set_up_and_said_so():
    result = run(ref=stay(30), rate=per_diem_rate("650.00"), payer="medicare_a")

    assert result["revenue"]["total"] == D("650.00") * 30
    assert result["revenue"]["adjustments"] == []
    assert ("Original Medicare Part A pays by PDPM; this payer's rate is a per diem: the stay is "
            "priced as it is set up, without the 100-day benefit period, coinsurance and "
            "sequestration." in result["assumptions"])
    acuity = run(ref=stay(30), rate=engine.Rate(method="acuity", acuity_rates=ACUITY_RATES),
                 payer="medicare_a")
    assert any("this payer's rate is by acuity level" in a for a in acuity["assumptions"])
    assert not any("pays by PDPM" in a for a in run(ref=stay(30), rate=per_diem_rate(),
                                                     payer="medicaid")["assumptions"])


def test_a_commercial_contract_at_a_percentage_of_pdpm_is_said_to_be_one():
    result = run(ref=stay(25), rate=medicare(percent_of_pdpm=D(110)), payer="commercial")

    # 110% of day 1's 946.52 = 1041.172 -> 1041.17; no coinsurance from day 21.
    assert result["revenue"]["days"][0]["amount"] == D("1041.17")
    assert result["revenue"]["pdpm"]["coinsurance_total"] == D(0)
    assert ("This Commercial payer's rate is 110% of PDPM, not Medicare's: the 100-day benefit "
            "period, coinsurance and sequestration do not apply to it." in result["assumptions"])
    assert not any(a.startswith("Medicare Advantage") for a in result["assumptions"])
