
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, computed_field, field_validator

from shared.models.common import FieldWarning, Input, Name, Output, PageQuery, not_null, pattern

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
# What a facility saved without a wage index gets. Not required: a facility that takes no
# Medicare Part A needs none, and clients that never sent one keep working; instead the
# facility (and the PDPM rate started from it) warns until one is set. A real CBSA index is
# seldom exactly 1.0000, and the warning says to ignore it then.
UNSET_WAGE_INDEX = Decimal("1.0000")


def wage_index_warning(wage_index: Decimal, subject: str = "") -> list[FieldWarning]:
    """The warning of a wage index left at 1.0000 (none, when set); `subject` leads it."""
    if wage_index != UNSET_WAGE_INDEX:
        return []
    return [FieldWarning(field="wage_index", message=(
        f"{subject}1.0000 is what a facility saved without a wage index gets. Medicare PDPM "
        "multiplies the labor-related share of each per diem by the facility's CBSA wage "
        "index, so where that index is lower (rural Ohio's is 0.8456) 1.0000 overstates "
        "revenue. Set the facility's CBSA wage index from CMS's SNF PPS wage index table; if "
        "it really is 1.0000, ignore this."))]


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
    wage_index: WageIndex = Field(
        default=UNSET_WAGE_INDEX, description="The CBSA wage index for Medicare PDPM. Optional "
        "(a facility taking no Medicare Part A needs none): 1.0000 when omitted, and the "
        "facility's `warnings` then say so until one is set, since 1.0000 overstates PDPM "
        "revenue where the CBSA's index is lower.")
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

    @computed_field(description="What was saved that works but is likely wrong (a wage index "
                                "left at 1.0000), for the form to show at the field.")
    @property
    def warnings(self) -> list[FieldWarning]:
        return wage_index_warning(self.wage_index)


class FacilityListQuery(PageQuery):
    include_inactive: bool = False
