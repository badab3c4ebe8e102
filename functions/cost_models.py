"""Cost models: every role reads, owners and admins write."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.common import IdPath, Page
from shared.models.cost_models import (CostModelCreate, CostModelListQuery, CostModelPublic,
                                       CostModelUpdate)
from shared.models.users import Role
from shared.services import cost_models

bp = func.Blueprint()


@bp.route(route="cost-models", methods=["GET"])
@endpoint(summary="List cost models, newest first; filter by facility", tag="cost models",
          query=CostModelListQuery, response=Page[CostModelPublic])
def list_cost_models(ctx: Context) -> Page[CostModelPublic]:
    return cost_models.list_cost_models(ctx.cursor, ctx.caller.organization_id, ctx.query)


@bp.route(route="cost-models", methods=["POST"])
@endpoint(summary="Create a facility's cost model (one active per facility)",
          tag="cost models", role=Role.admin, body=CostModelCreate, response=CostModelPublic,
          status=201, errors=(409,), idempotent=True)
def create_cost_model(ctx: Context) -> CostModelPublic:
    return cost_models.create_cost_model(ctx.cursor, ctx.actor, ctx.body)


@bp.route(route="cost-models/{id:guid}", methods=["GET"])
@endpoint(summary="Get a cost model", tag="cost models", path=IdPath, response=CostModelPublic)
def get_cost_model(ctx: Context) -> CostModelPublic:
    return cost_models.get_cost_model(ctx.cursor, ctx.caller.organization_id, ctx.path.id)


@bp.route(route="cost-models/{id:guid}", methods=["PATCH"])
@endpoint(summary="Change a cost model", tag="cost models", role=Role.admin, path=IdPath,
          body=CostModelUpdate, response=CostModelPublic)
def update_cost_model(ctx: Context) -> CostModelPublic:
    return cost_models.update_cost_model(ctx.cursor, ctx.actor, ctx.path.id, ctx.body)


@bp.route(route="cost-models/{id:guid}", methods=["DELETE"])
@endpoint(summary="Deactivate a cost model", tag="cost models", role=Role.admin, path=IdPath,
          status=204)
def deactivate_cost_model(ctx: Context) -> None:
    cost_models.deactivate_cost_model(ctx.cursor, ctx.actor, ctx.path.id)
