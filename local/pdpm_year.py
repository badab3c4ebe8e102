"""Load one fiscal year of Medicare PDPM tables from CMS's SNF pricer CSV files, so the yearly
update is data, not code:

    python -m local load-pdpm-year --database-url postgresql://owner@host/db \\
        --fiscal-year 2027 --pricer-dir path/ --base-rates base-2027.csv --labor-share 0.719 \\
        --status final --rule "FY2027 final rule, CMS-1843-F" --net-update 0.024 --sources S17

The pricer directory holds `ptot-rates-YYYY.csv`, `slp-rates-YYYY.csv`, `nursing-rates-YYYY.csv`
and `nta-rates-YYYY.csv` (github DSACMS/MedicareClaimsPricerSource, snf-pricer-application): the
case-mix adjusted rate of each HIPPS letter by region, with QRP-reduced (and, for nursing,
AIDS-adjusted) columns. The base-rates file is `area,component,rate,qrp_reduced_rate` for the six
components of both areas. Each CMI is derived as rate / base and every published cell must be
reproduced by CMI x base rounded half-up, as the pricer rounds; urban and rural must give the
same CMIs. Any problem refuses the whole load; otherwise one transaction replaces the year (a
final year only with --replace-final). Connect as the owner of the reference tables."""
from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from shared.engine.money import cents
from shared.repositories import configuration_versions

AIDS_NURSING_FACTOR = Decimal("1.18")   # the pricer's nursing column for HIV/AIDS (S1)
# file prefix -> (component, rate column, QRP-reduced column) for each component it holds
PRICER_FILES = {
    "ptot": [("PT", "physicalTherapyRate", "qualityAdjustedPhysicalTherapyRate"),
             ("OT", "occupationalTherapyRate", "qualityAdjustedoccupationalTherapyRateRate")],
    "slp": [("SLP", "rate", "qualityAdjustedRate")],
    "nursing": [("NURSING", "rate", "qualityAdjustedRate")],
    "nta": [("NTA", "rate", "qualityAdjustedRate")],
}
COMPONENTS = ("PT", "OT", "SLP", "NURSING", "NTA", "NON_CASE_MIX")
AREAS = {"URBAN": "urban", "RURAL": "rural"}


