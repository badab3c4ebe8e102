"""Facilities: the rules around creating, changing and deactivating them."""
from __future__ import annotations

import uuid

from shared import audit, paging
from shared.errors import NotFound, Unprocessable
from shared.models.common import Page
from shared.models.facilities import (FacilityCreate, FacilityListQuery, FacilityPublic,
                                      FacilityUpdate)
from shared.repositories import facilities
from shared.tenancy import Actor

NOT_FOUND = "No facility with this id."


def _census_fits(bed_count: int, census: int) -> None:
    if census > bed_count:
        raise Unprocessable("The census cannot exceed the beds.", errors=[{
            "location": "body", "field": "current_census",
            "message": f"must be at most bed_count ({bed_count})", "type": "census_over_beds"}])


def list_facilities(cur, organization_id: uuid.UUID, query: FacilityListQuery) -> Page[FacilityPublic]:
    rows = facilities.list_page(cur, organization_id=organization_id,
                                include_inactive=query.include_inactive,
                                after=paging.decode_cursor(query.cursor, 2), limit=query.limit)
    rows, next_cursor = paging.page(rows, query.limit, ("name", "id"))
    return Page[FacilityPublic](items=rows, next_cursor=next_cursor)


def get_facility(cur, organization_id: uuid.UUID, facility_id: uuid.UUID) -> FacilityPublic:
    row = facilities.get(cur, organization_id=organization_id, facility_id=facility_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return FacilityPublic.model_validate(row)


def create_facility(cur, actor: Actor, data: FacilityCreate) -> FacilityPublic:
    _census_fits(data.bed_count, data.current_census)
    values = data.model_dump()
    row = facilities.insert(cur, organization_id=actor.organization_id, values=values)
    audit.record(cur, actor, action="facility.create", object_type="facility",
                 object_id=row["id"], changes=values)
    return FacilityPublic.model_validate(row)


def update_facility(cur, actor: Actor, facility_id: uuid.UUID,
                    data: FacilityUpdate) -> FacilityPublic:
    current = facilities.get(cur, organization_id=actor.organization_id,
                             facility_id=facility_id, for_update=True)
    if current is None:
        raise NotFound(NOT_FOUND)
    changes = {name: value for name, value in data.model_dump(exclude_unset=True).items()
               if value != current[name]}
    if not changes:
        return FacilityPublic.model_validate(current)
    _census_fits(changes.get("bed_count", current["bed_count"]),
                 changes.get("current_census", current["current_census"]))
    row = facilities.update(cur, organization_id=actor.organization_id,
                            facility_id=facility_id, values=changes)
    audit.record(cur, actor, action="facility.update", object_type="facility",
                 object_id=facility_id, changes=changes)
    return FacilityPublic.model_validate(row)


def deactivate_facility(cur, actor: Actor, facility_id: uuid.UUID) -> None:
    """Deactivate: the facility leaves lists and choices; its history stays. Repeating is fine."""
    if facilities.get(cur, organization_id=actor.organization_id, facility_id=facility_id) is None:
        raise NotFound(NOT_FOUND)
    if facilities.deactivate(cur, organization_id=actor.organization_id, facility_id=facility_id):
        audit.record(cur, actor, action="facility.deactivate", object_type="facility",
                     object_id=facility_id, changes={"is_active": False})
