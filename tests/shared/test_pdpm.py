"""Medicare PDPM: the reference migration holds exactly the reference CSV files, the loaded tables
reproduce CMS's published case-mix adjusted rates, and the per diems follow the CMS pricer
(`CalculateTotalPaymentRate`) to the cent, checked against figures derived by hand.

The reference tables have no row-level security, so any organization id reads them."""
from __future__ import annotations

import csv
import subprocess
import sys
import uuid
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from shared import db
from shared.engine import pdpm
from shared.engine.money import cents
from shared.repositories import pdpm as pdpm_repository

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference" / "pdpm"
MIGRATION = ROOT / "migrations" / "0002_pdpm_reference.sql"
D = Decimal


def read_csv(name: str) -> list[dict]:
    with open(REFERENCE / name, newline="") as f:
        return list(csv.DictReader(f))


def money_or_none(value: str) -> Decimal | None:
    return D(value) if value != "" else None


def source_codes(value: str) -> list[str]:
    return value.split(";")


EXAMPLES = read_csv("examples.csv")
RATE_VARIANTS = {"standard", "qrp_reduced", "aids_adjusted"}


@pytest.fixture(scope="module")
def tables_from_db(database):
    """Tables of one fiscal year and area, loaded through the repository (cached per module)."""
    loaded: dict[tuple[int, str], pdpm.Tables] = {}

    def get(fiscal_year: int, area: str) -> pdpm.Tables:
        key = (fiscal_year, area)
        if key not in loaded:
            with db.tenant_transaction(uuid.uuid4()) as cur:
                tables = pdpm_repository.load_tables(cur, fiscal_year=fiscal_year, area=area)
            assert tables is not None, f"FY{fiscal_year} {area} is not loaded"
            loaded[key] = tables
        return loaded[key]

    return get


@pytest.fixture(scope="module")
def urban_2026(tables_from_db) -> pdpm.Tables:
    return tables_from_db(2026, "urban")


@pytest.fixture(scope="module")
def rural_2026(tables_from_db) -> pdpm.Tables:
    return tables_from_db(2026, "rural")


# --- the migration is the reference files ------------------------------------------------------

def test_build_migration_reproduces_the_migration_byte_for_byte():
    built = subprocess.run([sys.executable, str(REFERENCE / "build_migration.py")],
                           capture_output=True, check=True, cwd=ROOT).stdout
    assert built == MIGRATION.read_bytes()


def _build_migration_module():
    sys.path.insert(0, str(REFERENCE))
    try:
        import build_migration
    finally:
        sys.path.remove(str(REFERENCE))
    return build_migration


@pytest.mark.parametrize("name", sorted(_build_migration_module().LATER))
def test_each_later_reference_migration_is_its_rows_byte_for_byte(name):
    """Rows added to the CSV files after 0002 are loaded by their own append-only migration."""
    built = subprocess.run([sys.executable, str(REFERENCE / "build_migration.py"),
                            "--migration", name], capture_output=True, check=True,
                           cwd=ROOT).stdout
    assert built == (ROOT / "migrations" / name).read_bytes()


def test_the_migration_lists_every_source_the_csv_files_cite():
    sys.path.insert(0, str(REFERENCE))
    try:
        import build_migration
    finally:
        sys.path.remove(str(REFERENCE))
    listed = {code for code, _ in build_migration.sources()}
    cited = {code for name in ("base_rates.csv", "case_mix_indexes.csv", "labor_share.csv",
                               "vpd.csv", "coinsurance.csv", "examples.csv")
             for row in read_csv(name) for code in source_codes(row["sources"])}
    assert cited <= listed, f"cited but not in README's source list: {cited - listed}"


def test_pdpm_sources_table_holds_the_readme_sources(admin_sql):
    sys.path.insert(0, str(REFERENCE))
    try:
        import build_migration
    finally:
        sys.path.remove(str(REFERENCE))
    rows = admin_sql("SELECT code, citation FROM pdpm_sources ORDER BY code")
    assert {(r["code"], r["citation"]) for r in rows} == set(build_migration.sources())


def test_base_rates_table_holds_base_rates_csv(admin_sql):
    expected = sorted(
        (int(r["fiscal_year"]), r["area"], r["component"], D(r["rate"]),
         money_or_none(r["qrp_reduced_rate"]), r["basis"], r["sources"])
        for r in read_csv("base_rates.csv"))
    rows = admin_sql("SELECT * FROM pdpm_base_rates")
    actual = sorted((r["fiscal_year"], r["area"], r["component"], r["rate"],
                     r["qrp_reduced_rate"], r["basis"], r["sources"]) for r in rows)
    assert len(rows) == len(expected) == 96   # 8 fiscal years x 2 areas x 6 components
    assert actual == expected


