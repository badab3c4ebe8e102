"""Reference data for the frontend: catalogs and the PDPM groups of a fiscal year."""
from __future__ import annotations

from shared.catalog import (ACUITY_LEVELS, DECLINE_REASONS, NOT_ADMITTED_REASONS, PAYER_TYPES,
                            SERVICES)
from shared.errors import Unprocessable
from shared.models.reference import Option, PdpmGroup, ReferenceOut, ReferenceQuery
from shared.repositories import pdpm


def _options(catalog: dict[str, str]) -> list[Option]:
    return [Option(code=code, label=label) for code, label in catalog.items()]


def reference(cur, query: ReferenceQuery) -> ReferenceOut:
    years = pdpm.fiscal_years(cur)
    year = query.fiscal_year or (years[-1] if years else None)
    if query.fiscal_year is not None and query.fiscal_year not in years:
        raise Unprocessable.for_fields(
            {"fiscal_year": f"no PDPM data for it; loaded: {', '.join(map(str, years))}"},
            location="query")
    groups = pdpm.groups(cur, fiscal_year=year) if year else []
    return ReferenceOut(
        acuity_levels=_options(ACUITY_LEVELS), services=_options(SERVICES),
        payer_types=_options(PAYER_TYPES), decline_reasons=_options(DECLINE_REASONS),
        not_admitted_reasons=_options(NOT_ADMITTED_REASONS), pdpm_fiscal_years=years,
        pdpm_fiscal_year=year,
        pdpm_fiscal_year_status={y: info.status for y, info in pdpm.fiscal_year_info(cur).items()},
        pdpm_groups=[PdpmGroup(component=g["component"], group=g["group_code"],
                               hipps_char=g["hipps_char"], cmi=g["cmi"]) for g in groups])
