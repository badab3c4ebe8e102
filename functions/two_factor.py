"""Two-factor sign-in: the second step of a sign-in, enrolling (from Settings, or at sign-in
when the organization requires it), recovery codes, turning it off, and the owner's
requirement."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.auth import SessionOut
from shared.models.two_factor import (ChallengeIn, CodeIn, ConfirmIn, EnrolledSessionOut,
                                      EnrollConfirmIn, PasswordAndCodeIn, RecoveryCodes,
                                      RequirementIn, RequirementOut, TwoFactorSetup,
                                      TwoFactorStatus)
from shared.models.users import Role
from shared.services import auth, two_factor

bp = func.Blueprint()


@bp.route(route="auth/login/code", methods=["POST"])
@endpoint(summary="Sign in, second step: the challenge and a code (or a recovery code)",
          tag="auth", role=None, body=CodeIn, response=SessionOut, errors=(401, 429))
def login_code(ctx: Context) -> SessionOut:
    return auth.login_code(ctx.body, source_address=ctx.source_address,
                           request_id=ctx.request_id, user_agent=ctx.user_agent)


@bp.route(route="auth/login/enroll", methods=["POST"])
@endpoint(summary="Sign in where two-factor sign-in is required: a secret to enroll",
          tag="auth", role=None, body=ChallengeIn, response=TwoFactorSetup,
          errors=(401, 409, 429, 503))
def login_enroll(ctx: Context) -> TwoFactorSetup:
    return auth.enroll_start(ctx.body, source_address=ctx.source_address,
                             request_id=ctx.request_id)


@bp.route(route="auth/login/enroll/confirm", methods=["POST"])
@endpoint(summary="Sign in where two-factor sign-in is required: confirm the secret with a "
                  "first code; the session and the recovery codes (shown once)",
          tag="auth", role=None, body=EnrollConfirmIn, response=EnrolledSessionOut,
          errors=(401, 409, 429, 503))
def login_enroll_confirm(ctx: Context) -> EnrolledSessionOut:
    return auth.enroll_confirm(ctx.body, source_address=ctx.source_address,
                               request_id=ctx.request_id, user_agent=ctx.user_agent)


@bp.route(route="me/two-factor", methods=["GET"])
@endpoint(summary="Whether your two-factor sign-in is on, and how many recovery codes are left",
          tag="auth", role=Role.viewer, response=TwoFactorStatus)
def get_two_factor(ctx: Context) -> TwoFactorStatus:
    return two_factor.status(ctx.cursor, ctx.caller)


@bp.route(route="me/two-factor", methods=["POST"])
@endpoint(summary="Start enrolling: a new secret (QR code and text), in force once confirmed",
          tag="auth", role=Role.viewer, response=TwoFactorSetup, errors=(409, 503))
def start_two_factor(ctx: Context) -> TwoFactorSetup:
    return two_factor.start(ctx.cursor, ctx.actor, ctx.caller.user_id)


@bp.route(route="me/two-factor/confirm", methods=["POST"])
@endpoint(summary="Confirm the new secret with a first code; the recovery codes (shown once)",
          tag="auth", role=Role.viewer, body=ConfirmIn, response=RecoveryCodes,
          errors=(409, 503))
def confirm_two_factor(ctx: Context) -> RecoveryCodes:
    return RecoveryCodes(recovery_codes=two_factor.confirm(ctx.cursor, ctx.actor,
                                                           ctx.caller.user_id, ctx.body.code))


@bp.route(route="me/two-factor/recovery-codes", methods=["POST"])
@endpoint(summary="New recovery codes (password and a code); the old ones stop working",
          tag="auth", role=Role.viewer, body=PasswordAndCodeIn, response=RecoveryCodes,
          errors=(409, 503), when_closed=True)
def regenerate_recovery_codes(ctx: Context) -> RecoveryCodes:
    return two_factor.regenerate(ctx.cursor, ctx.actor, ctx.caller, ctx.body)


@bp.route(route="me/two-factor/disable", methods=["POST"])
@endpoint(summary="Turn two-factor sign-in off (password and a code)", tag="auth",
          role=Role.viewer, body=PasswordAndCodeIn, status=204, errors=(409, 503))
def disable_two_factor(ctx: Context) -> None:
    two_factor.disable(ctx.cursor, ctx.actor, ctx.caller, ctx.body)


@bp.route(route="organization/two-factor", methods=["PUT"])
@endpoint(summary="Require two-factor sign-in of everyone in the organization, or no longer",
          tag="organization", role=Role.owner, body=RequirementIn, response=RequirementOut,
          errors=(409,))
def set_two_factor_requirement(ctx: Context) -> RequirementOut:
    return two_factor.set_requirement(ctx.cursor, ctx.actor, ctx.caller, ctx.body)
