"""Users and invitations: owners and admins manage them."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.auth import (InvitationAcceptIn, InvitationIn, InvitationList,
                                InvitationPreview, InvitationPreviewIn, InvitationPublic)
from shared.models.common import IdPath, Page
from shared.models.team import UserListQuery, UserUpdate
from shared.models.two_factor import LoginOut
from shared.models.users import Role, UserPublic
from shared.services import invitations, users

bp = func.Blueprint()


@bp.route(route="users", methods=["GET"])
@endpoint(summary="List the organization's users by e-mail", tag="users", role=Role.admin,
          query=UserListQuery, response=Page[UserPublic])
def list_users(ctx: Context) -> Page[UserPublic]:
    return users.list_users(ctx.cursor, ctx.caller.organization_id, ctx.query)


@bp.route(route="users/{id:guid}", methods=["PATCH"])
@endpoint(summary="Change a user's role, or deactivate them (signs them out)", tag="users",
          role=Role.admin, path=IdPath, body=UserUpdate, response=UserPublic, errors=(402, 409))
def update_user(ctx: Context) -> UserPublic:
    return users.update_user(ctx.cursor, ctx.actor, ctx.caller, ctx.path.id, ctx.body)


@bp.route(route="invitations", methods=["POST"])
@endpoint(summary="Invite someone by e-mail with a role (an unanswered invitation to the "
                  "address is renewed: a new link, seven more days)", tag="users", role=Role.admin,
          body=InvitationIn, response=InvitationPublic, status=201, errors=(402, 409),
          idempotent=True)
def invite_user(ctx: Context) -> InvitationPublic:
    return invitations.invite(ctx.cursor, ctx.actor, ctx.caller, ctx.body)


@bp.route(route="invitations", methods=["GET"])
@endpoint(summary="The open invitations, newest first", tag="users", role=Role.admin,
          response=InvitationList)
def list_invitations(ctx: Context) -> InvitationList:
    return invitations.list_open(ctx.cursor, ctx.caller.organization_id)


@bp.route(route="invitations/{id:guid}", methods=["DELETE"])
@endpoint(summary="Withdraw an invitation", tag="users", role=Role.admin, path=IdPath,
          status=204)
def revoke_invitation(ctx: Context) -> None:
    invitations.revoke(ctx.cursor, ctx.actor, ctx.path.id)


@bp.route(route="invitations/accept", methods=["POST"])
@endpoint(summary="Accept an invitation: choose a password and sign in", tag="users",
          role=None, body=InvitationAcceptIn, response=LoginOut, status=201,
          errors=(401, 402, 409), idempotent=True)
def accept_invitation(ctx: Context) -> LoginOut:
    return invitations.accept(ctx.body, source_address=ctx.source_address,
                              request_id=ctx.request_id, user_agent=ctx.user_agent,
                              keep_answer=ctx.keep_answer)


@bp.route(route="invitations/preview", methods=["POST"])
@endpoint(summary="What an invitation link is for (organization, e-mail, role), before accepting",
          tag="users", role=None, body=InvitationPreviewIn, response=InvitationPreview,
          errors=(401,))
def preview_invitation(ctx: Context) -> InvitationPreview:
    return invitations.preview(ctx.body)
