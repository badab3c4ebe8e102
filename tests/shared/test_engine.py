"""The pure admission engine: from hand-built inputs to revenue, cost, margin, factors, score,
hard stops and recommendation. No database: the FY2026 PDPM tables come from the reference CSV
files directly."""
from __future__ import annotations

import csv
import dataclasses
import os
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.catalog import ACUITY_LEVELS, PAYER_TYPES, SERVICES
from shared.engine import evaluation as engine
from shared.engine import pdpm

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "pdpm"
D = Decimal
CENT_EXPONENT = -2


def _csv(name: str) -> list[dict]:
    with open(REFERENCE / name, newline="") as f:
        return list(csv.DictReader(f))


def tables_from_csv(fiscal_year: int, area: str) -> pdpm.Tables:
    base = {r["component"]: D(r["rate"]) for r in _csv("base_rates.csv")
            if int(r["fiscal_year"]) == fiscal_year and r["area"] == area}
    cmis: dict[str, dict[str, Decimal]] = {}
    hipps: dict[str, dict[str, str]] = {}
    for r in _csv("case_mix_indexes.csv"):
        if int(r["fiscal_year"]) == fiscal_year:
            cmis.setdefault(r["component"], {})[r["group"]] = D(r["cmi"])
            hipps.setdefault(r["component"], {})[r["hipps_char"]] = r["group"]
    share = next(D(r["labor_related_share"]) for r in _csv("labor_share.csv")
                 if int(r["fiscal_year"]) == fiscal_year)
    vpd: dict[str, list] = {}
    for r in _csv("vpd.csv"):
        vpd.setdefault(r["component"], []).append(
            (int(r["first_day"]), int(r["last_day"]), D(r["factor"])))
    qrp = {r["component"]: D(r["qrp_reduced_rate"]) if r["qrp_reduced_rate"] else None
           for r in _csv("base_rates.csv")
           if int(r["fiscal_year"]) == fiscal_year and r["area"] == area}
    return pdpm.Tables(fiscal_year=fiscal_year, area=area, base_rates=base, cmis=cmis,
                       hipps=hipps, labor_share=share, vpd=vpd, qrp_base_rates=qrp)


URBAN_2026 = tables_from_csv(2026, "urban")
COINSURANCE_2026 = D("217.00")
KBGE = pdpm.Classification("TK", "SB", "HBC1", "NE")
RECEIVED = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


# --- hand-built inputs -------------------------------------------------------------------------

def referral(**changes) -> engine.Referral:
    base = engine.Referral(length_of_stay_days=10, acuity="moderate", required_services=(),
                           medication_cost_per_day=D("20.00"), received_at=RECEIVED)
    return dataclasses.replace(base, **changes)


def facility(**changes) -> engine.FacilityState:
    base = engine.FacilityState(bed_count=100, current_census=80, target_occupancy_pct=D("90"))
    return dataclasses.replace(base, **changes)


def per_diem_rate(amount="500.00") -> engine.Rate:
    return engine.Rate(method="per_diem", per_diem=D(amount))


ACUITY_RATES = {"low": D("300.00"), "moderate": D("400.00"), "high": D("550.00"),
                "complex": D("700.00")}


def pdpm_rate(*, wage_index="1.1000", vbp="1.0", coinsurance=COINSURANCE_2026) -> engine.Rate:
    return engine.Rate(method="pdpm", pdpm=engine.PdpmTerms(
        tables=URBAN_2026, wage_index=D(wage_index), vbp_multiplier=D(vbp),
        coinsurance_per_day=coinsurance))


def cost_model(**changes) -> engine.CostModel:
    base = engine.CostModel(
        fixed_daily_cost=D("150.00"),
        nursing_hours_per_day={"low": D("2"), "moderate": D("3"), "high": D("4.5"),
                               "complex": D("6")},
        nursing_wage_hourly=D("40.00"),
        therapy_cost_per_day=D("50.00"),
        service_costs={"iv_therapy": D("35.00"), "wound_vac": D("60.00"),
                       "oxygen": D("12.50")},
        default_medication_cost_per_day=D("15.00"),
        supported_services=frozenset(SERVICES) - {"ventilator", "dialysis"})
    return dataclasses.replace(base, **changes)


def weights(**changes) -> engine.Weights:
    base = engine.Weights(
        factor_weights={"margin": D(35), "census": D(20), "payer": D(15), "clinical": D(15),
                        "risk": D(15)},
        target_margin_pct=D(15), margin_floor_pct=D(-5),
        payer_preferences={"medicare_a": D(90), "medicare_advantage": D(60),
                           "medicaid": D(30)},
        accept_threshold=D(70), review_threshold=D(50))
    return dataclasses.replace(base, **changes)


