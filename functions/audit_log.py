"""The audit log: owners and admins read it, a page at a time or as CSV."""
import azure.functions as func

from shared import csv_export
from shared.endpoint import Context, endpoint
from shared.models.audit_log import AuditEntry, AuditFilters, AuditLogQuery
from shared.models.common import Page
from shared.models.users import Role
from shared.services import audit_log

bp = func.Blueprint()


@bp.route(route="audit-log", methods=["GET"])
@endpoint(summary="Who did what, when, from where: newest first, filtered, paged",
          tag="audit", role=Role.admin, query=AuditLogQuery, response=Page[AuditEntry])
def list_audit_log(ctx: Context) -> Page[AuditEntry]:
    return audit_log.list_entries(ctx.cursor, ctx.caller.organization_id, ctx.query)


@bp.route(route="audit-log/export", methods=["GET"])
@endpoint(summary="The filtered audit log as CSV (up to 50,000 entries, newest first)",
          tag="audit", role=Role.admin, query=AuditFilters, content_type="text/csv")
def export_audit_log(ctx: Context) -> func.HttpResponse:
    return csv_export.attachment(audit_log.export_csv(ctx.cursor, ctx.caller.organization_id,
                                                      ctx.query), "audit-log.csv")
