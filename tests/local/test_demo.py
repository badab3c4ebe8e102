"""The demo data looks like a real facility's: Medicare margins in MedPAC's range, Medicaid long
stays thin or under water, and some referrals declined on margin."""
from decimal import Decimal as D
from statistics import median

from local import demo

# MedPAC: the Medicare FFS margin of freestanding SNFs was 22% in 2023 (March 2025 report to
# Congress) and 24.4% in 2024 (December 2025 meeting), an aggregate over facilities that spread
# widely around it. A plausible facility: a median Medicare stay within 15-35%, and most (3 in 4)
# within 0-50%; the rest are stays with costly drugs or services, under water or near it.
MEDICARE_MEDIAN_RANGE = (D(15), D(35))
MEDICARE_MOST_RANGE = (D(0), D(50))


def test_demo_margins_look_like_a_real_facilitys(org, admin_sql):
    assert demo.populate({"subdomain": org.subdomain, "email": org.email})
    rows = admin_sql("""
        SELECT p.payer_type, a.margin_pct, a.recommendation, a.length_of_stay_days,
               a.evaluation->'hard_stops' AS hard_stops, a.evaluation->'cost' AS cost
          FROM admissions a JOIN payers p ON (p.organization_id, p.id)
                                            = (a.organization_id, a.payer_id)
         WHERE a.organization_id = %s""", (org.id,))
    assert len(rows) == 120
    medicare = [r["margin_pct"] for r in rows if r["payer_type"] == "medicare_a"]
    assert len(medicare) >= 20
    assert MEDICARE_MEDIAN_RANGE[0] <= median(medicare) <= MEDICARE_MEDIAN_RANGE[1], medicare
    within = [m for m in medicare if MEDICARE_MOST_RANGE[0] <= m <= MEDICARE_MOST_RANGE[1]]
    assert len(within) >= 0.75 * len(medicare), medicare
    # Some referrals are declined on margin, among them Medicaid stays (a long stay with a
    # complex service or costly drugs), but not most referrals.
    on_margin = [r for r in rows
                 if any(s["code"] == "margin_below_floor" for s in r["hard_stops"])]
    assert all(r["recommendation"] == "decline" for r in on_margin)
    assert {"medicaid", "managed_medicaid"} & {r["payer_type"] for r in on_margin}
    assert 0 < len(on_margin) < len(rows) / 2
    # Every demo cost model has the lines an administrator recognizes.
    for r in rows:
        breakdown = r["cost"]["breakdown"]
        assert {"labs", "imaging", "supplies", "transport_per_stay"} <= set(breakdown)
    assert any(r["cost"]["breakdown"].get("therapy_by_discipline") for r in rows
               if r["payer_type"] == "medicare_a")