def run(ref=None, fac=None, payer=None, rate=None, model=None, w=None) -> dict:
    """The evaluation; a PDPM rate's payer is Original Medicare Part A unless told."""
    rate = rate or per_diem_rate()
    payer = payer or ("medicare_a" if rate.method == "pdpm" else "medicare_advantage")
    return engine.evaluate(ref or referral(), fac or facility(), payer, rate,
                           model or cost_model(), w or weights())


def factor(result: dict, name: str) -> dict:
    return next(f for f in result["factors"] if f["name"] == name)


def codes(result: dict) -> list[str]:
    return [h["code"] for h in result["hard_stops"]]


# --- revenue by method -------------------------------------------------------------------------

def test_per_diem_method_end_to_end():
    result = run()
    # Revenue 500.00 x 10 days = 5000.00.
    assert [d["amount"] for d in result["revenue"]["days"]] == [D("500.00")] * 10
    assert result["revenue"]["total"] == D("5000.00")
    assert result["revenue"]["per_day_average"] == D("500.00")
    assert result["revenue"]["pdpm"] is None
    # Each day dated from the day the referral was received; the payer pays it all.
    assert [(d["day"], d["date"]) for d in result["revenue"]["days"]] == [
        (n + 1, date(2026, 3, 2) + timedelta(days=n)) for n in range(10)]
    assert {(d["payer_pays"], d["patient_pays"], d["net"]) for d in result["revenue"]["days"]} == {
        (D("500.00"), D("0"), D("500.00"))}
    # Cost per day: fixed 150.00 + nursing 3 h x 40.00 = 120.00 + therapy 50.00 + services 0
    # + medication 20.00 = 340.00; x 10 = 3400.00.
    assert result["cost"]["per_day"] == D("340.00")
    assert result["cost"]["breakdown"] == {"fixed": D("150.00"), "nursing": D("120.00"),
                                           "therapy": D("50.00"), "services": {},
                                           "medication": D("20.00")}
    assert result["cost"]["total"] == D("3400.00")
    # Margin 1600.00 = 32.00 % of revenue.
    assert result["margin"] == D("1600.00")
    assert result["margin_pct"] == D("32.00")
    # Factors: margin 32/15 x 100 = 213 -> 100; census 50 + 5 x (90 - 80) = 100; payer 60;
    # clinical 100; risk 100 - 200 x 20/500 = 92.
    values = {f["name"]: f["value"] for f in result["factors"]}
    assert values == {"margin": D("100.0"), "census": D("100.0"), "payer": D("60.0"),
                      "clinical": D("100.0"), "risk": D("92.0")}
    # Score (35 x 100 + 20 x 100 + 15 x 60 + 15 x 100 + 15 x 92) / 100 = 92.8.
    assert result["score"] == D("92.8")
    assert result["recommendation"] == "accept"
    assert result["hard_stops"] == []
    assert result["assumptions"] == []


def test_acuity_method_uses_the_rate_of_the_referrals_acuity():
    rate = engine.Rate(method="acuity", acuity_rates=ACUITY_RATES)
    result = run(ref=referral(acuity="high", length_of_stay_days=4), rate=rate)
    assert [d["amount"] for d in result["revenue"]["days"]] == [D("550.00")] * 4
    assert result["revenue"]["total"] == D("2200.00")
    # Nursing 4.5 h x 40.00 = 180.00: cost per day 150 + 180 + 50 + 20 = 400.00.
    assert result["cost"]["breakdown"]["nursing"] == D("180.00")
    assert result["cost"]["total"] == D("1600.00")
    assert result["margin"] == D("600.00")


