"""The dashboard: this month and the ones before it, overall and by facility."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal

from shared.models.dashboard import DashboardOut, DashboardQuery, FacilityFigures, MonthFigures
from shared.repositories import dashboard


def _months(today: date, count: int) -> list[date]:
    """The first days of `count` months before today's and of today's, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count, index + 1)]


def _figures(month: date, row: dict | None, mix: dict[str, int]) -> MonthFigures:
    row = row or {}
    decided = row.get("decided", 0)
    accepted = row.get("accepted", 0)
    median = row.get("median_turnaround_minutes")
    return MonthFigures(
        month=month.strftime("%Y-%m"), referrals=row.get("referrals", 0), decided=decided,
        accepted=accepted, declined=row.get("declined", 0),
        acceptance_rate_pct=(Decimal(accepted * 100) / decided).quantize(Decimal("0.1"))
        if decided else None,
        average_margin_pct=row.get("average_margin_pct"),
        accepted_margin_pct=row.get("accepted_margin_pct"),
        accepted_average_margin_pct=row.get("accepted_average_margin_pct"),
        median_turnaround_minutes=Decimal(str(median)).quantize(Decimal("0.1"))
        if median is not None else None,
        payer_mix=mix)


def dashboard_for(cur, organization_id: uuid.UUID, query: DashboardQuery,
                  today: date | None = None) -> DashboardOut:
    months = _months(today or datetime.now(timezone.utc).date(), query.months)
    rows = dashboard.monthly_figures(cur, organization_id=organization_id, since=months[0])
    mixes = dashboard.monthly_payer_mix(cur, organization_id=organization_id, since=months[0])
    figures = {(r["month"], None if r["overall"] else r["facility_id"]): r for r in rows}
    mix: dict[tuple, dict[str, int]] = defaultdict(dict)
    for r in mixes:
        mix[(r["month"], None if r["overall"] else r["facility_id"])][r["payer_type"]] = r["referrals"]
    facility_ids = sorted({key[1] for key in figures if key[1] is not None}, key=str)
    names = dashboard.facility_names(cur, organization_id=organization_id, ids=facility_ids)
    return DashboardOut(
        months=[_figures(m, figures.get((m, None)), mix[(m, None)]) for m in months],
        facilities=sorted(
            (FacilityFigures(facility={"id": f, "name": names.get(f, "")},
                             months=[_figures(m, figures.get((m, f)), mix[(m, f)])
                                     for m in months])
             for f in facility_ids), key=lambda x: x.facility.name))
