"""Onboarding: start a facility from sensible defaults (owners and admins)."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.onboarding import DefaultsIn, DefaultsOut
from shared.models.users import Role
from shared.services import onboarding

bp = func.Blueprint()


@bp.route(route="onboarding/defaults", methods=["POST"])
@endpoint(summary="Start a facility from sensible defaults: a Medicare Part A payer, the current "
                  "PDPM rate at its locality and wage index, a cost model template by acuity, "
                  "the default weights (what exists is kept)", tag="configuration",
          role=Role.admin, body=DefaultsIn, response=DefaultsOut, status=201,
          errors=(404,), idempotent=True)
def start_from_defaults(ctx: Context) -> DefaultsOut:
    return onboarding.start_from_defaults(ctx.cursor, ctx.actor, ctx.body)
