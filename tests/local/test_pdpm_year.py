"""The operator's load of a PDPM fiscal year from CMS's pricer CSV layout (issue 12, item 3):
FY2026's published tables, written in the pricer's layout from the reference CSV files, load as
a new year with the same CMIs; any bad cell refuses the whole load and writes nothing."""
from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from local import pdpm_year
from shared.engine.money import cents
from tests.shared.test_engine import tables_from_csv
from tests.shared.test_pdpm import REFERENCE, read_csv

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
REGIONS = {"urban": "URBAN", "rural": "RURAL"}


def write_pricer_files(directory: Path, fiscal_year: int, source_year: int = 2026) -> Path:
    """source_year's tables as CMS's pricer writes them, named for fiscal_year."""
    bases = {(r["area"], r["component"]): (D(r["rate"]), D(r["qrp_reduced_rate"] or "0"))
             for r in read_csv("base_rates.csv") if int(r["fiscal_year"]) == source_year}
    tables = tables_from_csv(source_year, "urban")

    def cell(area, component, letter, qrp=False):
        cmi = tables.cmis[component][tables.hipps[component][letter]]
        return str(cents(cmi * bases[(area, component)][1 if qrp else 0]))

    layouts = {"ptot": ["PT", "OT"], "slp": ["SLP"], "nursing": ["NURSING"], "nta": ["NTA"]}
    for prefix, components in layouts.items():
        with open(directory / f"{prefix}-rates-{fiscal_year}.csv", "w", newline="") as f:
            out = csv.writer(f)
            if prefix == "ptot":
                out.writerow(["region", "group", "physicalTherapyRate",
                              "qualityAdjustedPhysicalTherapyRate", "occupationalTherapyRate",
                              "qualityAdjustedoccupationalTherapyRateRate"])
            elif prefix == "nursing":
                out.writerow(["region", "group", "rate", "aidsAdjustedRate",
                              "qualityAdjustedRate", "aidsAndQualityAdjustedRate"])
            else:
                out.writerow(["region", "group", "rate", "qualityAdjustedRate"])
            for area, region in REGIONS.items():
                for letter in sorted(tables.hipps[components[0]]):
                    row = [region, letter]
                    for c in components:
                        row += [cell(area, c, letter), cell(area, c, letter, qrp=True)]
                    if prefix == "nursing":
                        rate = D(row[2])
                        row = row[:3] + [str(cents(rate * D("1.18"))), row[3],
                                         str(cents(D(row[3]) * D("1.18")))]
                    out.writerow(row)
    base_path = directory / f"base-{fiscal_year}.csv"
    with open(base_path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["area", "component", "rate", "qrp_reduced_rate"])
        for r in read_csv("base_rates.csv"):
            if int(r["fiscal_year"]) == source_year:
                out.writerow([r["area"], r["component"], r["rate"], r["qrp_reduced_rate"]])
    return base_path


@pytest.fixture
def owner_conn(database):
    """The reference tables' owner, in a transaction rolled back after the test."""
    conn = psycopg2.connect(database.owner_dsn)
    yield conn
    conn.rollback()
    conn.close()


def test_a_year_in_the_pricer_layout_loads_with_the_cmis_it_implies(owner_conn, tmp_path):
    base = write_pricer_files(tmp_path, 2099)
    with owner_conn.cursor() as cur:
        cur.execute("SELECT version FROM reference_version")
        (version,) = cur.fetchone()
        data = pdpm_year.build(2099, tmp_path, base, pdpm_year.hipps_groups_of_newest_year(cur))
        pdpm_year.load(cur, fiscal_year=2099, data=data, labor_share=D("0.719"),
                       status="final", rule="test year", net_update=D("0.032"), sources="S1",
                       notes=None)
        # The functions' cached configurations hold the reference data: the load moves its key
        cur.execute("SELECT version FROM reference_version")
        assert cur.fetchone() == (version + 1,)
        cur.execute("SELECT component, group_code, cmi FROM pdpm_case_mix_indexes "
                    "WHERE fiscal_year = 2099")
        loaded = {(c, g): cmi for c, g, cmi in cur.fetchall()}
        cur.execute("SELECT status FROM pdpm_fiscal_years WHERE fiscal_year = 2099")
        assert cur.fetchone() == ("final",)
    expected = {(r["component"], r["group"]): D(r["cmi"]) for r in read_csv("case_mix_indexes.csv")
                if r["fiscal_year"] == "2026"}
    assert loaded == expected and len(loaded) == 75
    assert len(data.base_rates) == 12


def test_a_cell_that_no_cmi_reproduces_refuses_the_whole_load(owner_conn, tmp_path):
    base = write_pricer_files(tmp_path, 2099)
    path = tmp_path / "nta-rates-2099.csv"
    path.write_text(path.read_text().replace("URBAN,E,90.63", "URBAN,E,90.64"))
    with owner_conn.cursor() as cur:
        with pytest.raises(pdpm_year.LoadError) as refused:
            pdpm_year.build(2099, tmp_path, base, pdpm_year.hipps_groups_of_newest_year(cur))
    assert "nta-rates-2099.csv line 6: NTA E 90.64 is not a CMI x 99.59" in str(refused.value)


def test_missing_letters_a_missing_file_and_a_bad_base_rate_are_all_named(owner_conn, tmp_path):
    base = write_pricer_files(tmp_path, 2099)
    (tmp_path / "slp-rates-2099.csv").unlink()
    path = tmp_path / "ptot-rates-2099.csv"
    path.write_text("\n".join(l for l in path.read_text().splitlines()
                              if not l.startswith("RURAL,P,")) + "\n")
    base.write_text(base.read_text().replace("urban,NON_CASE_MIX,118.21", "urban,NON_CASE_MIX,x"))
    with owner_conn.cursor() as cur:
        with pytest.raises(pdpm_year.LoadError) as refused:
            pdpm_year.build(2099, tmp_path, base, pdpm_year.hipps_groups_of_newest_year(cur))
    problems = str(refused.value)
    assert "slp-rates-2099.csv: not found" in problems
    assert "ptot-rates-2099.csv: rural PT letters missing: P" in problems
    assert "'x' is not an amount" in problems


def test_a_final_year_is_not_replaced_without_saying_so(owner_conn, tmp_path):
    base = write_pricer_files(tmp_path, 2026)
    with owner_conn.cursor() as cur:
        data = pdpm_year.build(2026, tmp_path, base, pdpm_year.hipps_groups_of_newest_year(cur))
        with pytest.raises(pdpm_year.LoadError, match="FY2026 is loaded as final"):
            pdpm_year.load(cur, fiscal_year=2026, data=data, labor_share=D("0.719"),
                           status="final", rule="again", net_update=None, sources="S1",
                           notes=None)


def test_the_command_loads_in_one_transaction_or_not_at_all(database, tmp_path, admin_sql):
    base = write_pricer_files(tmp_path, 2098)
    (tmp_path / "nursing-rates-2098.csv").write_text(
        (tmp_path / "nursing-rates-2098.csv").read_text().replace("URBAN,A,506.88",
                                                                  "URBAN,A,506.89"))
    command = [sys.executable, "-m", "local", "load-pdpm-year", "--database-url",
               database.owner_dsn, "--fiscal-year", "2098", "--pricer-dir", str(tmp_path),
               "--base-rates", str(base), "--labor-share", "0.719", "--status", "proposed",
               "--rule", "test", "--sources", "S1"]
    refused = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 1
    assert "NURSING A 506.89" in refused.stderr
    assert admin_sql("SELECT 1 FROM pdpm_base_rates WHERE fiscal_year = 2098") == []