def test_pdpm_method_pays_the_daily_per_diems_of_the_classification():
    result = run(ref=referral(length_of_stay_days=30, classification=KBGE), rate=pdpm_rate())
    revenue = result["revenue"]
    # Per diems derived in test_pdpm.py: days 1-3 946.52, 4-20 752.23, 21-27 747.68,
    # 28-30 743.14; total 23090.65.
    assert [d["amount"] for d in revenue["days"]] == (
        [D("946.52")] * 3 + [D("752.23")] * 17 + [D("747.68")] * 7 + [D("743.14")] * 3)
    assert revenue["total"] == D("23090.65")
    assert revenue["per_day_average"] == D("769.69")    # 23090.65 / 30 = 769.688...
    detail = revenue["pdpm"]
    assert detail["hipps"] == "KBGE"
    assert detail["groups"] == {"pt_ot": "TK", "slp": "SB", "nursing": "HBC1", "nta": "NE"}
    assert detail["assumed_groups"] is False
    assert (detail["fiscal_year"], detail["area"]) == (2026, "urban")
    assert detail["component_rates"]["NURSING"] == D("232.32")
    assert revenue["method"] == "pdpm"
    assert (detail["wage_index"], detail["vbp_multiplier"], detail["labor_related_share"]) == (
        D("1.1000"), D("1.0"), D("0.719"))
    assert (detail["covered_days"], detail["uncovered_days"]) == (30, 0)
    # None of the optional facts given: no HIV/AIDS adjustment, not an interrupted stay, skilled
    # all along, no then-payer, QRP met, Original Medicare.
    assert {key: detail[key] for key in ("hiv_aids", "interrupted_stay", "skilled_days",
                                         "then_payer", "qrp_reduced", "percent_of_pdpm")} == {
        "hiv_aids": False, "interrupted_stay": None, "skilled_days": None, "then_payer": None,
        "qrp_reduced": False, "percent_of_pdpm": None}
    assert all(type(detail[key]) is bool for key in ("hiv_aids", "qrp_reduced"))
    assert result["assumptions"][:3] == [
        "The PDPM classification is an estimate until the 5-day assessment.",
        "Admission date not given: assumed the day the referral was received, 2026-03-02.",
        "SNF days already used in the benefit period not given: assumed none (a new benefit "
        "period), so Medicare covers up to 100 days and coinsurance starts on day 21 of this "
        "stay."]


def test_medicare_coinsurance_from_day_21_is_what_the_patient_pays():
    result = run(ref=referral(length_of_stay_days=30, classification=KBGE), rate=pdpm_rate())
    days = result["revenue"]["days"]
    for day in days[:20]:
        assert (day["patient_pays"], day["payer_pays"]) == (D("0.00"), day["amount"])
    for day in days[20:]:
        assert day["patient_pays"] == D("217.00")
        assert day["payer_pays"] == day["amount"] - D("217.00")
    assert days[20]["payer_pays"] == D("530.68")    # day 21: 747.68 - 217.00
    detail = result["revenue"]["pdpm"]
    assert detail["coinsurance_per_day"] == D("217.00")
    assert detail["coinsurance_days"] == 10
    assert detail["coinsurance_total"] == D("2170.00")
    # One amount for every year: the year's own, so nothing is said of another year's.
    assert detail["coinsurance_by_year"] == [{"calendar_year": 2026, "per_day": D("217.00"),
                                              "amount_of_year": 2026, "days": 10,
                                              "total": D("2170.00")}]
    assert not any(a.startswith("No SNF coinsurance amount") for a in result["assumptions"])


def test_a_coinsurance_under_a_dollar_still_counts_its_days():
    result = run(ref=referral(length_of_stay_days=25, classification=KBGE),
                 rate=pdpm_rate(coinsurance=D("0.50")))

    detail = result["revenue"]["pdpm"]
    assert (detail["coinsurance_days"], detail["coinsurance_total"]) == (5, D("2.50"))


def test_coinsurance_is_capped_at_the_days_amount():
    # VBP 0.25: day 21 = 747.68 x 0.25 = 186.92 < 217.00, so the patient pays all of it.
    result = run(ref=referral(length_of_stay_days=21, classification=KBGE),
                 rate=pdpm_rate(vbp="0.25"))
    day21 = result["revenue"]["days"][20]
    assert day21["amount"] == D("186.92")
    assert (day21["patient_pays"], day21["payer_pays"]) == (D("186.92"), D("0.00"))
    assert result["revenue"]["pdpm"]["coinsurance_total"] == D("186.92")


def test_days_after_100_are_not_covered_and_earn_nothing():
    result = run(ref=referral(length_of_stay_days=120, classification=KBGE), rate=pdpm_rate())
    detail = result["revenue"]["pdpm"]
    assert (detail["covered_days"], detail["uncovered_days"]) == (100, 20)
    assert detail["covered_days"] <= pdpm.MAX_COVERED_DAYS
    days = result["revenue"]["days"]
    assert len(days) == 120
    assert days[99]["amount"] == D("697.70")          # day 100, derived in test_pdpm.py
    for day in days[100:]:
        assert (day["amount"], day["payer_pays"], day["patient_pays"]) == (0, 0, 0)
    assert detail["coinsurance_days"] == 80          # days 21-100
    assert ("Medicare Part A covers at most 100 days; 20 day(s) earn nothing under it."
            in result["assumptions"])


