"""Costs an administrator recognizes: therapy driven by the stay's PDPM PT, OT and SLP case-mix
indexes (PDPM's CMIs were derived from therapy costs a day, 83 FR 39162), and lines for labs,
imaging, supplies (a day) and transport (a stay). Each case is worked by hand."""
from __future__ import annotations

import dataclasses
from decimal import Decimal as D

from shared.engine import evaluation as engine
from shared.engine import pdpm
from tests.shared.test_engine import cost_model, pdpm_rate, per_diem_rate, referral, run

AT_CMI_1 = {"PT": D("40.20"), "OT": D("40.20"), "SLP": D("22.55")}
LINES = {"labs_per_day": D("9.00"), "imaging_per_day": D("4.00"), "supplies_per_day": D("14.00"),
         "transport_per_stay": D("250.00")}
# TB (PT 1.61, OT 1.54), SC (SLP 2.52): FY2026 CMIs, reference/pdpm/case_mix_indexes.csv.
TB_SC = pdpm.Classification("TB", "SC", "HBC1", "NE")


def test_therapy_of_a_stay_with_pdpm_groups_is_each_disciplines_cost_at_cmi_1_times_its_cmi():
    model = cost_model(therapy_at_cmi_1=AT_CMI_1, **LINES)
    result = run(ref=referral(classification=TB_SC), rate=pdpm_rate(), payer="medicare_a",
                 model=model)

    cost = result["cost"]
    # PT 40.20 x 1.61 = 64.722 -> 64.72; OT 40.20 x 1.54 = 61.908 -> 61.91;
    # SLP 22.55 x 2.52 = 56.826 -> 56.83; therapy 183.46 a day instead of the flat 50.00.
    assert cost["breakdown"]["therapy_by_discipline"] == {
        "pt": D("64.72"), "ot": D("61.91"), "slp": D("56.83")}
    assert cost["breakdown"]["therapy"] == D("183.46")
    # Fixed 150 + nursing (moderate) 3 h x 40 = 120 + therapy 183.46 + medication 20 + labs 9
    # + imaging 4 + supplies 14 = 500.46 a day; 10 days 5004.60 + transport 250 = 5254.60.
    assert cost["per_day"] == D("500.46")
    assert cost["total"] == D("5254.60")
    assert result["margin"] == result["revenue"]["net_total"] - D("5254.60")
    assert ("Therapy cost from the PDPM groups (their CMIs were derived from therapy costs a "
            "day, 83 FR 39162): PT 40.20 at CMI 1.0 x 1.61 = 64.72; OT 40.20 at CMI 1.0 x 1.54 = "
            "61.91; SLP 22.55 at CMI 1.0 x 2.52 = 56.83; 183.46 a day, the same each day of the "
            "stay.") in result["assumptions"]
    assert not any("counted as 0" in a for a in result["assumptions"])


def test_a_lower_therapy_group_costs_less_than_a_higher_one():
    # TP (PT 1.02, OT 1.03), SA (SLP 0.64): 41.00 + 41.41 + 14.43 = 96.84 (40.20 x 1.02 = 41.004,
    # 40.20 x 1.03 = 41.406, 22.55 x 0.64 = 14.432), under TB/SC's 183.46.
    model = cost_model(therapy_at_cmi_1=AT_CMI_1)
    result = run(ref=referral(classification=pdpm.Classification("TP", "SA", "HBC1", "NE")),
                 rate=pdpm_rate(), payer="medicare_a", model=model)
    assert result["cost"]["breakdown"]["therapy"] == D("96.84")


def test_a_rate_other_than_pdpm_costs_the_flat_therapy_and_says_so():
    model = cost_model(therapy_at_cmi_1=AT_CMI_1)
    result = run(ref=referral(), rate=per_diem_rate(), model=model)
    assert result["cost"]["breakdown"]["therapy"] == D("50.00")
    assert "therapy_by_discipline" not in result["cost"]["breakdown"]
    # Not "as the referral has no PDPM groups": a Medicaid referral with a HIPPS code was told
    # so (tester-3); the reason is the rate.
    assert ("Therapy cost: the cost model's flat 50.00 a day, as the payer's rate is not PDPM: "
            "no PDPM groups scale its costs at a case-mix index of 1.0." in result["assumptions"])


