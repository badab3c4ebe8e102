"""Signup, sign-in, sign-out, the current user, and passwords."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.auth import (LoginIn, MeOut, PasswordChangeIn, PasswordResetIn,
                                PasswordResetRequestIn, SessionOut, SignupIn, SubdomainAvailability,
                                SubdomainPath)
from shared.models.two_factor import LoginOut
from shared.models.users import Role
from shared.services import auth, password_resets

bp = func.Blueprint()


@bp.route(route="signup", methods=["POST"])
@endpoint(summary="Create an organization in trial with its owner, signed in", tag="auth",
          role=None, body=SignupIn, response=SessionOut, status=201, errors=(409, 429),
          idempotent=True)
def signup(ctx: Context) -> SessionOut:
    return auth.signup(ctx.body, source_address=ctx.source_address, request_id=ctx.request_id,
                       user_agent=ctx.user_agent, keep_answer=ctx.keep_answer)


@bp.route(route="signup/subdomains/{subdomain}", methods=["GET"])
@endpoint(summary="Whether a subdomain can be taken, and why not", tag="auth", role=None,
          path=SubdomainPath, response=SubdomainAvailability)
def subdomain_availability(ctx: Context) -> SubdomainAvailability:
    return auth.subdomain_availability(ctx.path.subdomain)


@bp.route(route="auth/login", methods=["POST"])
@endpoint(summary="Sign in with subdomain, e-mail and password: a session, or the second step "
                  "to take (two-factor sign-in)", tag="auth", role=None,
          body=LoginIn, response=LoginOut, errors=(401, 429))
def login(ctx: Context) -> LoginOut:
    return auth.login(ctx.body, source_address=ctx.source_address, request_id=ctx.request_id,
                      user_agent=ctx.user_agent)


@bp.route(route="auth/logout", methods=["POST"])
@endpoint(summary="Sign out: revoke this session", tag="auth", role=Role.viewer, status=204,
          when_closed=True)
def logout(ctx: Context) -> None:
    auth.logout(ctx.cursor, ctx.actor, ctx.caller)


@bp.route(route="auth/password-reset", methods=["POST"])
@endpoint(summary="E-mail a password reset link (the same answer whether the account exists)",
          tag="auth", role=None, body=PasswordResetRequestIn, status=202)
def request_password_reset(ctx: Context) -> None:
    password_resets.request_reset(ctx.body, source_address=ctx.source_address,
                                  request_id=ctx.request_id)


@bp.route(route="auth/password-reset/confirm", methods=["POST"])
@endpoint(summary="Set a new password with a reset link's token; signs out every session",
          tag="auth", role=None, body=PasswordResetIn, status=204, errors=(401,))
def reset_password(ctx: Context) -> None:
    password_resets.reset(ctx.body, source_address=ctx.source_address,
                          request_id=ctx.request_id)


@bp.route(route="me", methods=["GET"])
@endpoint(summary="The signed-in user and their organization", tag="auth", role=Role.viewer,
          response=MeOut)
def me(ctx: Context) -> MeOut:
    return auth.me(ctx.cursor, ctx.caller)


@bp.route(route="me/password", methods=["POST"])
@endpoint(summary="Change your password; signs out your other sessions", tag="auth",
          role=Role.viewer, body=PasswordChangeIn, status=204, when_closed=True)
def change_password(ctx: Context) -> None:
    auth.change_password(ctx.cursor, ctx.actor, ctx.caller, ctx.body)