@pytest.mark.parametrize("acuity, hipps, groups", [
    ("low", "KAXF", ("TK", "SA", "PBC1", "NF")),
    ("moderate", "KAPE", ("TK", "SA", "CBC1", "NE")),
    ("high", "KAGD", ("TK", "SA", "HBC1", "ND")),
    ("complex", "KABC", ("TK", "SA", "ES2", "NC")),
])
def test_default_pdpm_groups_are_assumed_and_named_when_none_are_given(acuity, hipps, groups):
    result = run(ref=referral(acuity=acuity, classification=None), rate=pdpm_rate())
    detail = result["revenue"]["pdpm"]
    assert detail["assumed_groups"] is True
    assert detail["hipps"] == hipps
    assert tuple(detail["groups"].values()) == groups
    assert result["assumptions"][0] == (
        f"PDPM groups not given: assumed {hipps} ({', '.join(groups)}) for {acuity} acuity.")
    explicit = run(ref=referral(acuity=acuity, classification=pdpm.Classification(*groups)),
                   rate=pdpm_rate())
    assert explicit["revenue"]["days"] == result["revenue"]["days"]
    assert not any(a.startswith("PDPM groups not given") for a in explicit["assumptions"])


def test_a_referral_made_without_pdpm_groups_has_them_assumed():
    made = engine.Referral(length_of_stay_days=10, acuity="high", required_services=(),
                           medication_cost_per_day=None, received_at=RECEIVED)

    assert run(ref=made, rate=pdpm_rate())["revenue"]["pdpm"]["assumed_groups"] is True


def test_the_engines_inputs_cannot_be_changed_once_made():
    # Frozen: placement comparison hands one referral and one set of weights to every
    # facility's evaluation, and none of them may change it for the next.
    for made in (referral(), facility(), per_diem_rate(), pdpm_rate().pdpm, cost_model(),
                 weights(), engine.ThenPayer("Ohio Medicaid", "medicaid", D("250.00"))):
        field = dataclasses.fields(made)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, field, None)


def test_default_medication_cost_is_used_and_said_when_none_is_given():
    result = run(ref=referral(medication_cost_per_day=None))
    assert result["cost"]["breakdown"]["medication"] == D("15.00")
    assert result["assumptions"] == [
        "Medication cost not given: the cost model's default was used."]


# --- hard stops --------------------------------------------------------------------------------

def test_an_unsupported_service_declines_naming_the_service():
    result = run(ref=referral(required_services=("oxygen", "ventilator")))
    assert result["recommendation"] == "decline"
    stop = next(h for h in result["hard_stops"] if h["code"] == "service_not_provided")
    assert "Ventilator" in stop["message"]
    assert "Oxygen" not in stop["message"]
    assert factor(result, "clinical")["value"] == D("0.0")
    assert result["score"] >= D(70)    # the score alone would accept: the hard stop overrides


def test_a_margin_under_the_floor_declines():
    # Revenue 300.00/day against cost 340.00/day: margin -400.00 = -13.33 % < -5 %.
    result = run(rate=per_diem_rate("300.00"))
    assert result["margin_pct"] == D("-13.33")
    assert codes(result) == ["margin_below_floor"]
    assert result["recommendation"] == "decline"
    assert result["hard_stops"][0]["message"] == "margin -13.33% is under the floor of -5%"


def test_weights_are_relative_fractions_summing_to_1_score_as_their_hundredfold():
    # 0.35, 0.20, 0.15, 0.15, 0.15: a total weight of 1, under the scale of the defaults.
    fractions = {name: weight / 100 for name, weight in weights().factor_weights.items()}
    result = run(w=weights(factor_weights=fractions))
    assert result["score"] == run()["score"] == D("92.8")
    assert [f["contribution"] for f in result["factors"]] == [
        f["contribution"] for f in run()["factors"]]


def test_a_margin_exactly_at_the_floor_is_not_a_hard_stop():
    # Revenue 400.00 - cost 420.00 (medication 100.00) = -20.00/day = -5.00 % of revenue.
    result = run(ref=referral(medication_cost_per_day=D("100.00")), rate=per_diem_rate("400.00"))
    assert result["margin_pct"] == D("-5.00")
    assert "margin_below_floor" not in codes(result)


@pytest.mark.parametrize("census, stopped", [(99, False), (100, True), (101, True)])
def test_census_at_the_bed_count_is_no_bed(census, stopped):
    result = run(fac=facility(bed_count=100, current_census=census))
    assert ("no_bed" in codes(result)) is stopped
    if stopped:
        assert result["recommendation"] == "decline"
        assert result["hard_stops"] == [
            {"code": "no_bed", "message": "the facility's census is at its bed count"}]


# --- recommendation thresholds -----------------------------------------------------------------