class LoadError(Exception):
    """Every problem found, one a line; nothing was written."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class FiscalYearData:
    base_rates: list[dict]       # area, component, rate, qrp_reduced_rate
    cmis: list[dict]             # component, group_code, hipps_char, cmi


def _money(value: str, where: str, problems: list[str]) -> Decimal | None:
    try:
        amount = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        problems.append(f"{where}: {value!r} is not an amount")
        return None
    if amount <= 0 or amount != cents(amount):
        problems.append(f"{where}: {value!r} is not a positive amount in cents")
        return None
    return amount


def read_base_rates(path: Path, problems: list[str]) -> dict[tuple[str, str], tuple]:
    rates: dict[tuple[str, str], tuple] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["area", "component", "rate", "qrp_reduced_rate"]:
            problems.append(f"{path.name}: columns must be area,component,rate,qrp_reduced_rate")
            return rates
        for n, row in enumerate(reader, start=2):
            key = (row["area"], row["component"])
            where = f"{path.name} line {n}"
            if row["area"] not in AREAS.values() or row["component"] not in COMPONENTS:
                problems.append(f"{where}: unknown area or component {key}")
                continue
            if key in rates:
                problems.append(f"{where}: {key} given twice")
            qrp = row["qrp_reduced_rate"] or ""
            rates[key] = (_money(row["rate"], where, problems),
                          _money(qrp, where, problems) if qrp.strip() else None)
    missing = {(a, c) for a in AREAS.values() for c in COMPONENTS} - set(rates)
    if missing:
        problems.append(f"{path.name}: missing {sorted(missing)}")
    return rates


def build(fiscal_year: int, pricer_dir: Path, base_rates_path: Path,
          hipps_groups: dict[str, dict[str, str]]) -> FiscalYearData:
    """Read and check everything; raise LoadError listing every problem."""
    problems: list[str] = []
    base = read_base_rates(base_rates_path, problems)
    cmis: dict[tuple[str, str], Decimal] = {}
    for prefix, columns in PRICER_FILES.items():
        path = pricer_dir / f"{prefix}-rates-{fiscal_year}.csv"
        if not path.exists():
            problems.append(f"{path.name}: not found in {pricer_dir}")
            continue
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            needed = {"region", "group"} | {c for _, r, q in columns for c in (r, q)}
            if prefix == "nursing":
                needed.add("aidsAdjustedRate")
            if not needed <= set(reader.fieldnames or ()):
                problems.append(f"{path.name}: columns {sorted(needed - set(reader.fieldnames or ()))}"
                                " missing: is this CMS's pricer layout?")
                continue
            seen: dict[str, set[str]] = {}
            for n, row in enumerate(reader, start=2):
                where = f"{path.name} line {n}"
                area = AREAS.get(row["region"])
                if area is None:
                    problems.append(f"{where}: region {row['region']!r} is not URBAN or RURAL")
                    continue
                for component, rate_column, qrp_column in columns:
                    letter = row["group"]
                    if letter not in hipps_groups[component]:
                        problems.append(f"{where}: {letter!r} is not a {component} HIPPS letter")
                        continue
                    seen.setdefault(area, set()).add(letter)
                    rate = _money(row[rate_column], where, problems)
                    base_rate, qrp_base = base.get((area, component), (None, None))
                    if rate is None or base_rate is None:
                        continue
                    cmi = (rate / base_rate).quantize(Decimal("0.01"))
                    if cents(cmi * base_rate) != rate:
                        problems.append(f"{where}: {component} {letter} {rate} is not a CMI x "
                                        f"{base_rate} rounded to cents")
                        continue
                    key = (component, letter)
                    if cmis.setdefault(key, cmi) != cmi:
                        problems.append(f"{where}: {component} {letter} CMI {cmi} differs from "
                                        f"the other area's {cmis[key]}")
                    qrp = _money(row[qrp_column], where, problems)
                    if qrp_base is not None and qrp is not None and cents(cmi * qrp_base) != qrp:
                        problems.append(f"{where}: QRP-reduced {component} {letter} {qrp} is not "
                                        f"CMI {cmi} x {qrp_base}")
                    if component == "NURSING":
                        aids = _money(row["aidsAdjustedRate"], where, problems)
                        if aids is not None and cents(rate * AIDS_NURSING_FACTOR) != aids:
                            problems.append(f"{where}: AIDS-adjusted nursing {aids} is not "
                                            f"{rate} x 1.18")
            for area in AREAS.values():
                for component, _, _ in columns:
                    missing = set(hipps_groups[component]) - seen.get(area, set())
                    if missing:
                        problems.append(f"{path.name}: {area} {component} letters missing: "
                                        f"{''.join(sorted(missing))}")
    if problems:
        raise LoadError(problems)
    return FiscalYearData(
        base_rates=[{"area": a, "component": c, "rate": r, "qrp_reduced_rate": q}
                    for (a, c), (r, q) in sorted(base.items())],
        cmis=[{"component": c, "hipps_char": letter, "group_code": hipps_groups[c][letter],
               "cmi": cmi} for (c, letter), cmi in sorted(cmis.items())])


def hipps_groups_of_newest_year(cur) -> dict[str, dict[str, str]]:
    """HIPPS letter -> group code of each component (the letters do not change by year)."""
    cur.execute("""
        SELECT component, hipps_char, group_code FROM pdpm_case_mix_indexes
         WHERE fiscal_year = (SELECT max(fiscal_year) FROM pdpm_case_mix_indexes)
    """)
    groups: dict[str, dict[str, str]] = {}
    for component, letter, group in cur.fetchall():
        groups.setdefault(component, {})[letter] = group
    return groups


def load(cur, *, fiscal_year: int, data: FiscalYearData, labor_share: Decimal, status: str,
         rule: str, net_update: Decimal | None, sources: str, notes: str | None,
         replace_final: bool = False) -> None:
    """Replace the year's rows with `data`, inside the caller's transaction."""
    problems = []
    if not Decimal(0) < labor_share < Decimal(1):
        problems.append(f"labor share {labor_share} must be between 0 and 1")
    if status not in ("final", "proposed"):
        problems.append(f"status {status!r} must be final or proposed")
    cur.execute("SELECT code FROM pdpm_sources")
    known = {row[0] for row in cur.fetchall()}
    unknown = [code for code in sources.split(";") if code not in known]
    if unknown:
        problems.append(f"sources {unknown} are not in pdpm_sources: add them first")
    cur.execute("SELECT status FROM pdpm_fiscal_years WHERE fiscal_year = %s FOR UPDATE",
                (fiscal_year,))
    current = cur.fetchone()
    if current and current[0] == "final" and not replace_final:
        problems.append(f"FY{fiscal_year} is loaded as final: give --replace-final to replace it")
    if problems:
        raise LoadError(problems)
    basis = "cms_pricer_load" if status == "final" else "proposed"
    for table in ("pdpm_base_rates", "pdpm_case_mix_indexes", "pdpm_labor_shares",
                  "pdpm_fiscal_years"):
        cur.execute(f"DELETE FROM {table} WHERE fiscal_year = %s", (fiscal_year,))
    for row in data.base_rates:
        cur.execute("""
            INSERT INTO pdpm_base_rates (fiscal_year, area, component, rate, qrp_reduced_rate,
                                         basis, sources)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
        """, (fiscal_year, row["area"], row["component"], row["rate"], row["qrp_reduced_rate"],
              basis, sources))
    for row in data.cmis:
        cur.execute("""
            INSERT INTO pdpm_case_mix_indexes (fiscal_year, component, group_code, hipps_char,
                                               cmi, basis, sources)
            VALUES (%s, %s, %s, %s, %s, 'derived_cms_pricer_load', %s)
        """, (fiscal_year, row["component"], row["group_code"], row["hipps_char"], row["cmi"],
              sources))
    cur.execute("""
        INSERT INTO pdpm_labor_shares (fiscal_year, labor_related_share, non_labor_share, basis,
                                       sources)
        VALUES (%s, %s, %s, %s, %s)
    """, (fiscal_year, labor_share, 1 - labor_share, basis, sources))
    cur.execute("""
        INSERT INTO pdpm_fiscal_years (fiscal_year, status, rule, net_update, sources, notes)
        VALUES (%s, %s, %s, %s, %s, %s)
    """, (fiscal_year, status, rule, net_update, sources, notes))
    # The functions' cached configurations hold the reference data: the next evaluation reads it.
    configuration_versions.bump_reference(cur)


def main(argv: list[str] | None = None) -> int:
    import psycopg2

    parser = argparse.ArgumentParser(prog="python -m local load-pdpm-year",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="a connection as the owner of the reference tables")
    parser.add_argument("--fiscal-year", type=int, required=True)
    parser.add_argument("--pricer-dir", type=Path, required=True)
    parser.add_argument("--base-rates", type=Path, required=True)
    parser.add_argument("--labor-share", type=Decimal, required=True)
    parser.add_argument("--status", choices=("final", "proposed"), required=True)
    parser.add_argument("--rule", required=True, help="e.g. 'FY2027 final rule, CMS-1843-F'")
    parser.add_argument("--net-update", type=Decimal, default=None)
    parser.add_argument("--sources", required=True, help="codes of pdpm_sources, ';'-separated")
    parser.add_argument("--notes", default=None, help="what could not be sourced")
    parser.add_argument("--replace-final", action="store_true")
    args = parser.parse_args(argv)
    conn = psycopg2.connect(args.database_url)
    try:
        with conn, conn.cursor() as cur:   # one transaction: all of it or nothing
            data = build(args.fiscal_year, args.pricer_dir, args.base_rates,
                         hipps_groups_of_newest_year(cur))
            load(cur, fiscal_year=args.fiscal_year, data=data, labor_share=args.labor_share,
                 status=args.status, rule=args.rule, net_update=args.net_update,
                 sources=args.sources, notes=args.notes, replace_final=args.replace_final)
    except LoadError as exc:
        print(f"FY{args.fiscal_year} not loaded:\n{exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    print(f"FY{args.fiscal_year} loaded ({args.status}): {len(data.base_rates)} base rates, "
          f"{len(data.cmis)} CMIs. Add the same rows to reference/pdpm/ and restart the "
          "functions (they keep each year's tables in memory by status).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