def test_case_mix_indexes_table_holds_case_mix_indexes_csv(admin_sql):
    expected = sorted(
        (int(r["fiscal_year"]), r["component"], r["group"], r["hipps_char"], D(r["cmi"]),
         r["basis"], r["sources"])
        for r in read_csv("case_mix_indexes.csv"))
    rows = admin_sql("SELECT * FROM pdpm_case_mix_indexes")
    actual = sorted((r["fiscal_year"], r["component"], r["group_code"], r["hipps_char"], r["cmi"],
                     r["basis"], r["sources"]) for r in rows)
    # 16 PT + 16 OT + 12 SLP + 25 nursing + 6 NTA groups = 75 a year, FY2020-FY2026.
    assert len(rows) == len(expected) == 8 * 75
    assert actual == expected


def test_labor_shares_table_holds_labor_share_csv(admin_sql):
    expected = sorted(
        (int(r["fiscal_year"]), D(r["labor_related_share"]), D(r["non_labor_share"]),
         r["basis"], r["sources"])
        for r in read_csv("labor_share.csv"))
    rows = admin_sql("SELECT * FROM pdpm_labor_shares")
    actual = sorted((r["fiscal_year"], r["labor_related_share"], r["non_labor_share"],
                     r["basis"], r["sources"]) for r in rows)
    assert len(rows) == len(expected) == 8
    assert actual == expected
    for row in rows:
        assert row["labor_related_share"] + row["non_labor_share"] == 1


def test_variable_per_diem_table_holds_vpd_csv(admin_sql):
    expected = sorted((r["component"], int(r["first_day"]), int(r["last_day"]), D(r["factor"]),
                       r["sources"]) for r in read_csv("vpd.csv"))
    rows = admin_sql("SELECT * FROM pdpm_variable_per_diem")
    actual = sorted((r["component"], r["first_day"], r["last_day"], r["factor"], r["sources"])
                    for r in rows)
    assert len(rows) == len(expected) == 15
    assert actual == expected


def test_variable_per_diem_schedules_cover_days_1_to_100_without_gaps(admin_sql):
    rows = admin_sql("SELECT component, first_day, last_day FROM pdpm_variable_per_diem"
                     " ORDER BY component, first_day")
    for component in ("PT_OT", "NTA"):
        spans = [(r["first_day"], r["last_day"]) for r in rows if r["component"] == component]
        days = [d for first, last in spans for d in range(first, last + 1)]
        assert days == list(range(1, 101)), component


def test_coinsurance_table_holds_coinsurance_csv(admin_sql):
    expected = sorted((int(r["calendar_year"]), D(r["daily_amount"]), r["sources"])
                      for r in read_csv("coinsurance.csv"))
    rows = admin_sql("SELECT * FROM snf_coinsurance")
    actual = sorted((r["calendar_year"], r["daily_amount"], r["sources"]) for r in rows)
    assert len(rows) == len(expected) == 3
    assert actual == expected
    assert dict((y, a) for y, a, _ in actual) == {2024: D("204.00"), 2025: D("209.50"),
                                                   2026: D("217.00")}


@pytest.mark.parametrize("table", ["pdpm_base_rates", "pdpm_case_mix_indexes",
                                   "pdpm_labor_shares", "pdpm_variable_per_diem",
                                   "snf_coinsurance"])
def test_every_source_code_refers_to_a_row_of_pdpm_sources(admin_sql, table):
    codes = {r["code"] for r in admin_sql("SELECT code FROM pdpm_sources")}
    unknown = {(code, r["sources"]) for r in admin_sql(f"SELECT sources FROM {table}")
               for code in source_codes(r["sources"]) if code not in codes}
    assert not unknown


def test_repository_loads_the_same_tables_as_the_csv_files(tables_from_db):
    """load_tables (the DB path) and the CSV files agree for every fiscal year and area."""
    shares = {int(r["fiscal_year"]): D(r["labor_related_share"])
              for r in read_csv("labor_share.csv")}
    for fiscal_year in range(2020, 2028):
        for area in ("urban", "rural"):
            tables = tables_from_db(fiscal_year, area)
            assert tables.base_rates == {
                r["component"]: D(r["rate"]) for r in read_csv("base_rates.csv")
                if int(r["fiscal_year"]) == fiscal_year and r["area"] == area}
            cmi_rows = [r for r in read_csv("case_mix_indexes.csv")
                        if int(r["fiscal_year"]) == fiscal_year]
            assert tables.cmis == {c: {r["group"]: D(r["cmi"]) for r in cmi_rows
                                       if r["component"] == c}
                                   for c in pdpm.COMPONENTS}
            assert tables.hipps == {c: {r["hipps_char"]: r["group"] for r in cmi_rows
                                        if r["component"] == c}
                                    for c in pdpm.COMPONENTS}
            assert tables.labor_share == shares[fiscal_year]


