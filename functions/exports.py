"""The organization's data export: owners ask for it, list it, download it."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.common import IdPath
from shared.models.exports import DataExportList, DataExportPublic
from shared.models.users import Role
from shared.services import organization_export

bp = func.Blueprint()


@bp.route(route="organization/exports", methods=["POST"])
@endpoint(summary="Ask for an export of everything the organization holds: prepared in the "
                  "background and e-mailed when ready (a zip of CSV and JSON, for 24 hours)",
          tag="organization", role=Role.owner, response=DataExportPublic, status=202,
          errors=(409,), when_closed=True)
def request_export(ctx: Context) -> DataExportPublic:
    return organization_export.request(ctx.cursor, ctx.actor, ctx.caller)


@bp.route(route="organization/exports", methods=["GET"])
@endpoint(summary="The organization's recent data exports, newest first", tag="organization",
          role=Role.owner, response=DataExportList)
def list_exports(ctx: Context) -> DataExportList:
    return organization_export.list_recent(ctx.cursor, ctx.caller)


@bp.route(route="organization/exports/{id:guid}/download", methods=["GET"])
@endpoint(summary="Download a ready export (a zip); audited", tag="organization",
          role=Role.owner, path=IdPath, response=None, content_type="application/zip",
          errors=(409, 410))
def download_export(ctx: Context):
    return organization_export.download(ctx.cursor, ctx.actor, ctx.caller, ctx.path.id)