@pytest.mark.parametrize("preference, recommendation", [
    ("100", "accept"), ("70.0", "accept"), ("69.9", "review"), ("50.0", "review"),
    ("49.9", "decline"), ("0", "decline"),
])
def test_recommendation_thresholds_at_exact_boundaries(preference, recommendation):
    # Only the payer factor weighs, so the score is the payer preference.
    w = weights(factor_weights={"margin": D(0), "census": D(0), "payer": D(10),
                                "clinical": D(0), "risk": D(0)},
                payer_preferences={"commercial": D(preference)},
                accept_threshold=D("70.0"), review_threshold=D("50.0"))
    result = run(payer="commercial", w=w)
    assert result["score"] == D(preference)
    assert result["hard_stops"] == []
    assert result["recommendation"] == recommendation


def test_census_need_is_50_plus_5_points_per_percent_under_the_target_occupancy():
    result = run(fac=facility(current_census=88, target_occupancy_pct=D("90")))

    census = factor(result, "census")
    assert census["value"] == D("60.0")
    assert census["detail"] == "occupancy 88.0% against a target of 90%"


def test_every_factor_value_and_detail_worked_by_hand():
    # Per diem 500.00; cost 150 + 3 h x 40 + 50 + IV 35 + medication 37 = 392.00 a day, so the
    # margin is 21.60%: 21.60 / 30 x 100 = 72.0. Occupancy 88 of 100, target 90: 50 + 5 x 2.
    # Medication 37 / 500 = 7.4% of revenue: 100 - 200 x 0.074 = 85.2.
    result = run(ref=referral(required_services=("iv_therapy", "dialysis", "ventilator"),
                              medication_cost_per_day=D("37.00")),
                 fac=facility(current_census=88), w=weights(target_margin_pct=D(30)))

    assert {f["name"]: (f["value"], f["detail"]) for f in result["factors"]} == {
        "margin": (D("72.0"), "margin 21.60% against a target of 30%"),
        "census": (D("60.0"), "occupancy 88.0% against a target of 90%"),
        "payer": (D("60.0"), "the organization's preference for medicare_advantage"),
        "clinical": (D("0.0"), "cannot provide: Dialysis, Ventilator"),
        "risk": (D("85.2"), "medication 37.00/day is 7.4% of the daily revenue"),
    }
    assert factor(run(), "clinical")["detail"] == "the facility provides every required service"


@pytest.mark.parametrize("per_diem, share", [("0.00", "100.0"), ("0.50", "4000.0")])
def test_medication_against_no_or_almost_no_revenue_is_all_risk(per_diem, share):
    risk = factor(run(rate=per_diem_rate(per_diem)), "risk")

    assert risk["value"] == D("0.0")
    assert risk["detail"] == f"medication 20.00/day is {share}% of the daily revenue"


def test_a_rate_of_cents_caps_the_margin_percentage():
    result = run(rate=per_diem_rate("0.05"))

    assert result["margin_pct"] == D("-99999.99")


def test_weights_all_zero_score_0_rather_than_divide_by_zero():
    # The business weights refuse this (one weight must be above zero); the engine must not fail
    # on it all the same.
    result = run(w=weights(factor_weights={name: D(0) for name in engine.FACTORS}))
    assert result["score"] == D("0.0")
    assert {f["contribution"] for f in result["factors"]} == {D("0.0")}
    assert result["recommendation"] == "decline"


def test_an_unknown_payer_type_preference_is_neutral():
    assert factor(run(payer="va"), "payer")["value"] == D("50.0")


# --- factors and money -------------------------------------------------------------------------

def _contributions_add_up(result: dict, w: engine.Weights) -> None:
    total_weight = sum(w.factor_weights.get(name, D(0)) for name in engine.FACTORS)
    for f in result["factors"]:
        exact = f["weight"] * f["value"] / total_weight if total_weight else D(0)
        assert abs(f["contribution"] - exact) <= D("0.05")
    assert abs(sum(f["contribution"] for f in result["factors"]) - result["score"]) \
        <= D("0.1") * len(result["factors"])


@pytest.mark.parametrize("case", ["per_diem", "pdpm", "unsupported"])
def test_factor_contributions_sum_to_the_score(case):
    if case == "per_diem":
        result, w = run(), weights()
    elif case == "pdpm":
        w = weights(factor_weights={"margin": D("33.3"), "census": D("16.7"), "payer": D(7),
                                    "clinical": D(11), "risk": D(13)})
        result = run(ref=referral(length_of_stay_days=25), rate=pdpm_rate(), w=w,
                     payer="medicare_a")
    else:
        w = weights()
        result = run(ref=referral(required_services=("dialysis",)), w=w)
    assert [f["name"] for f in result["factors"]] == list(engine.FACTORS)
    _contributions_add_up(result, w)


