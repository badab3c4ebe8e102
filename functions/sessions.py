"""Sessions: a user sees and ends their own; owners and admins end all of a user's."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.common import IdPath
from shared.models.sessions import SessionList, SessionsEnded
from shared.models.users import Role
from shared.services import user_sessions

bp = func.Blueprint()


@bp.route(route="me/sessions", methods=["GET"])
@endpoint(summary="Your live sessions: signed in when, last used, browser, source network",
          tag="auth", role=Role.viewer, response=SessionList)
def list_my_sessions(ctx: Context) -> SessionList:
    return user_sessions.list_mine(ctx.cursor, ctx.caller)


@bp.route(route="me/sessions/{id:guid}", methods=["DELETE"])
@endpoint(summary="End one of your sessions (on another device, or this one)", tag="auth",
          role=Role.viewer, path=IdPath, status=204, when_closed=True)
def end_my_session(ctx: Context) -> None:
    user_sessions.end_mine(ctx.cursor, ctx.actor, ctx.caller, ctx.path.id)


@bp.route(route="users/{id:guid}/sessions", methods=["DELETE"])
@endpoint(summary="End every session of a user (only an owner ends an owner's)", tag="users",
          role=Role.admin, path=IdPath, response=SessionsEnded, when_closed=True)
def end_user_sessions(ctx: Context) -> SessionsEnded:
    return user_sessions.end_all_of(ctx.cursor, ctx.actor, ctx.caller, ctx.path.id)
