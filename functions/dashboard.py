"""The dashboard directors watch: referrals, acceptance, margins, payer mix, turnaround."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.dashboard import DashboardOut, DashboardQuery
from shared.services import dashboard

bp = func.Blueprint()


@bp.route(route="dashboard", methods=["GET"])
@endpoint(summary="This month and the last twelve, overall and by facility", tag="dashboard",
          query=DashboardQuery, response=DashboardOut)
def get_dashboard(ctx: Context) -> DashboardOut:
    return dashboard.dashboard_for(ctx.cursor, ctx.caller.organization_id, ctx.query)
