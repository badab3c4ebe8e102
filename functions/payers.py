"""Payers: every role reads, owners and admins write."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.common import IdPath, Page
from shared.models.payers import PayerCreate, PayerListQuery, PayerPublic, PayerUpdate
from shared.models.users import Role
from shared.services import payers

bp = func.Blueprint()


@bp.route(route="payers", methods=["GET"])
@endpoint(summary="List payers by name, a page at a time", tag="payers", query=PayerListQuery,
          response=Page[PayerPublic])
def list_payers(ctx: Context) -> Page[PayerPublic]:
    return payers.list_payers(ctx.cursor, ctx.caller.organization_id, ctx.query)


@bp.route(route="payers", methods=["POST"])
@endpoint(summary="Create a payer", tag="payers", role=Role.admin, body=PayerCreate,
          response=PayerPublic, status=201, errors=(409,), idempotent=True)
def create_payer(ctx: Context) -> PayerPublic:
    return payers.create_payer(ctx.cursor, ctx.actor, ctx.body)


@bp.route(route="payers/{id:guid}", methods=["GET"])
@endpoint(summary="Get a payer", tag="payers", path=IdPath, response=PayerPublic)
def get_payer(ctx: Context) -> PayerPublic:
    return payers.get_payer(ctx.cursor, ctx.caller.organization_id, ctx.path.id)


@bp.route(route="payers/{id:guid}", methods=["PATCH"])
@endpoint(summary="Change a payer", tag="payers", role=Role.admin, path=IdPath,
          body=PayerUpdate, response=PayerPublic, errors=(409,))
def update_payer(ctx: Context) -> PayerPublic:
    return payers.update_payer(ctx.cursor, ctx.actor, ctx.path.id, ctx.body)


@bp.route(route="payers/{id:guid}", methods=["DELETE"])
@endpoint(summary="Deactivate a payer; its history stays", tag="payers", role=Role.admin,
          path=IdPath, status=204)
def deactivate_payer(ctx: Context) -> None:
    payers.deactivate_payer(ctx.cursor, ctx.actor, ctx.path.id)
