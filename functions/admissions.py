"""Admissions: coordinators and above evaluate, save and decide; every role reads."""
import azure.functions as func

from shared import csv_export
from shared.endpoint import Context, endpoint
from shared.models.admissions import (AdmissionFilters, AdmissionIn, AdmissionListQuery,
                                      AdmissionPublic, AdmissionSummary, ComparisonOut, DecisionIn,
                                      Evaluation, ReferralIn)
from shared.models.common import IdPath, Page
from shared.models.users import Role
from shared.services import admission_export, admissions

bp = func.Blueprint()


@bp.route(route="admissions/evaluate", methods=["POST"])
@endpoint(summary="Evaluate a referral at a facility; nothing is saved", tag="admissions",
          role=Role.coordinator, body=AdmissionIn, response=Evaluation)
def evaluate_admission(ctx: Context) -> Evaluation:
    return admissions.evaluate_referral(ctx.cursor, ctx.caller.organization_id, ctx.body,
                                        ctx.caller.configuration_versions)


@bp.route(route="admissions/compare", methods=["POST"])
@endpoint(summary="Evaluate a referral at every active facility, best placement first",
          tag="admissions", role=Role.coordinator, body=ReferralIn, response=ComparisonOut)
def compare_placements(ctx: Context) -> ComparisonOut:
    return admissions.compare(ctx.cursor, ctx.caller.organization_id, ctx.body)


@bp.route(route="admissions", methods=["POST"])
@endpoint(summary="Evaluate a referral and save it under a new case number",
          tag="admissions", role=Role.coordinator, body=AdmissionIn, response=AdmissionPublic,
          status=201, errors=(402,), idempotent=True)
def create_admission(ctx: Context) -> AdmissionPublic:
    return admissions.create_admission(ctx.cursor, ctx.actor, ctx.body,
                                       ctx.caller.configuration_versions)


@bp.route(route="admissions", methods=["GET"])
@endpoint(summary="List admissions, newest referral first, with filters", tag="admissions",
          query=AdmissionListQuery, response=Page[AdmissionSummary])
def list_admissions(ctx: Context) -> Page[AdmissionSummary]:
    return admissions.list_admissions(ctx.cursor, ctx.caller.organization_id, ctx.query)


@bp.route(route="admissions/export", methods=["GET"])
@endpoint(summary="The filtered admissions list as CSV (up to 50,000, newest referral first)",
          tag="admissions", query=AdmissionFilters, content_type="text/csv")
def export_admissions(ctx: Context) -> func.HttpResponse:
    return csv_export.attachment(admission_export.export_csv(
        ctx.cursor, ctx.caller.organization_id, ctx.query), "admissions.csv")


@bp.route(route="admissions/{id:guid}", methods=["GET"])
@endpoint(summary="Get an admission with its full evaluation", tag="admissions", path=IdPath,
          response=AdmissionPublic)
def get_admission(ctx: Context) -> AdmissionPublic:
    return admissions.get_admission(ctx.cursor, ctx.caller.organization_id, ctx.path.id)


@bp.route(route="admissions/{id:guid}/decision", methods=["POST"])
@endpoint(summary="Record accepted or declined (with a reason), then admitted or not",
          tag="admissions", role=Role.coordinator, path=IdPath, body=DecisionIn,
          response=AdmissionPublic, errors=(409,))
def decide_admission(ctx: Context) -> AdmissionPublic:
    return admissions.decide(ctx.cursor, ctx.actor, ctx.path.id, ctx.body)


@bp.route(route="admissions/{id:guid}/reopen", methods=["POST"])
@endpoint(summary="Undo the last decision or outcome, within 24 hours of it (admins)",
          tag="admissions", role=Role.admin, path=IdPath, response=AdmissionPublic,
          errors=(409,))
def reopen_admission(ctx: Context) -> AdmissionPublic:
    return admissions.reopen(ctx.cursor, ctx.actor, ctx.path.id)
