"""Facilities: every role reads, owners and admins write."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.common import IdPath, Page
from shared.models.facilities import (FacilityCreate, FacilityListQuery, FacilityPublic,
                                      FacilityUpdate)
from shared.models.users import Role
from shared.services import facilities

bp = func.Blueprint()


@bp.route(route="facilities", methods=["GET"])
@endpoint(summary="List facilities by name, a page at a time", tag="facilities",
          query=FacilityListQuery, response=Page[FacilityPublic])
def list_facilities(ctx: Context) -> Page[FacilityPublic]:
    return facilities.list_facilities(ctx.cursor, ctx.caller.organization_id, ctx.query)


@bp.route(route="facilities", methods=["POST"])
@endpoint(summary="Create a facility", tag="facilities", role=Role.admin, body=FacilityCreate,
          response=FacilityPublic, status=201, errors=(402, 409),
          idempotent=True)
def create_facility(ctx: Context) -> FacilityPublic:
    return facilities.create_facility(ctx.cursor, ctx.actor, ctx.body)


@bp.route(route="facilities/{id:guid}", methods=["GET"])
@endpoint(summary="Get a facility", tag="facilities", path=IdPath, response=FacilityPublic,
          errors=(404,))
def get_facility(ctx: Context) -> FacilityPublic:
    return facilities.get_facility(ctx.cursor, ctx.caller.organization_id, ctx.path.id)


@bp.route(route="facilities/{id:guid}", methods=["PATCH"])
@endpoint(summary="Change a facility's fields", tag="facilities", role=Role.admin, path=IdPath,
          body=FacilityUpdate, response=FacilityPublic, errors=(404, 409))
def update_facility(ctx: Context) -> FacilityPublic:
    return facilities.update_facility(ctx.cursor, ctx.actor, ctx.path.id, ctx.body)


@bp.route(route="facilities/{id:guid}", methods=["DELETE"])
@endpoint(summary="Deactivate a facility; its history stays", tag="facilities",
          role=Role.admin, path=IdPath, status=204, errors=(404,))
def deactivate_facility(ctx: Context) -> None:
    facilities.deactivate_facility(ctx.cursor, ctx.actor, ctx.path.id)
