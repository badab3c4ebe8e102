
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator

from shared.models.common import Input, Name, Output, PageQuery, not_null, pattern

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split())

BedCount = Annotated[int, Field(ge=1, le=2000)]
State = Annotated[str, Field(pattern=pattern(r"^[A-Z]{2}$", "must be a two-letter state or "
                                             "territory code in capitals, such as OH"),
                             description="US state or territory code.",
                             json_schema_extra={"enum": sorted(US_STATES)})]
Locality = Literal["urban", "rural"]
WageIndex = Annotated[Decimal, Field(gt=0, lt=5, max_digits=6, decimal_places=4,
                                     description="CBSA wage index for Medicare PDPM.")]
OccupancyPct = Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
Census = Annotated[int, Field(ge=0, le=2000)]


def _known_state(state: str | None) -> str | None:
    if state is not None and state not in US_STATES:
        raise ValueError("must be a US state or territory code such as OH")
    return state


class FacilityCreate(Input):
    rules = {"current_census": "must not be above bed_count (the stored one when not sent)"}

    name: Name
    bed_count: BedCount
    state: State | None = None
    locality: Locality = "urban"
    wage_index: WageIndex = Decimal("1.0000")
    target_occupancy_pct: OccupancyPct | None = Field(
        default=None, description="The organization's target occupancy when omitted.")
    current_census: Census = 0

    _state = field_validator("state")(_known_state)


class FacilityUpdate(Input):
    """Only the fields sent change; null is refused for required ones."""
    rules = FacilityCreate.rules
    name: Name | None = None
    bed_count: BedCount | None = None
    state: State | None = None
    locality: Locality | None = None
    wage_index: WageIndex | None = None
    target_occupancy_pct: OccupancyPct | None = None
    current_census: Census | None = None

    _state = field_validator("state")(_known_state)

    _not_null = not_null("name", "bed_count", "locality", "wage_index", "target_occupancy_pct",
                     "current_census")


class FacilityPublic(Output):
    id: uuid.UUID
    name: str
    bed_count: int
    state: str | None
    locality: Locality
    wage_index: Decimal
    target_occupancy_pct: Decimal
    current_census: int
    is_active: bool
    created_at: datetime
    updated_at: datetime


class FacilityListQuery(PageQuery):
    include_inactive: bool = False
