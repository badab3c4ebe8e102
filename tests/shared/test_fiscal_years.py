"""Fiscal years (issue 12, item 3): each day priced by the tables of its own fiscal year, FY2027
from the proposed rule, and a stay past the newest loaded year. Pure: no database (the stored
years are in test_fiscal_years_data.py), so the engine's mutation run can use it.

FY2027 urban per diem of KBGE (TK, SB, HBC1, NE), wage index 1.1, derived by hand. The CMIs are
FY2026's (assumed unchanged): PT TK 1.44, OT TK 1.46, SLP SB 1.72, nursing HBC1 1.76, NTA NE 0.91.
  PT 1.44 x 77.45 = 111.528 -> 111.53      OT 1.46 x 72.09 = 105.2514 -> 105.25
  SLP 1.72 x 28.92 = 49.7424 -> 49.74      nursing 1.76 x 134.99 = 237.5824 -> 237.58
  NTA 0.91 x 101.85 = 92.6835 -> 92.68     non-case-mix 120.89
  Day 4 (factors 1.00): total 717.67; labor 717.67 x 0.719 = 516.00473 -> 516.00, x 1.1 = 567.60;
    non-labor 717.67 x 0.281 = 201.66527 -> 201.67; payment 769.27.
  Day 1 (NTA x 3 = 278.04): total 903.03; labor 649.27857 -> 649.28, x 1.1 = 714.208 -> 714.21;
    non-labor 253.75143 -> 253.75; payment 967.96.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from shared.engine import evaluation as engine
from shared.engine import pdpm
from tests.shared.test_engine import (KBGE, URBAN_2026, cost_model, facility, run,
                                     tables_from_csv, weights)
from tests.shared.test_engine import referral as engine_referral

D = Decimal
URBAN_2027 = tables_from_csv(2027, "urban")
YEARS = {2026: pdpm.FiscalYear(2026, "final", "FY2026 final rule", D("0.032")),
         2027: pdpm.FiscalYear(2027, "proposed", "CMS-1843-P", D("0.024"),
                               "Labor share not found.")}


def medicare(**changes) -> engine.Rate:
    terms = {"tables": URBAN_2026, "wage_index": D("1.1000"), "vbp_multiplier": D(1),
             "coinsurance_per_day": None, "coinsurance_by_year": {2026: D("217.00")},
             "tables_by_year": {2026: URBAN_2026, 2027: URBAN_2027}, "fiscal_years": YEARS}
    return engine.Rate(method="pdpm", pdpm=engine.PdpmTerms(**{**terms, **changes}))


# --- pricing each day by its fiscal year ------------------------------------------------------

def test_fy2027_per_diems_follow_the_hand_derivation():
    rates = pdpm.component_rates(URBAN_2027, KBGE)
    assert rates == {"PT": D("111.53"), "OT": D("105.25"), "SLP": D("49.74"),
                     "NURSING": D("237.58"), "NTA": D("92.68"), "NON_CASE_MIX": D("120.89")}
    assert pdpm.daily_per_diems(URBAN_2027, rates, days=4, wage_index=D("1.1"),
                                vbp_multiplier=D(1)) == [D("967.96")] * 3 + [D("769.27")]


def test_a_stay_across_1_october_prices_each_day_with_its_fiscal_years_tables():
    # From 29 Sep 2026: days 1-2 in FY2026 (946.52 each, NTA x 3), day 3 on 1 Oct 2026 in
    # FY2027 still an NTA x 3 day of the stay (967.96), days 4-5 769.27: total
    # 2 x 946.52 + 967.96 + 2 x 769.27 = 4399.54.
    result = run(ref=engine_referral(length_of_stay_days=5, classification=KBGE,
                                     admission_date=date(2026, 9, 29)), rate=medicare())
    days = result["revenue"]["days"]
    assert [d["amount"] for d in days] == [D("946.52"), D("946.52"), D("967.96"),
                                           D("769.27"), D("769.27")]
    assert result["revenue"]["total"] == D("4399.54")
    assert [(d["fiscal_year"], d["rates_status"]) for d in days] == [
        (2026, "final"), (2026, "final"), (2027, "proposed"), (2027, "proposed"),
        (2027, "proposed")]
    years = result["revenue"]["pdpm"]["fiscal_years"]
    assert [(y["fiscal_year"], y["priced_with"], y["status"], y["notes"], y["days"])
            for y in years] == [(2026, 2026, "final", None, 2),
                                (2027, 2027, "proposed", "Labor share not found.", 3)]
    assert years[1]["component_rates"]["NURSING"] == D("237.58")
    assert [y["labor_related_share"] for y in years] == [D("0.719"), D("0.719")]
    assert ("3 day(s) in FY2027 are priced on FY2027's proposed rates (CMS-1843-P), not final "
            "ones. Labor share not found." in result["assumptions"])
    assert any(a.startswith("The rate is set up for FY2026, but the stay has days in FY2027")
               for a in result["assumptions"])


def test_a_day_past_the_newest_loaded_year_is_priced_with_the_newest_and_says_so():
    # From 29 Sep 2027: days 3-5 fall in FY2028, not loaded: FY2027's tables price them.
    result = run(ref=engine_referral(length_of_stay_days=5, classification=KBGE,
                                     admission_date=date(2027, 9, 29)), rate=medicare())
    days = result["revenue"]["days"]
    assert [(d["fiscal_year"], d["priced_with_fiscal_year"]) for d in days] == [
        (2027, 2027)] * 2 + [(2028, 2027)] * 3
    assert [d["amount"] for d in days] == [D("967.96")] * 3 + [D("769.27")] * 2
    assert ("No PDPM tables are loaded for FY2028: 3 day(s) in FY2028 are priced with "
            "FY2027's, the newest loaded." in result["assumptions"])
    assert any(a.startswith("The rate is set up for FY2026, but the stay has days in FY2027, "
                            "FY2028: ") for a in result["assumptions"])


def test_proposed_rates_without_notes_are_said_without_them():
    years = {**YEARS, 2027: pdpm.FiscalYear(2027, "proposed", "CMS-1843-P", D("0.024"))}
    result = run(ref=engine_referral(length_of_stay_days=2, classification=KBGE,
                                     admission_date=date(2026, 10, 5)),
                 rate=medicare(fiscal_years=years))
    assert ("2 day(s) in FY2027 are priced on FY2027's proposed rates (CMS-1843-P), not final "
            "ones." in result["assumptions"])


def test_a_stay_past_the_only_loaded_year_is_priced_with_it():
    # As the service loads them for a stay from 29 Sep 2027: FY2028 is not loaded, so FY2027's
    # tables are the only ones given, and they price FY2028's days too.
    rate = medicare(tables_by_year={2027: URBAN_2027})
    result = run(ref=engine_referral(length_of_stay_days=5, classification=KBGE,
                                     admission_date=date(2027, 9, 29)), rate=rate)
    assert [(d["fiscal_year"], d["priced_with_fiscal_year"], d["amount"])
            for d in result["revenue"]["days"]] == [
        (2027, 2027, D("967.96"))] * 2 + [(2028, 2027, D("967.96"))] + [
        (2028, 2027, D("769.27"))] * 2


def test_of_three_loaded_years_a_later_day_is_priced_with_the_newest():
    rate = medicare(tables_by_year={2025: tables_from_csv(2025, "urban"), 2026: URBAN_2026,
                                    2027: URBAN_2027})
    assert rate.pdpm.tables_for(2028) is URBAN_2027
    assert rate.pdpm.tables_for(2024).fiscal_year == 2025


def test_a_day_before_the_oldest_loaded_year_is_priced_with_the_oldest_and_says_so():
    # From 1 Sep 2025 (FY2025), with FY2026 and FY2027 loaded: FY2026's tables price the days
    # (NTA x 3 days: 946.52 each).
    result = run(ref=engine_referral(length_of_stay_days=3, classification=KBGE,
                                     admission_date=date(2025, 9, 1)), rate=medicare())
    days = result["revenue"]["days"]
    assert [(d["fiscal_year"], d["priced_with_fiscal_year"], d["amount"]) for d in days] == [
        (2025, 2026, D("946.52"))] * 3
    assert ("No PDPM tables are loaded for FY2025: 3 day(s) in FY2025 are priced with "
            "FY2026's, the oldest loaded." in result["assumptions"])
    assert ("The rate is set up for FY2026, but the stay has days in FY2025: they are priced "
            "with the PDPM tables of the fiscal year each day falls in, at the rate's wage index "
            "and VBP multiplier (CMS updates both each year: a rate set up for that year would "
            "use the new ones)." in result["assumptions"])


# --- the rate in force on each day (tester defect 1) -------------------------------------------

FY2027_RATE = dataclasses.replace(
    medicare(tables=URBAN_2027, wage_index=D("0.9700")), effective_from=date(2026, 10, 1))


def run_with(later_rates, ref, rate=None, then_payer=None, **referral_changes) -> dict:
    if then_payer is not None or referral_changes:
        ref = dataclasses.replace(ref, then_payer=then_payer, **referral_changes)
    return engine.evaluate(ref, facility(), "medicare_a", rate or medicare(), cost_model(),
                           weights(), later_rates=tuple(later_rates))


def across_1_october(days: int = 10) -> engine.Referral:
    return engine_referral(length_of_stay_days=days, classification=KBGE,
                           admission_date=date(2026, 9, 29))


def test_a_later_rate_prices_the_days_from_its_first_day_with_its_own_terms():
    # 29-30 September: the FY2026 rate at 1.1 (946.52). From 1 October the FY2027 rate at
    # 0.97: day 3 (NTA x 3) 903.03 -> labor 649.28 x 0.97 = 629.80 + 253.75 = 883.55; days
    # 4-10 717.67 -> 516.00 x 0.97 = 500.52 + 201.67 = 702.19. 7691.92 in all.
    result = run_with([FY2027_RATE], across_1_october())
    assert [d["amount"] for d in result["revenue"]["days"]] == (
        [D("946.52")] * 2 + [D("883.55")] + [D("702.19")] * 7)
    assert result["revenue"]["total"] == D("7691.92")
    years = result["revenue"]["pdpm"]["fiscal_years"]
    assert [(y["fiscal_year"], y["rate_fiscal_year"]) for y in years] == [(2026, 2026),
                                                                         (2027, 2027)]
    # Each year's days by a rate set up for it: nothing priced off its year to say.
    assert not any("set up for FY" in a for a in result["assumptions"])
    # The detail's rate terms are the first day's.
    detail = result["revenue"]["pdpm"]
    assert (detail["fiscal_year"], detail["wage_index"]) == (2026, D("1.1000"))


def test_without_the_later_rate_the_first_prices_every_day_at_its_own_terms():
    result = run_with([], across_1_october())
    assert [d["amount"] for d in result["revenue"]["days"]][2:4] == [D("967.96"), D("769.27")]


def test_rates_of_another_year_are_said_by_the_year_each_is_set_up_for():
    # A rate set up for FY2027 from 1 October 2027 prices FY2028's days: said for FY2027's
    # rate; the FY2026 rate's FY2027 days are said for FY2026's.
    later = dataclasses.replace(FY2027_RATE, effective_from=date(2027, 10, 1))
    result = run_with([later], engine_referral(length_of_stay_days=3, classification=KBGE,
                                               admission_date=date(2027, 9, 30)))
    said = [a for a in result["assumptions"] if a.startswith("The rate is set up for")]
    assert said == [
        "The rate is set up for FY2026, but the stay has days in FY2027: they are priced with "
        "the PDPM tables of the fiscal year each day falls in, at the rate's wage index and VBP "
        "multiplier (CMS updates both each year: a rate set up for that year would use the new "
        "ones).",
        "The rate is set up for FY2027, but the stay has days in FY2028: they are priced with "
        "the PDPM tables of the fiscal year each day falls in, at the rate's wage index and VBP "
        "multiplier (CMS updates both each year: a rate set up for that year would use the new "
        "ones)."]


def test_a_qrp_reduced_later_rate_reduces_its_own_days_only():
    reduced = dataclasses.replace(FY2027_RATE, pdpm=dataclasses.replace(FY2027_RATE.pdpm,
                                                                        qrp_reduced=True))
    result = run_with([reduced], across_1_october(4))
    days = result["revenue"]["days"]
    assert [d["qrp_reduction"] for d in days[:2]] == [D(0), D(0)]
    assert all(d["qrp_reduction"] < 0 for d in days[2:])
    assert result["revenue"]["pdpm"]["qrp_reduced"] is True
    lines = {a["code"]: a["amount"] for a in result["revenue"]["adjustments"]}
    assert lines["qrp_reduction"] == sum(d["qrp_reduction"] for d in days)
    # Its days are reduced as that rate alone reduces them, by FY2027's own reduced rates.
    alone = run_with([], across_1_october(4), rate=reduced)["revenue"]["days"]
    assert [d["qrp_reduction"] for d in days[2:]] == [d["qrp_reduction"] for d in alone[2:]]
    # The unreduced first rate and the reduced later one in one year: each its own rates.
    same_year = dataclasses.replace(reduced, effective_from=date(2026, 10, 3))
    split = run_with([FY2027_RATE, same_year], across_1_october(6))
    assert [d["qrp_reduction"] == 0 for d in split["revenue"]["days"]] == [True] * 4 + [False] * 2


def test_a_medicare_advantage_rate_then_original_medicare_sequesters_only_the_latter():
    advantage = medicare(percent_of_pdpm=D("90.00"))
    result = run_with([FY2027_RATE], across_1_october(4), rate=advantage)
    days = result["revenue"]["days"]
    assert [d["sequestration"] == 0 for d in days] == [True, True, False, False]
    assert "sequestration" in {a["code"] for a in result["revenue"]["adjustments"]}
    assert days[0]["amount"] == D("851.87")    # 90% of 946.52 = 851.868
    only_advantage = run_with([], across_1_october(4), rate=advantage)
    assert "sequestration" not in {a["code"] for a in only_advantage["revenue"]["adjustments"]}


def test_the_then_payer_pays_each_day_at_its_rate_in_force_and_says_so():
    medicaid = engine.ThenPayer("Ohio Medicaid", "medicaid", D("250.00"),
                                later=((date(2026, 10, 5), D("262.50")),
                                       (date(2026, 10, 7), D("270.00"))))
    # 96 days used: Medicare pays days 1-4 (29 September - 2 October), Medicaid days 5-10:
    # 3-4 October at 250.00, 5-6 October at 262.50, 7-8 October at 270.00.
    result = run_with([FY2027_RATE], across_1_october(), then_payer=medicaid,
                      benefit_days_used=96)
    days = result["revenue"]["days"]
    assert [d["amount"] for d in days[4:]] == (
        [D("250.00")] * 2 + [D("262.50")] * 2 + [D("270.00")] * 2)
    assert result["revenue"]["pdpm"]["then_payer"]["total"] == D("1565.00")
    assert ("The 6 day(s) Medicare does not cover are paid by Ohio Medicaid (medicaid) at "
            "250.00 a day, 262.50 from 2026-10-05, 270.00 from 2026-10-07, its rates in force "
            "at the facility on those days." in result["assumptions"])
    assert medicaid.per_day_on(date(2026, 10, 4)) == D("250.00")
    assert medicaid.per_day_on(date(2026, 10, 5)) == D("262.50")


def test_per_diem_and_acuity_rates_may_follow_each_other():
    per_diem = engine.Rate(method="per_diem", per_diem=D("400.00"))
    acuity = engine.Rate(method="acuity", acuity_rates={"moderate": D("420.50")},
                         effective_from=date(2026, 3, 4))
    stay = engine_referral(length_of_stay_days=4, admission_date=date(2026, 3, 2))
    earned = engine.revenue(stay, per_diem, later_rates=(acuity,), payer_type="medicaid")
    assert [d["amount"] for d in earned["days"]] == [D("400.00")] * 2 + [D("420.50")] * 2
    assert (earned["method"], earned["total"]) == ("per_diem", D("1641.00"))
