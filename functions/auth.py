"""Signup, sign-in, sign-out and the current user."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.auth import LoginIn, MeOut, SessionOut, SignupIn
from shared.models.users import Role
from shared.services import auth

bp = func.Blueprint()


@bp.route(route="signup", methods=["POST"])
@endpoint(summary="Create an organization in trial with its owner, signed in", tag="auth",
          role=None, body=SignupIn, response=SessionOut, status=201, errors=(409,))
def signup(ctx: Context) -> SessionOut:
    return auth.signup(ctx.body, source_address=ctx.source_address, request_id=ctx.request_id)


@bp.route(route="auth/login", methods=["POST"])
@endpoint(summary="Sign in with subdomain, e-mail and password", tag="auth", role=None,
          body=LoginIn, response=SessionOut, errors=(401,))
def login(ctx: Context) -> SessionOut:
    return auth.login(ctx.body, source_address=ctx.source_address, request_id=ctx.request_id)


@bp.route(route="auth/logout", methods=["POST"])
@endpoint(summary="Sign out: revoke this session", tag="auth", role=Role.viewer, status=204)
def logout(ctx: Context) -> None:
    auth.logout(ctx.cursor, ctx.actor, ctx.caller)


@bp.route(route="me", methods=["GET"])
@endpoint(summary="The signed-in user and their organization", tag="auth", role=Role.viewer,
          response=MeOut)
def me(ctx: Context) -> MeOut:
    return auth.me(ctx.cursor, ctx.caller)