def test_repository_returns_none_for_a_year_that_is_not_loaded(database):
    with db.tenant_transaction(uuid.uuid4()) as cur:
        assert pdpm_repository.load_tables(cur, fiscal_year=2019, area="urban") is None
        assert pdpm_repository.fiscal_years(cur) == list(range(2020, 2028))


def test_coinsurance_by_year_holds_every_loaded_calendar_year(database):
    with db.tenant_transaction(uuid.uuid4()) as cur:
        assert pdpm_repository.coinsurance_by_year(cur) == {
            2024: D("204.00"), 2025: D("209.50"), 2026: D("217.00")}


def test_the_stay_reference_row_holds_what_the_readers_of_each_part_give(database):
    """The one-row statement that rides with an evaluation's configuration read."""
    with db.tenant_transaction(uuid.uuid4()) as cur:
        reference = pdpm_repository.stay_reference(cur)
        assert reference.fiscal_years == pdpm_repository.fiscal_years(cur)
        assert reference.coinsurance_by_year == pdpm_repository.coinsurance_by_year(cur)
        assert reference.fiscal_year_info == pdpm_repository.fiscal_year_info(cur)
        cur.execute("SELECT version FROM reference_version")
        assert reference.version == cur.fetchone()["version"]


# --- published case-mix adjusted rates ---------------------------------------------------------

def _classification_for(tables: pdpm.Tables, component: str, group: str) -> pdpm.Classification:
    """A valid classification whose `component` group is `group` (the others: the A groups)."""
    groups = {"PT": tables.hipps["PT"]["A"], "SLP": tables.hipps["SLP"]["A"],
              "NURSING": tables.hipps["NURSING"]["A"], "NTA": tables.hipps["NTA"]["A"]}
    groups["PT" if component in ("PT", "OT") else component] = group
    return pdpm.Classification(groups["PT"], groups["SLP"], groups["NURSING"], groups["NTA"])


def _example_ids(variant: str) -> list:
    return [pytest.param(e, id=e["example_id"]) for e in EXAMPLES if e["rate_variant"] == variant]


def test_every_example_is_of_a_known_rate_variant():
    assert {e["rate_variant"] for e in EXAMPLES} <= RATE_VARIANTS
    assert len(_example_ids("standard")) + len(_example_ids("qrp_reduced")) \
        + len(_example_ids("aids_adjusted")) == len(EXAMPLES) == 20


@pytest.mark.parametrize("example", _example_ids("standard"))
def test_component_rate_is_the_published_standard_rate(tables_from_db, example):
    tables = tables_from_db(int(example["fiscal_year"]), example["area"])
    component, group = example["component"], example["group"]
    # The example's inputs are the reference data's.
    assert tables.cmis[component][group] == D(example["cmi"])
    assert tables.base_rates[component] == D(example["base_rate"])
    assert tables.hipps[component][example["hipps_char"]] == group
    rates = pdpm.component_rates(tables, _classification_for(tables, component, group))
    assert rates[component] == D(example["published_rate"])
    assert rates[component] == D(example["computed_round_half_up"])


@pytest.mark.parametrize("example", _example_ids("qrp_reduced"))
def test_qrp_reduced_rate_is_cmi_times_the_qrp_reduced_base_rate(tables_from_db, example):
    fiscal_year, area = int(example["fiscal_year"]), example["area"]
    component, group = example["component"], example["group"]
    tables = tables_from_db(fiscal_year, area)
    qrp_base = next(D(r["qrp_reduced_rate"]) for r in read_csv("base_rates.csv")
                    if int(r["fiscal_year"]) == fiscal_year and r["area"] == area
                    and r["component"] == component)
    assert qrp_base == D(example["base_rate"])
    assert tables.cmis[component][group] == D(example["cmi"])
    assert cents(tables.cmis[component][group] * qrp_base) == D(example["published_rate"])


def _published_qrp_rates() -> list:
    return [pytest.param(int(r["fiscal_year"]), r["area"], r["component"],
                         D(r["qrp_reduced_rate"]),
                         id=f"FY{r['fiscal_year']}-{r['area']}-{r['component']}")
            for r in read_csv("base_rates.csv") if r["qrp_reduced_rate"]]


@pytest.mark.parametrize("fiscal_year, area, component, published", _published_qrp_rates())
def test_a_published_qrp_reduced_rate_is_used_as_published(tables_from_db, fiscal_year, area,
                                                            component, published):
    # The pricer's figure, not the rule's method (which can be a cent off), even when the
    # year's net update is known.
    tables = tables_from_db(fiscal_year, area)
    assert pdpm.qrp_base_rate(tables, component, D("0.032")) == (published, False)