def _money_fields(result: dict) -> list[tuple[str, object]]:
    revenue, cost = result["revenue"], result["cost"]
    fields = [("revenue.total", revenue["total"]),
              ("revenue.per_day_average", revenue["per_day_average"]),
              ("cost.per_day", cost["per_day"]), ("cost.total", cost["total"]),
              ("margin", result["margin"]), ("margin_pct", result["margin_pct"])]
    for day in revenue["days"]:
        for key in ("amount", "payer_pays", "patient_pays"):
            fields.append((f"revenue.days[{day['day']}].{key}", day[key]))
    for key in ("fixed", "nursing", "therapy", "medication"):
        fields.append((f"cost.breakdown.{key}", cost["breakdown"][key]))
    for key, value in cost["breakdown"]["services"].items():
        fields.append((f"cost.breakdown.services.{key}", value))
    if revenue["pdpm"]:
        detail = revenue["pdpm"]
        fields.append(("pdpm.coinsurance_total", detail["coinsurance_total"]))
        fields.append(("pdpm.coinsurance_per_day", detail["coinsurance_per_day"]))
        for key, value in detail["component_rates"].items():
            fields.append((f"pdpm.component_rates.{key}", value))
    return fields


def _assert_money(result: dict) -> None:
    for name, value in _money_fields(result):
        assert isinstance(value, Decimal), name
        assert value.as_tuple().exponent == CENT_EXPONENT, f"{name} = {value!r}"


@pytest.mark.parametrize("case", ["per_diem", "acuity", "pdpm"])
def test_money_fields_are_decimals_with_2_places(case):
    # Inputs with other exponents (500, 4.5 h, 12.5) still give amounts in cents.
    model = cost_model(fixed_daily_cost=D("150"), therapy_cost_per_day=D("50.5"))
    ref = referral(length_of_stay_days=110, required_services=("oxygen", "iv_therapy"),
                   medication_cost_per_day=D("7"))
    rate = {"per_diem": per_diem_rate("500"),
            "acuity": engine.Rate(method="acuity", acuity_rates={k: D(int(v)) for k, v in
                                                                 ACUITY_RATES.items()}),
            "pdpm": pdpm_rate()}[case]
    _assert_money(run(ref=ref, rate=rate, model=model))


def test_money_fields_have_2_places_when_no_coinsurance_is_known():
    # What shared/services/evaluations.py passes when snf_coinsurance has no row for the year.
    result = run(ref=referral(length_of_stay_days=25, classification=KBGE),
                 rate=pdpm_rate(coinsurance=None))
    _assert_money(result)
    assert result["revenue"]["pdpm"]["coinsurance_known"] is False
    assert ("No SNF coinsurance amount is loaded for 2026: the patient's share from day 21 is "
            "not shown." in result["assumptions"])


@pytest.mark.parametrize("days, said", [(10, False), (20, False), (21, True)])
def test_a_missing_coinsurance_amount_is_said_only_when_a_day_owes_coinsurance(days, said):
    result = run(ref=referral(length_of_stay_days=days, classification=KBGE),
                 rate=pdpm_rate(coinsurance=None))
    assert any(a.startswith("No SNF coinsurance amount is loaded")
               for a in result["assumptions"]) is said


def test_a_coinsurance_total_under_a_dollar_is_still_collected_and_said():
    # Day 21 alone at 0.50: the coinsurance's collection is said, and its lines shown.
    result = run(ref=referral(length_of_stay_days=21, classification=KBGE),
                 rate=pdpm_rate(coinsurance=D("0.50")))
    assert result["revenue"]["pdpm"]["coinsurance_total"] == D("0.50")
    assert any(a.startswith("100% of the coinsurance is expected to be collected")
               for a in result["assumptions"])
    assert [a["code"] for a in result["revenue"]["adjustments"]] == [
        "sequestration", "uncollected_coinsurance", "bad_debt_reimbursement"]


# --- properties --------------------------------------------------------------------------------

# `make mutate` runs these once per mutant, hundreds of times: it asks for fewer examples.
PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")),
                             deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])
ACUITIES = sorted(ACUITY_LEVELS)
SERVICE_NAMES = sorted(SERVICES)


def money(max_cents: int = 100_000, min_cents: int = 0):
    return st.integers(min_cents, max_cents).map(lambda c: D(c).scaleb(-2))


def decimals(low: int, high: int, places: int):
    scale = 10 ** places
    return st.integers(low * scale, high * scale).map(lambda n: D(n).scaleb(-places))


