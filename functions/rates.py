"""Rates: every role reads, owners and admins write."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.common import IdPath, Page
from shared.models.rates import RateCreate, RateListQuery, RatePublic, RateUpdate
from shared.models.users import Role
from shared.services import rates

bp = func.Blueprint()


@bp.route(route="rates", methods=["GET"])
@endpoint(summary="List rates, newest period first; filter by facility or payer", tag="rates",
          query=RateListQuery, response=Page[RatePublic])
def list_rates(ctx: Context) -> Page[RatePublic]:
    return rates.list_rates(ctx.cursor, ctx.caller.organization_id, ctx.query)


@bp.route(route="rates", methods=["POST"])
@endpoint(summary="Create a rate for a facility and payer (per diem, by acuity, or Medicare "
                  "PDPM); periods of one facility and payer may not overlap", tag="rates",
          role=Role.admin, body=RateCreate, response=RatePublic, status=201, errors=(409,),
          idempotent=True)
def create_rate(ctx: Context) -> RatePublic:
    return rates.create_rate(ctx.cursor, ctx.actor, ctx.body)


@bp.route(route="rates/{id:guid}", methods=["GET"])
@endpoint(summary="Get a rate", tag="rates", path=IdPath, response=RatePublic)
def get_rate(ctx: Context) -> RatePublic:
    return rates.get_rate(ctx.cursor, ctx.caller.organization_id, ctx.path.id)


@bp.route(route="rates/{id:guid}", methods=["PATCH"])
@endpoint(summary="Change a rate's period or amounts", tag="rates", role=Role.admin,
          path=IdPath, body=RateUpdate, response=RatePublic, errors=(409,))
def update_rate(ctx: Context) -> RatePublic:
    return rates.update_rate(ctx.cursor, ctx.actor, ctx.path.id, ctx.body)


@bp.route(route="rates/{id:guid}", methods=["DELETE"])
@endpoint(summary="Deactivate a rate; admissions that used it keep it", tag="rates",
          role=Role.admin, path=IdPath, status=204)
def deactivate_rate(ctx: Context) -> None:
    rates.deactivate_rate(ctx.cursor, ctx.actor, ctx.path.id)