@pytest.mark.parametrize("example", _example_ids("aids_adjusted"))
def test_aids_adjusted_nursing_rate_is_118_percent_of_the_standard_rate(tables_from_db, example):
    tables = tables_from_db(int(example["fiscal_year"]), example["area"])
    assert example["component"] == "NURSING"
    rates = pdpm.component_rates(tables, _classification_for(tables, "NURSING", example["group"]))
    # E17: ES3 3.84 x 132.00 = 506.88; 506.88 x 1.18 = 598.1184 -> 598.12.
    assert cents(rates["NURSING"] * D("1.18")) == D(example["published_rate"])


# The FY2021 COBOL (S2) remaps the NTA character of a B20 claim: A-D to A, E to B, F to C.
HIV_AIDS_NTA = {"NA": "NA", "NB": "NA", "NC": "NA", "ND": "NA", "NE": "NB", "NF": "NC"}


@pytest.mark.parametrize("nta, paid_as", sorted(HIV_AIDS_NTA.items()))
def test_hiv_aids_pays_each_nta_group_as_its_remapped_group(urban_2026, nta, paid_as):
    classification = pdpm.Classification("TK", "SB", "HBC1", nta)
    standard = pdpm.component_rates(urban_2026, classification)
    aids = pdpm.component_rates(urban_2026, classification, hiv_aids=True)
    # NTA base FY2026 urban 99.59 x the CMI of the remapped group; nursing 232.32 x 1.18 =
    # 274.1376 -> 274.14; the other components as without the diagnosis.
    assert aids["NTA"] == cents(urban_2026.cmis["NTA"][paid_as] * D("99.59"))
    assert aids["NURSING"] == D("274.14")
    assert {c: r for c, r in aids.items() if c not in ("NTA", "NURSING")} == {
        c: r for c, r in standard.items() if c not in ("NTA", "NURSING")}


# --- per diems, derived by hand ----------------------------------------------------------------
#
# FY2026 urban base rates: PT 75.73, OT 70.49, SLP 28.28, nursing 132.00, NTA 99.59, NCM 118.21.
# HIPPS KBGE1 = PT/OT TK, SLP SB, nursing HBC1, NTA NE. Component rates (CMI x base, half-up):
#   PT      1.44 x 75.73  = 109.0512 -> 109.05
#   OT      1.46 x 70.49  = 102.9154 -> 102.92
#   SLP     1.72 x 28.28  =  48.6416 ->  48.64
#   nursing 1.76 x 132.00 = 232.3200 -> 232.32
#   NTA     0.91 x 99.59  =  90.6269 ->  90.63
#   NCM                               118.21
# PT + OT = 211.97; nursing + SLP + NCM ("flat") = 399.17. Labor share 0.719 (non-labor 0.281).
# VPD: PT_OT 1.00 days 1-20, 0.98 days 21-27, 0.96 days 28-34, ..., 0.76 days 98-100;
#      NTA 3.00 days 1-3, 1.00 days 4-100.

WAGE_INDEX = D("1.1000")
NO_VBP = D("1.0")
KBGE1_2026_URBAN_RATES = {"PT": D("109.05"), "OT": D("102.92"), "SLP": D("48.64"),
                          "NURSING": D("232.32"), "NTA": D("90.63"), "NON_CASE_MIX": D("118.21")}


@pytest.fixture(scope="module")
def kbge1(urban_2026):
    return pdpm.component_rates(urban_2026, pdpm.classification_from_hipps(urban_2026, "KBGE1"))


def one_day(tables, rates, day, *, wage_index=WAGE_INDEX, vbp=NO_VBP) -> pdpm.Payment:
    return pdpm.claim_payment(tables, rates, prior_days=day - 1, days=1, wage_index=wage_index,
                              vbp_multiplier=vbp)


def test_kbge1_component_rates_fy2026_urban(kbge1):
    assert kbge1 == KBGE1_2026_URBAN_RATES


def test_day_1_per_diem_is_the_readme_illustration(urban_2026, kbge1):
    # therapy 211.97 x 1.00 = 211.97; NTA 90.63 x 3.00 = 271.89; flat 399.17 x 1 = 399.17
    # case-mix total 211.97 + 271.89 + 399.17 = 883.03
    # labor 883.03 x 0.719 = 634.89857 -> 634.90; x 1.1000 = 698.390 -> 698.39
    # non-labor 883.03 x 0.281 = 248.13143 -> 248.13
    # payment 698.39 + 248.13 = 946.52 (x VBP 1.0 = 946.52)
    payment = one_day(urban_2026, kbge1, 1)
    assert payment == pdpm.Payment(case_mix_total=D("883.03"), labor=D("634.90"),
                                   labor_adjusted=D("698.39"), non_labor=D("248.13"),
                                   before_vbp=D("946.52"), payment=D("946.52"))