def test_without_pdpm_groups_therapy_is_costed_by_the_groups_revenue_assumed():
    """Tester defect 4: revenue priced the assumed TK/SA groups while cost took the flat 50.00,
    so the margin of a referral without a HIPPS code was inflated."""
    model = cost_model(therapy_at_cmi_1=AT_CMI_1)
    assumed = run(ref=referral(), rate=pdpm_rate(), payer="medicare_a", model=model)
    given = run(ref=referral(classification=engine.DEFAULT_CLASSIFICATION["moderate"]),
                rate=pdpm_rate(), payer="medicare_a", model=model)

    # TK (PT 1.44, OT 1.46), SA (SLP 0.64): 40.20 x 1.44 = 57.888 -> 57.89; 40.20 x 1.46 =
    # 58.692 -> 58.69; 22.55 x 0.64 = 14.432 -> 14.43; 131.01 a day.
    assert assumed["cost"]["breakdown"]["therapy_by_discipline"] == {
        "pt": D("57.89"), "ot": D("58.69"), "slp": D("14.43")}
    assert assumed["cost"] == given["cost"]
    assert (assumed["revenue"]["net_total"], assumed["margin"]) == (
        given["revenue"]["net_total"], given["margin"])
    assert ("Therapy cost from the PDPM groups revenue assumed for moderate acuity (PT/OT TK, "
            "SLP SA; their CMIs were derived from therapy costs a day, 83 FR 39162): PT 40.20 at "
            "CMI 1.0 x 1.44 = 57.89; OT 40.20 at CMI 1.0 x 1.46 = 58.69; SLP 22.55 at CMI 1.0 "
            "x 0.64 = 14.43; 131.01 a day, the same each day of the stay."
            in assumed["assumptions"])
    assert not any(a.startswith("Therapy cost: the cost model's flat")
                   for a in assumed["assumptions"])
    assert not any("assumed for" in a and a.startswith("Therapy cost")
                   for a in given["assumptions"])


def test_a_discipline_missing_from_the_model_counts_as_0_and_is_said():
    model = cost_model(therapy_at_cmi_1={"PT": D("40.20")})
    result = run(ref=referral(classification=TB_SC), rate=pdpm_rate(), payer="medicare_a",
                 model=model)
    # PT 64.72 only: OT and SLP at 0.
    assert result["cost"]["breakdown"]["therapy_by_discipline"] == {
        "pt": D("64.72"), "ot": D("0.00"), "slp": D("0.00")}
    assert result["cost"]["breakdown"]["therapy"] == D("64.72")
    assert "The cost model has no OT, SLP cost at a CMI of 1.0: counted as 0." in \
        result["assumptions"]


def test_labs_imaging_supplies_a_day_and_transport_once_a_stay():
    result = run(model=cost_model(**LINES))
    cost = result["cost"]
    # Per diem 500.00 x 10 = 5000.00. Cost a day 340.00 (as without the lines) + labs 9 +
    # imaging 4 + supplies 14 = 367.00; 3670.00 over 10 days + transport 250 = 3920.00.
    assert cost["breakdown"] == {"fixed": D("150.00"), "nursing": D("120.00"),
                                 "therapy": D("50.00"), "services": {},
                                 "medication": D("20.00"), "labs": D("9.00"),
                                 "imaging": D("4.00"), "supplies": D("14.00"),
                                 "transport_per_stay": D("250.00")}
    assert cost["per_day"] == D("367.00")
    assert cost["total"] == D("3920.00")
    # Margin 5000 - 3920 = 1080.00 = 21.60 %.
    assert (result["margin"], result["margin_pct"]) == (D("1080.00"), D("21.60"))
    assert result["assumptions"] == []


def test_lines_left_out_of_a_model_that_has_some_count_as_0_and_are_said():
    result = run(model=cost_model(labs_per_day=D("9.00")))
    # 340.00 + labs 9.00 = 349.00 a day, 3490.00 in all: imaging, supplies, transport 0.
    assert result["cost"]["per_day"] == D("349.00")
    assert result["cost"]["total"] == D("3490.00")
    assert result["assumptions"] == [
        "The cost model has no imaging, supplies, transport cost: counted as 0."]


def test_a_cost_model_without_the_new_lines_costs_what_it_did():
    # The golden per diem case's figures (test_engine.test_per_diem_method_end_to_end).
    result = run(model=dataclasses.replace(cost_model(), therapy_at_cmi_1={}))
    assert (result["cost"]["per_day"], result["cost"]["total"]) == (D("340.00"), D("3400.00"))
    assert set(result["cost"]["breakdown"]) == {"fixed", "nursing", "therapy", "services",
                                                "medication"}
    assert result["assumptions"] == []


def test_transport_on_a_one_day_stay_is_charged_once():
    result = run(ref=referral(length_of_stay_days=1),
                 model=cost_model(transport_per_stay=D("250.00"), labs_per_day=D("0"),
                                  imaging_per_day=D("0"), supplies_per_day=D("0")))
    # 340.00 + 0 + 250.00 = 590.00 against 500.00: margin -90.00 = -18.00 %.
    assert result["cost"]["total"] == D("590.00")
    assert (result["margin"], result["margin_pct"]) == (D("-90.00"), D("-18.00"))
    assert [h["code"] for h in result["hard_stops"]] == ["margin_below_floor"]
