"""Facilities: the rules around creating, changing and deactivating them."""
from __future__ import annotations

import uuid

from shared import paging
from shared.errors import Unprocessable
from shared.models.common import Page
from shared.models.facilities import (FacilityCreate, FacilityListQuery, FacilityPublic,
                                      FacilityUpdate)
from shared.repositories import facilities
from shared.services import lifecycle, limits
from shared.services.business_weights import get_weights
from shared.tenancy import Actor

KIND = "facility"


def _census_fits(bed_count: int, census: int) -> None:
    if census > bed_count:
        raise Unprocessable.for_fields(
            {"current_census": f"must be at most bed_count ({bed_count})"})


def list_facilities(cur, organization_id: uuid.UUID,
                    query: FacilityListQuery) -> Page[FacilityPublic]:
    rows = facilities.list_page(cur, organization_id=organization_id,
                                include_inactive=query.include_inactive,
                                after=paging.decode_cursor(query.cursor, (str, uuid.UUID)), limit=query.limit)
    rows, next_cursor = paging.page(rows, query.limit, ("name", "id"))
    return Page[FacilityPublic](items=rows, next_cursor=next_cursor)


def get_facility(cur, organization_id: uuid.UUID, facility_id: uuid.UUID) -> FacilityPublic:
    return FacilityPublic.model_validate(
        lifecycle.fetch(cur, facilities, organization_id, facility_id, KIND))


def create_facility(cur, actor: Actor, data: FacilityCreate) -> FacilityPublic:
    _census_fits(data.bed_count, data.current_census)
    limits.make_room(cur, actor.organization_id, "facilities")
    values = data.model_dump()
    if values["target_occupancy_pct"] is None:  # the organization's target, from its weights
        values["target_occupancy_pct"] = get_weights(cur, actor.organization_id).target_occupancy_pct
    return FacilityPublic.model_validate(lifecycle.create(cur, actor, facilities, KIND, values))


def update_facility(cur, actor: Actor, facility_id: uuid.UUID,
                    data: FacilityUpdate) -> FacilityPublic:
    def census_fits(current: dict, changes: dict) -> None:
        _census_fits(changes.get("bed_count", current["bed_count"]),
                     changes.get("current_census", current["current_census"]))

    return FacilityPublic.model_validate(
        lifecycle.update(cur, actor, facilities, KIND, facility_id, data, check=census_fits))


def deactivate_facility(cur, actor: Actor, facility_id: uuid.UUID) -> None:
    lifecycle.deactivate(cur, actor, facilities, KIND, facility_id)