@pytest.mark.parametrize("day", [4, 10, 20])
def test_day_4_to_20_per_diem(urban_2026, kbge1, day):
    # therapy 211.97 x 1.00 = 211.97; NTA 90.63 x 1.00 = 90.63; flat 399.17
    # case-mix total 211.97 + 90.63 + 399.17 = 701.77
    # labor 701.77 x 0.719 = 504.57263 -> 504.57; x 1.1000 = 555.027 -> 555.03
    # non-labor 701.77 x 0.281 = 197.19737 -> 197.20
    # payment 555.03 + 197.20 = 752.23
    payment = one_day(urban_2026, kbge1, day)
    assert (payment.case_mix_total, payment.labor, payment.labor_adjusted, payment.non_labor,
            payment.payment) == (D("701.77"), D("504.57"), D("555.03"), D("197.20"),
                                 D("752.23"))


def test_day_21_per_diem_has_the_pt_ot_factor_098(urban_2026, kbge1):
    # therapy 211.97 x 0.98 = 207.7306 -> 207.73; NTA 90.63 x 1.00 = 90.63; flat 399.17
    # case-mix total 207.73 + 90.63 + 399.17 = 697.53
    # labor 697.53 x 0.719 = 501.52407 -> 501.52; x 1.1000 = 551.672 -> 551.67
    # non-labor 697.53 x 0.281 = 196.00593 -> 196.01
    # payment 551.67 + 196.01 = 747.68
    payment = one_day(urban_2026, kbge1, 21)
    assert (payment.case_mix_total, payment.labor, payment.labor_adjusted, payment.non_labor,
            payment.payment) == (D("697.53"), D("501.52"), D("551.67"), D("196.01"),
                                 D("747.68"))


def test_30_day_claim_is_the_readme_illustration(urban_2026, kbge1):
    # PT_OT factors days 1-30: 20 x 1.00 + 7 x 0.98 + 3 x 0.96 = 20 + 6.86 + 2.88 = 29.74
    # NTA factors days 1-30: 3 x 3.00 + 27 x 1.00 = 36
    # therapy 211.97 x 29.74 = 6303.9878 -> 6303.99; NTA 90.63 x 36 = 3262.68;
    # flat 399.17 x 30 = 11975.10
    # case-mix total 6303.99 + 3262.68 + 11975.10 = 21541.77
    # labor 21541.77 x 0.719 = 15488.53263 -> 15488.53; x 1.1000 = 17037.383 -> 17037.38
    # non-labor 21541.77 x 0.281 = 6053.23737 -> 6053.24
    # payment 17037.38 + 6053.24 = 23090.62
    payment = pdpm.claim_payment(urban_2026, kbge1, prior_days=0, days=30,
                                 wage_index=WAGE_INDEX, vbp_multiplier=NO_VBP)
    assert payment == pdpm.Payment(case_mix_total=D("21541.77"), labor=D("15488.53"),
                                   labor_adjusted=D("17037.38"), non_labor=D("6053.24"),
                                   before_vbp=D("23090.62"), payment=D("23090.62"))


def test_30_daily_per_diems_sum_to_within_cents_of_the_30_day_claim(urban_2026, kbge1):
    # Days 28-30 (PT_OT 0.96): therapy 211.97 x 0.96 = 203.4912 -> 203.49;
    #   total 203.49 + 90.63 + 399.17 = 693.29; labor 693.29 x 0.719 = 498.47551 -> 498.48,
    #   x 1.1000 = 548.328 -> 548.33; non-labor 693.29 x 0.281 = 194.81449 -> 194.81;
    #   payment 548.33 + 194.81 = 743.14
    # Sum: days 1-3   3 x 946.52 =  2839.56
    #      days 4-20 17 x 752.23 = 12787.91
    #      days 21-27 7 x 747.68 =  5233.76
    #      days 28-30 3 x 743.14 =  2229.42
    #      total                   23090.65  (the one 30-day claim: 23090.62; rounding each day
    #                                          separately adds 0.03)
    days = pdpm.daily_per_diems(urban_2026, kbge1, days=30, wage_index=WAGE_INDEX,
                                vbp_multiplier=NO_VBP)
    assert days == ([D("946.52")] * 3 + [D("752.23")] * 17 + [D("747.68")] * 7
                    + [D("743.14")] * 3)
    assert sum(days) == D("23090.65")
    claim = pdpm.claim_payment(urban_2026, kbge1, prior_days=0, days=30, wage_index=WAGE_INDEX,
                               vbp_multiplier=NO_VBP)
    assert abs(sum(days) - claim.payment) <= D("0.05")


