"""The organization's scoring settings and the reference data every screen reads."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.business_weights import BusinessWeightsIn, BusinessWeightsPublic
from shared.models.reference import ReferenceOut, ReferenceQuery
from shared.models.users import Role
from shared.services import business_weights, reference

bp = func.Blueprint()


@bp.route(route="business-weights", methods=["GET"])
@endpoint(summary="The organization's business weights (defaults until it saves its own)",
          tag="configuration", response=BusinessWeightsPublic)
def get_business_weights(ctx: Context) -> BusinessWeightsPublic:
    return business_weights.get_weights(ctx.cursor, ctx.caller.organization_id)


@bp.route(route="business-weights", methods=["PUT"])
@endpoint(summary="Replace the organization's business weights", tag="configuration",
          role=Role.admin, body=BusinessWeightsIn, response=BusinessWeightsPublic)
def put_business_weights(ctx: Context) -> BusinessWeightsPublic:
    return business_weights.put_weights(ctx.cursor, ctx.actor, ctx.body)


@bp.route(route="reference", methods=["GET"])
@endpoint(summary="Acuity levels, the service catalog, payer types and PDPM groups",
          tag="configuration", query=ReferenceQuery, response=ReferenceOut)
def get_reference(ctx: Context) -> ReferenceOut:
    return reference.reference(ctx.cursor, ctx.query)
