
from decimal import Decimal

from pydantic import Field

from shared.models.admissions import Named
from shared.models.common import Output, Query


class MonthFigures(Output):
    month: str = Field(description="YYYY-MM, UTC")
    referrals: int
    decided: int
    accepted: int = Field(description="Accepted, including those later admitted or not.")
    declined: int
    acceptance_rate_pct: Decimal | None = Field(description="Accepted of decided; null when "
                                                            "nothing was decided.")
    average_margin_pct: Decimal | None = Field(
        description="The plain average of the projected margin % of every referral received "
                    "in the month, declined and pending included: how the referrals offered "
                    "looked, not what the accepted ones earn (accepted_margin_pct).")
    accepted_margin_pct: Decimal | None = Field(
        description="The projected margin of the month's accepted referrals (admitted or not "
                    "afterwards) taken together: their margin over their net revenue, so each "
                    "is weighted by its revenue and a long stay counts more than a short one. "
                    "What the accepted business is expected to earn; null when none.")
    accepted_average_margin_pct: Decimal | None = Field(
        description="The plain average of the accepted referrals' projected margin %, each "
                    "referral counting once; null when none.")
    median_turnaround_minutes: Decimal | None
    payer_mix: dict[str, int] = Field(description="Referrals by payer type.")


class FacilityFigures(Output):
    facility: Named
    months: list[MonthFigures]


class DashboardOut(Output):
    months: list[MonthFigures] = Field(description="This month and the twelve before it, "
                                                   "oldest first, over all facilities.")
    facilities: list[FacilityFigures]


class DashboardQuery(Query):
    months: int = Field(default=12, ge=1, le=36, description="How many months before this one.")