def test_vbp_multiplier_098_scales_the_payment(urban_2026, kbge1):
    # Day 1 before VBP 946.52 (above); x 0.98 = 927.5896 -> 927.59
    payment = one_day(urban_2026, kbge1, 1, vbp=D("0.98"))
    assert (payment.before_vbp, payment.payment) == (D("946.52"), D("927.59"))
    # Day 21 before VBP 747.68; x 0.98 = 732.7264 -> 732.73
    assert one_day(urban_2026, kbge1, 21, vbp=D("0.98")).payment == D("732.73")


def test_rural_fy2026_day_1_per_diem(rural_2026):
    # FY2026 rural base rates: PT 86.33, OT 79.29, SLP 35.63, nursing 126.12, NTA 95.15,
    # NCM 120.40. KBGE1:
    #   PT      1.44 x 86.33  = 124.3152 -> 124.32
    #   OT      1.46 x 79.29  = 115.7634 -> 115.76
    #   SLP     1.72 x 35.63  =  61.2836 ->  61.28
    #   nursing 1.76 x 126.12 = 221.9712 -> 221.97
    #   NTA     0.91 x 95.15  =  86.5865 ->  86.59
    # Day 1, wage index 0.8500: therapy (124.32 + 115.76) x 1.00 = 240.08;
    #   NTA 86.59 x 3.00 = 259.77; flat 221.97 + 61.28 + 120.40 = 403.65
    #   total 240.08 + 259.77 + 403.65 = 903.50
    #   labor 903.50 x 0.719 = 649.6165 -> 649.62; x 0.8500 = 552.177 -> 552.18
    #   non-labor 903.50 x 0.281 = 253.8835 -> 253.88
    #   payment 552.18 + 253.88 = 806.06
    rates = pdpm.component_rates(rural_2026, pdpm.classification_from_hipps(rural_2026, "KBGE1"))
    assert rates == {"PT": D("124.32"), "OT": D("115.76"), "SLP": D("61.28"),
                     "NURSING": D("221.97"), "NTA": D("86.59"), "NON_CASE_MIX": D("120.40")}
    payment = one_day(rural_2026, rates, 1, wage_index=D("0.8500"))
    assert payment == pdpm.Payment(case_mix_total=D("903.50"), labor=D("649.62"),
                                   labor_adjusted=D("552.18"), non_labor=D("253.88"),
                                   before_vbp=D("806.06"), payment=D("806.06"))


def test_daily_per_diems_stop_at_day_100(urban_2026, kbge1):
    # Day 100 (PT_OT 0.76): therapy 211.97 x 0.76 = 161.0972 -> 161.10; total 161.10 + 90.63
    #   + 399.17 = 650.90; labor 650.90 x 0.719 = 467.9971 -> 468.00, x 1.1000 = 514.80;
    #   non-labor 650.90 x 0.281 = 182.9029 -> 182.90; payment 514.80 + 182.90 = 697.70
    days = pdpm.daily_per_diems(urban_2026, kbge1, days=130, wage_index=WAGE_INDEX,
                                vbp_multiplier=NO_VBP)
    assert len(days) == pdpm.MAX_COVERED_DAYS == 100
    assert days[-1] == D("697.70")
    # Day 101 has no variable per-diem factor: Medicare Part A pays nothing for it.
    with pytest.raises(ValueError, match="^no PT_OT variable per-diem factor for day 101$"):
        one_day(urban_2026, kbge1, 101)


# --- HIPPS codes -------------------------------------------------------------------------------

NURSING_LETTERS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXY", [
    "ES3", "ES2", "ES1", "HDE2", "HDE1", "HBC2", "HBC1", "LDE2", "LDE1", "LBC2", "LBC1", "CDE2",
    "CDE1", "CBC2", "CA2", "CBC1", "CA1", "BAB2", "BAB1", "PDE2", "PDE1", "PBC2", "PA2", "PBC1",
    "PA1"]))


KBGE = pdpm.Classification("TK", "SB", "HBC1", "NE")


def test_kbge1_is_tk_sb_hbc1_ne(urban_2026):
    assert pdpm.classification_from_hipps(urban_2026, "KBGE1") == KBGE


@pytest.mark.parametrize("fiscal_year", range(2020, 2027))
def test_nursing_letters_follow_the_readme(tables_from_db, fiscal_year):
    tables = tables_from_db(fiscal_year, "urban")
    assert tables.hipps["NURSING"] == NURSING_LETTERS
    for letter, group in NURSING_LETTERS.items():
        assert pdpm.classification_from_hipps(tables, f"AA{letter}A1").nursing == group


@pytest.mark.parametrize("fiscal_year", range(2020, 2027))
def test_other_letters_run_in_table_order(tables_from_db, fiscal_year):
    tables = tables_from_db(fiscal_year, "urban")
    assert tables.hipps["PT"] == {chr(65 + i): "T" + chr(65 + i) for i in range(16)}
    assert tables.hipps["OT"] == tables.hipps["PT"]
    assert tables.hipps["SLP"] == {chr(65 + i): "S" + chr(65 + i) for i in range(12)}
    assert tables.hipps["NTA"] == {chr(65 + i): "N" + chr(65 + i) for i in range(6)}