hipps_classifications = st.builds(
    lambda pt, slp, nursing, nta: pdpm.Classification(
        URBAN_2026.hipps["PT"][pt], URBAN_2026.hipps["SLP"][slp],
        URBAN_2026.hipps["NURSING"][nursing], URBAN_2026.hipps["NTA"][nta]),
    st.sampled_from("ABCDEFGHIJKLMNOP"), st.sampled_from("ABCDEFGHIJKL"),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXY"), st.sampled_from("ABCDEF"))

referrals = st.builds(
    engine.Referral,
    length_of_stay_days=st.integers(1, 130),
    acuity=st.sampled_from(ACUITIES),
    required_services=st.lists(st.sampled_from(SERVICE_NAMES), unique=True, max_size=4)
    .map(tuple),
    medication_cost_per_day=st.none() | money(50_000),
    received_at=st.just(RECEIVED),
    classification=st.none() | hipps_classifications)


@st.composite
def facilities(draw):
    beds = draw(st.integers(1, 300))
    return engine.FacilityState(bed_count=beds, current_census=draw(st.integers(0, beds + 10)),
                                target_occupancy_pct=draw(decimals(0, 100, 2)
                                                          .filter(lambda v: v > 0)))


rates = st.one_of(
    st.builds(engine.Rate, method=st.just("per_diem"), per_diem=money(200_000)),
    st.builds(engine.Rate, method=st.just("acuity"),
              acuity_rates=st.fixed_dictionaries({a: money(200_000) for a in ACUITIES})),
    st.builds(engine.Rate, method=st.just("pdpm"), pdpm=st.builds(
        engine.PdpmTerms, tables=st.just(URBAN_2026),
        wage_index=decimals(0, 4, 4).filter(lambda v: v > 0),
        vbp_multiplier=decimals(0, 1, 5).filter(lambda v: v > 0) | st.just(D("1.0")),
        coinsurance_per_day=st.sampled_from([D("209.50"), D("217.00")]))),
)

cost_models = st.builds(
    engine.CostModel,
    fixed_daily_cost=money(100_000),
    nursing_hours_per_day=st.fixed_dictionaries({a: decimals(0, 24, 2) for a in ACUITIES}),
    nursing_wage_hourly=money(20_000),
    therapy_cost_per_day=money(50_000),
    service_costs=st.dictionaries(st.sampled_from(SERVICE_NAMES), money(50_000)),
    default_medication_cost_per_day=money(50_000),
    supported_services=st.frozensets(st.sampled_from(SERVICE_NAMES)))


@st.composite
def weight_sets(draw):
    factor_weights = draw(st.fixed_dictionaries({f: decimals(0, 100, 2) for f in engine.FACTORS}))
    review = draw(decimals(0, 100, 1))
    accept = draw(decimals(0, 100, 1).filter(lambda v: v >= review))
    return engine.Weights(
        factor_weights=factor_weights,
        target_margin_pct=draw(decimals(0, 100, 2).filter(lambda v: v > 0)),
        margin_floor_pct=draw(decimals(-100, 100, 2)),
        payer_preferences=draw(st.dictionaries(st.sampled_from(sorted(PAYER_TYPES)),
                                               decimals(0, 100, 2))),
        accept_threshold=accept, review_threshold=review)


evaluations = st.fixed_dictionaries({
    "referral": referrals, "facility": facilities(), "payer_type": st.sampled_from(
        sorted(PAYER_TYPES)), "rate": rates, "model": cost_models, "weights": weight_sets()})


def evaluate(case: dict) -> dict:
    return engine.evaluate(case["referral"], case["facility"], case["payer_type"], case["rate"],
                           case["model"], case["weights"])


@PROPERTY_SETTINGS
@given(evaluations)
def test_revenue_and_cost_totals_are_the_sums_of_their_days(case):
    result = evaluate(case)
    days = case["referral"].length_of_stay_days
    revenue, cost = result["revenue"], result["cost"]
    assert len(revenue["days"]) == days
    assert [d["day"] for d in revenue["days"]] == list(range(1, days + 1))
    assert revenue["total"] == sum(d["amount"] for d in revenue["days"])
    for d in revenue["days"]:
        assert d["payer_pays"] + d["patient_pays"] == d["amount"]
        assert D(0) <= d["patient_pays"] <= d["amount"]
    assert cost["total"] == cost["per_day"] * days == sum([cost["per_day"]] * days)
    breakdown = cost["breakdown"]
    assert cost["per_day"] == (breakdown["fixed"] + breakdown["nursing"] + breakdown["therapy"]
                               + sum(breakdown["services"].values()) + breakdown["medication"])
    # The margin is on what the facility keeps: the revenue after its adjustment lines.
    assert revenue["net_total"] == revenue["total"] + sum(a["amount"]
                                                          for a in revenue["adjustments"])
    assert revenue["net_total"] == sum(d["net"] for d in revenue["days"])
    assert result["margin"] == revenue["net_total"] - cost["total"]
    if revenue["pdpm"]:
        detail = revenue["pdpm"]
        assert detail["covered_days"] + detail["uncovered_days"] == days
        if case["payer_type"] in engine.MEDICARE:  # the benefit period's 100 days
            assert detail["covered_days"] == min(days, pdpm.MAX_COVERED_DAYS)
            assert all(d["amount"] == 0 for d in revenue["days"][pdpm.MAX_COVERED_DAYS:])
        else:  # another payer paying by PDPM pays every day, without Medicare's lines
            assert detail["covered_days"] == days
            assert all(d["patient_pays"] == 0 and d["paid_by"] == "payer"
                       for d in revenue["days"])
            assert "sequestration" not in [a["code"] for a in revenue["adjustments"]]


COST_INPUTS = ["fixed_daily_cost", "nursing_wage_hourly", "nursing_hours", "therapy_cost_per_day",
               "service_cost", "medication"]


def _raise_cost(case: dict, which: str, delta: Decimal) -> dict:
    ref, model = case["referral"], case["model"]
    if which in ("fixed_daily_cost", "nursing_wage_hourly", "therapy_cost_per_day"):
        model = dataclasses.replace(model, **{which: getattr(model, which) + delta})
    elif which == "nursing_hours":
        hours = dict(model.nursing_hours_per_day)
        hours[ref.acuity] += delta
        model = dataclasses.replace(model, nursing_hours_per_day=hours)
    elif which == "service_cost":
        service = ref.required_services[0]
        costs = dict(model.service_costs)
        costs[service] = costs.get(service, D(0)) + delta
        model = dataclasses.replace(model, service_costs=costs)
    elif ref.medication_cost_per_day is None:
        model = dataclasses.replace(model, default_medication_cost_per_day=(
            model.default_medication_cost_per_day + delta))
    else:
        ref = dataclasses.replace(ref, medication_cost_per_day=ref.medication_cost_per_day + delta)
    return {**case, "referral": ref, "model": model}


@PROPERTY_SETTINGS
@given(evaluations, st.sampled_from(COST_INPUTS), money(50_000, min_cents=1), st.data())
def test_raising_any_cost_input_never_raises_the_score(case, which, delta, data):
    if which == "service_cost" and not case["referral"].required_services:
        service = data.draw(st.sampled_from(SERVICE_NAMES), label="required service")
        case = {**case, "referral": dataclasses.replace(case["referral"],
                                                        required_services=(service,))}
    before = evaluate(case)
    after = evaluate(_raise_cost(case, which, delta))
    assert after["cost"]["per_day"] >= before["cost"]["per_day"]
    assert after["score"] <= before["score"]
    assert after["margin"] <= before["margin"]


@st.composite
def cases_with_an_unsupported_service(draw):
    case = draw(evaluations)
    missing = draw(st.sampled_from(SERVICE_NAMES), label="unsupported service")
    ref = case["referral"]
    required = tuple(dict.fromkeys(ref.required_services + (missing,)))
    model = dataclasses.replace(case["model"],
                                supported_services=case["model"].supported_services - {missing})
    return {**case, "referral": dataclasses.replace(ref, required_services=required),
            "model": model}, missing


@PROPERTY_SETTINGS
@given(cases_with_an_unsupported_service())
def test_a_required_service_the_facility_lacks_always_declines(drawn):
    case, missing = drawn
    result = evaluate(case)
    assert result["recommendation"] == "decline"
    stop = next(h for h in result["hard_stops"] if h["code"] == "service_not_provided")
    assert SERVICES[missing] in stop["message"]


@PROPERTY_SETTINGS
@given(evaluations)
def test_the_same_input_always_gives_the_same_output(case):
    assert evaluate(case) == evaluate(case)


@PROPERTY_SETTINGS
@given(evaluations)
def test_score_and_every_factor_value_are_within_0_and_100(case):
    result = evaluate(case)
    assert D(0) <= result["score"] <= D(100)
    for f in result["factors"]:
        assert D(0) <= f["value"] <= D(100), f
    _contributions_add_up(result, case["weights"])
    _assert_money(result)
    expected = ("decline" if result["hard_stops"]
                else "accept" if result["score"] >= case["weights"].accept_threshold
                else "review" if result["score"] >= case["weights"].review_threshold
                else "decline")
    assert result["recommendation"] == expected


def test_with_no_revenue_drug_cost_is_all_the_risk_and_no_drug_cost_none():
    """Tester: a free stay with no medication scored the risk factor 0, as if drugs cost all
    of the revenue."""
    free = per_diem_rate("0.00")
    assert factor(run(ref=referral(medication_cost_per_day=D(0)), rate=free),
                  "risk")["value"] == D("100.0")
    assert factor(run(ref=referral(medication_cost_per_day=D("0.01")), rate=free),
                  "risk")["value"] == D("0.0")
