"""SQL for the Medicare PDPM reference tables (the same for every organization)."""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from shared.engine.pdpm import FiscalYear, Tables


def fiscal_years(cur) -> list[int]:
    cur.execute("SELECT DISTINCT fiscal_year FROM pdpm_base_rates ORDER BY fiscal_year")
    return [row["fiscal_year"] for row in cur.fetchall()]


def load_tables(cur, *, fiscal_year: int, area: str) -> Tables | None:
    """One fiscal year and area of the reference data, or None when it is not loaded."""
    cur.execute("""
        SELECT component, rate, qrp_reduced_rate FROM pdpm_base_rates
         WHERE fiscal_year = %(fy)s AND area = %(area)s
    """, {"fy": fiscal_year, "area": area})
    rows = cur.fetchall()
    base_rates = {row["component"]: row["rate"] for row in rows}
    qrp_base_rates = {row["component"]: row["qrp_reduced_rate"] for row in rows}
    cur.execute("SELECT labor_related_share FROM pdpm_labor_shares WHERE fiscal_year = %(fy)s",
                {"fy": fiscal_year})
    share = cur.fetchone()
    if not base_rates or share is None:
        return None
    cur.execute("""
        SELECT component, group_code, hipps_char, cmi FROM pdpm_case_mix_indexes
         WHERE fiscal_year = %(fy)s
    """, {"fy": fiscal_year})
    cmis: dict[str, dict[str, Decimal]] = {}
    hipps: dict[str, dict[str, str]] = {}
    for row in cur.fetchall():
        cmis.setdefault(row["component"], {})[row["group_code"]] = row["cmi"]
        hipps.setdefault(row["component"], {})[row["hipps_char"]] = row["group_code"]
    cur.execute("SELECT component, first_day, last_day, factor FROM pdpm_variable_per_diem"
                " ORDER BY component, first_day")
    vpd: dict[str, list] = {}
    for row in cur.fetchall():
        vpd.setdefault(row["component"], []).append(
            (row["first_day"], row["last_day"], row["factor"]))
    return Tables(fiscal_year=fiscal_year, area=area, base_rates=base_rates, cmis=cmis,
                  hipps=hipps, labor_share=share["labor_related_share"], vpd=vpd,
                  qrp_base_rates=qrp_base_rates)


def coinsurance_by_year(cur) -> dict[int, Decimal]:
    """The SNF daily coinsurance of each calendar year loaded."""
    cur.execute("SELECT calendar_year, daily_amount FROM snf_coinsurance ORDER BY calendar_year")
    return {row["calendar_year"]: row["daily_amount"] for row in cur.fetchall()}


def groups(cur, *, fiscal_year: int) -> list[dict]:
    cur.execute("""
        SELECT component, group_code, hipps_char, cmi FROM pdpm_case_mix_indexes
         WHERE fiscal_year = %(fy)s ORDER BY component, hipps_char
    """, {"fy": fiscal_year})
    return cur.fetchall()


# What a PDPM stay needs besides its rate's tables, as one row: the loaded fiscal years, the
# coinsurance by calendar year and what is known of each fiscal year, in arrays (which keep
# their types). One row, so that `together.read` can send it with the configuration's reads.
STAY_REFERENCE_COLUMNS = ("reference_version, loaded_years, coinsurance_years, "
                          "coinsurance_amounts, known_years, statuses, rules, net_updates, notes")


class StayReference(NamedTuple):
    """What a PDPM stay needs besides its rate's tables. `version`: the reference data's
    (migration 0039), which keys the tables each process keeps."""
    version: int
    fiscal_years: list[int]
    coinsurance_by_year: dict[int, Decimal]
    fiscal_year_info: dict[int, FiscalYear]


def stay_reference_statement() -> tuple[str, dict]:
    """stay_reference's (query, parameters), to read together with others."""
    return ("""
        SELECT (SELECT version FROM reference_version) AS reference_version,
               (SELECT array_agg(DISTINCT fiscal_year ORDER BY fiscal_year)
                  FROM pdpm_base_rates) AS loaded_years,
               (SELECT array_agg(calendar_year ORDER BY calendar_year)
                  FROM snf_coinsurance) AS coinsurance_years,
               (SELECT array_agg(daily_amount ORDER BY calendar_year)
                  FROM snf_coinsurance) AS coinsurance_amounts,
               fy.known_years, fy.statuses, fy.rules, fy.net_updates, fy.notes
          FROM (SELECT array_agg(fiscal_year ORDER BY fiscal_year) AS known_years,
                       array_agg(status ORDER BY fiscal_year) AS statuses,
                       array_agg(rule ORDER BY fiscal_year) AS rules,
                       array_agg(net_update ORDER BY fiscal_year) AS net_updates,
                       array_agg(notes ORDER BY fiscal_year) AS notes
                  FROM pdpm_fiscal_years) AS fy
    """, {})


def stay_reference_of(row: dict) -> StayReference:
    """The StayReference of stay_reference's row."""
    coinsurance = dict(zip(row["coinsurance_years"] or [], row["coinsurance_amounts"] or []))
    known = {year: FiscalYear(fiscal_year=year, status=status, rule=rule,
                              net_update=net_update, notes=notes)
             for year, status, rule, net_update, notes in zip(
                 row["known_years"] or [], row["statuses"] or [], row["rules"] or [],
                 row["net_updates"] or [], row["notes"] or [])}
    return StayReference(row["reference_version"], row["loaded_years"] or [], coinsurance, known)


def stay_reference(cur) -> StayReference:
    """The StayReference in one statement (one round trip for an evaluation that
    `configuration` did not read it for)."""
    cur.execute(*stay_reference_statement())
    return stay_reference_of(cur.fetchone())


def fiscal_year_info(cur) -> dict[int, FiscalYear]:
    """Each fiscal year's status (final or proposed), rule, net update and unsourced notes."""
    cur.execute("SELECT fiscal_year, status, rule, net_update, notes FROM pdpm_fiscal_years")
    return {row["fiscal_year"]: FiscalYear(**row) for row in cur.fetchall()}