# The messages are the user's answer (422 on hipps_code): each names the character, its
# position and what that position holds.
@pytest.mark.parametrize("code, position, holds", [
    ("ZBGE1", 1, "PT/OT"),   # PT/OT letters run A-P
    ("QBGE1", 1, "PT/OT"),
    ("KMGE1", 2, "SLP"),     # SLP letters run A-L
    ("KBZE1", 3, "NURSING"),  # nursing letters run A-Y
    ("KBGG1", 4, "NTA"),     # NTA letters run A-F
    ("KB1E1", 3, "NURSING"),
])
def test_a_bad_letter_raises_naming_its_position(urban_2026, code, position, holds):
    letter = code[position - 1]
    with pytest.raises(ValueError) as bad:
        pdpm.classification_from_hipps(urban_2026, code)
    assert str(bad.value) == f"character {position} ({letter}) is not a {holds} group letter"


@pytest.mark.parametrize("code", ["", "KBG", "KBGE12"])
def test_a_code_of_the_wrong_length_raises(urban_2026, code):
    with pytest.raises(ValueError) as bad:
        pdpm.classification_from_hipps(urban_2026, code)
    assert str(bad.value) == "a HIPPS code has 5 characters, such as KBGE1"


@pytest.mark.parametrize("code", ["KBGE9", "KBGE2", "KBGEX"])
def test_a_bad_assessment_character_raises_naming_position_5(urban_2026, code):
    # The pricer checks character 5 in 0-1 (README, "HIPPS letters").
    with pytest.raises(ValueError) as bad:
        pdpm.classification_from_hipps(urban_2026, code)
    assert str(bad.value) == (f"character 5 ({code[4]}) is not an assessment indicator "
                              "(0 or 1)")


@pytest.mark.parametrize("groups, message", [
    (("TZ", "SB", "HBC1", "NE"), "TZ is not a PT group in FY2026"),
    (("TK", "SM", "HBC1", "NE"), "SM is not a SLP group in FY2026"),
    (("TK", "SB", "HBC9", "NE"), "HBC9 is not a NURSING group in FY2026"),
    (("TK", "SB", "HBC1", "NG"), "NG is not a NTA group in FY2026"),
])
def test_groups_given_by_name_must_be_groups_of_the_year(urban_2026, groups, message):
    # pdpm_groups instead of a HIPPS code: the same 422, naming the group and the year.
    with pytest.raises(ValueError) as bad:
        pdpm.check_classification(urban_2026, pdpm.Classification(*groups))
    assert str(bad.value) == message


def test_groups_of_the_year_pass_the_check(urban_2026):
    for pt_ot, slp, nursing, nta in zip(sorted(urban_2026.cmis["PT"]),
                                        sorted(urban_2026.cmis["SLP"]) * 2,
                                        sorted(urban_2026.cmis["NURSING"]),
                                        sorted(urban_2026.cmis["NTA"]) * 3):
        assert pdpm.check_classification(
            urban_2026, pdpm.Classification(pt_ot, slp, nursing, nta)) is None


@pytest.mark.parametrize("code", ["KBGE0", "KBGE1", "KBGE"])
def test_assessment_character_0_or_1_or_none_is_accepted(urban_2026, code):
    assert pdpm.classification_from_hipps(urban_2026, code) == KBGE


def test_hipps_letters_are_case_insensitive(urban_2026):
    assert pdpm.classification_from_hipps(urban_2026, " kbge1 ") == \
        pdpm.classification_from_hipps(urban_2026, "KBGE1")


def test_tables_and_groups_shared_between_requests_cannot_be_changed(urban_2026):
    # The services cache each year's tables for every organization's requests, and the engine's
    # default classifications are module constants: none of them can be altered in place.
    import dataclasses
    made = (urban_2026, KBGE, pdpm.FiscalYear(2026, "final", "FY2026 final rule"),
            one_day(urban_2026, KBGE1_2026_URBAN_RATES, 1))
    for value, name in zip(made, ("labor_share", "nta", "status", "payment")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, None)


# --- rounding: half-up at every half cent, where half-even would differ -------------------------
#
# CMS's pricer rounds half-up. Half-even (Decimal's default) agrees except on an exact half cent
# after an even cent: FY2025 urban PT group TC is 1.78 x 73.25 = 130.3850, 130.39 half-up but
# 130.38 half-even. These tests take every such case from the reference data.

def _rounded(value: Decimal, mode: str) -> Decimal:
    return value.quantize(D("0.01"), rounding=mode)


def _component_ties() -> list:
    """Every (fiscal year, area, component, group) whose CMI x base rate half-even rounds
    differently from half-up."""
    bases = read_csv("base_rates.csv")
    ties = []
    for cmi in read_csv("case_mix_indexes.csv"):
        for base in bases:
            if (base["fiscal_year"], base["component"]) != (cmi["fiscal_year"], cmi["component"]):
                continue
            exact = D(cmi["cmi"]) * D(base["rate"])
            if _rounded(exact, ROUND_HALF_UP) != _rounded(exact, ROUND_HALF_EVEN):
                ties.append(pytest.param(
                    int(base["fiscal_year"]), base["area"], base["component"], cmi["group"],
                    exact, id=f"FY{base['fiscal_year']}-{base['area']}-{base['component']}-"
                              f"{cmi['group']}"))
    return ties


COMPONENT_TIES = _component_ties()


def test_the_reference_data_has_component_rates_on_a_half_cent():
    ids = {tie.id for tie in COMPONENT_TIES}
    assert "FY2025-urban-PT-TC" in ids
    assert len(ids) == 19


@pytest.mark.parametrize("fiscal_year, area, component, group, exact", COMPONENT_TIES)
def test_a_component_rate_on_a_half_cent_rounds_up(tables_from_db, fiscal_year, area, component,
                                                   group, exact):
    tables = tables_from_db(fiscal_year, area)

    rates = pdpm.component_rates(tables, _classification_for(tables, component, group))

    assert rates[component] == _rounded(exact, ROUND_HALF_UP) != _rounded(exact, ROUND_HALF_EVEN)


def _claim_by_hand(tables, groups: dict, day: int, wage_index, vbp, mode) -> dict:
    """A one-day claim worked step by step as the module docstring says, in a rounding mode."""
    rates = {c: _rounded(tables.cmis[c][g] * tables.base_rates[c], mode)
             for c, g in groups.items()}
    therapy = _rounded((rates["PT"] + rates["OT"]) * tables.factor("PT_OT", day), mode)
    nta = _rounded(rates["NTA"] * tables.factor("NTA", day), mode)
    total = (therapy + nta + rates["NURSING"] + rates["SLP"]
             + tables.base_rates["NON_CASE_MIX"])
    labor = _rounded(total * tables.labor_share, mode)
    labor_adjusted = _rounded(labor * wage_index, mode)
    non_labor = _rounded(total * (1 - tables.labor_share), mode)
    return {"case_mix_total": total, "labor": labor, "labor_adjusted": labor_adjusted,
            "non_labor": non_labor,
            "payment": _rounded((labor_adjusted + non_labor) * vbp, mode)}


FISCAL_YEARS_AND_AREAS = sorted({(int(r["fiscal_year"]), r["area"])
                                 for r in read_csv("base_rates.csv")})


@pytest.mark.parametrize("fiscal_year, area", FISCAL_YEARS_AND_AREAS,
                         ids=[f"FY{fy}-{area}" for fy, area in FISCAL_YEARS_AND_AREAS])
def test_every_step_of_a_claim_on_a_half_cent_rounds_up(tables_from_db, fiscal_year, area):
    # Every PT/OT and NTA group, one day of each variable per-diem step, two wage index and VBP
    # pairs; the claims where some step lands on a half cent that half-even rounds down.
    tables = tables_from_db(fiscal_year, area)
    days = {}
    for day in range(1, 101):
        days.setdefault((tables.factor("PT_OT", day), tables.factor("NTA", day)), day)
    slp, nursing = sorted(tables.cmis["SLP"])[0], sorted(tables.cmis["NURSING"])[0]
    ties = 0
    for pt_ot in sorted(tables.cmis["PT"]):
        for nta in sorted(tables.cmis["NTA"]):
            groups = {"PT": pt_ot, "OT": pt_ot, "SLP": slp, "NURSING": nursing, "NTA": nta}
            rates = pdpm.component_rates(tables, pdpm.Classification(pt_ot, slp, nursing, nta))
            for day in days.values():
                for wage_index, vbp in ((D("1.0000"), D("1")), (D("0.9512"), D("0.99"))):
                    half_up = _claim_by_hand(tables, groups, day, wage_index, vbp,
                                             ROUND_HALF_UP)
                    if half_up == _claim_by_hand(tables, groups, day, wage_index, vbp,
                                                 ROUND_HALF_EVEN):
                        continue
                    ties += 1
                    payment = pdpm.claim_payment(tables, rates, prior_days=day - 1, days=1,
                                                 wage_index=wage_index, vbp_multiplier=vbp)
                    assert {k: getattr(payment, k) for k in half_up} == half_up, (
                        pt_ot, nta, day, wage_index, vbp)
    assert ties > 0
