"""Two-factor sign-in (TOTP): enrolling, the second step of a sign-in, recovery codes, and an
owner's requirement."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from shared import totp
from shared.models.auth import Password, SessionOut, Token
from shared.models.common import FieldErrors, Input, Output
from shared.models.organizations import OrganizationPublic
from shared.models.users import UserPublic

ENTER_CODE = "Enter the 6-digit code from your authenticator app"
ENTER_CODE_OR_RECOVERY = ENTER_CODE + ", or one of your recovery codes (xxxx-xxxx-xxxx)"
MAX_CODE_LENGTH = 40  # a recovery code with generous spacing


def _totp_code(value: str) -> str:
    """As the app shows it ("225 108") or with a dash: the 6 digits alone."""
    if len(value) > MAX_CODE_LENGTH or not totp.is_totp_code(value):
        raise FieldErrors({"": ENTER_CODE})
    return totp.compact(value)


def _code(value: str) -> str:
    if len(value) <= MAX_CODE_LENGTH and totp.is_totp_code(value):
        return totp.compact(value)
    if len(value) > MAX_CODE_LENGTH or not totp.is_recovery_code(value):
        raise FieldErrors({"": ENTER_CODE_OR_RECOVERY})
    return value


# The validators say what is wrong in plain words (a coordinator reads them, not a developer);
# the patterns are for the document.
Code = Annotated[str, AfterValidator(_code), Field(
    description="The 6 digits the authenticator app shows (spaces and dashes ignored), or a "
                "recovery code (xxxx-xxxx-xxxx, any case).",
    examples=["123456"], json_schema_extra={
        "maxLength": MAX_CODE_LENGTH,
        "pattern": r"^[\s-]*(([0-9][\s-]*){6}|([0-9A-Za-z][\s-]*){12})$"})]
TotpCode = Annotated[str, AfterValidator(_totp_code), Field(
    examples=["123456"], description="The 6 digits the authenticator app shows (spaces and "
                                     "dashes ignored).",
    json_schema_extra={"maxLength": MAX_CODE_LENGTH, "pattern": r"^[\s-]*([0-9][\s-]*){6}$"})]


class SecondStep(Output):
    """The password was right; no session yet."""
    next: Literal["code", "enroll"] = Field(
        description="`code`: send a code to /auth/login/code; `enroll`: the organization "
                    "requires two-factor sign-in and this user has none: enroll through "
                    "/auth/login/enroll, then confirm with a first code.")
    challenge: str = Field(description="Single-use; send it with the second step.")
    expires_at: datetime


class LoginOut(Output):
    """A session, or (two-factor sign-in) the second step to take."""
    token: str | None = Field(default=None, description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime | None = None
    organization: OrganizationPublic | None = None
    user: UserPublic | None = None
    second_step: SecondStep | None = Field(
        default=None, description="Set instead of a session when a second step is needed.")

    @classmethod
    def of(cls, session: SessionOut) -> "LoginOut":
        return cls(**dict(session))


class ChallengeIn(Input):
    challenge: Token


class CodeIn(Input):
    rules = {"code": "a current code of the user's authenticator, or an unused recovery code"}

    challenge: Token
    code: Code


class TwoFactorSetup(Output):
    """A new secret, not yet in force: confirm it with a first code."""
    secret: str = Field(description="Base32, for typing into an authenticator app.")
    otpauth_uri: str = Field(description="What the QR code holds.")
    qr_svg: str = Field(description="The QR code as an SVG document.")


class ConfirmIn(Input):
    rules = {"code": "a current code for the secret being enrolled"}

    code: TotpCode


class EnrollConfirmIn(ConfirmIn):
    challenge: Token


class RecoveryCodes(Output):
    recovery_codes: list[str] = Field(description="Shown once: each signs in once in place of "
                                                  "a code. Only their hashes are kept.")


class EnrolledSessionOut(SessionOut):
    recovery_codes: list[str] = Field(description="Shown once; only their hashes are kept.")


class PasswordAndCodeIn(Input):
    rules = {"password": "must be the signed-in user's password",
             "code": "a current code of the user's authenticator, or an unused recovery code"}

    password: Password
    code: Code


class TwoFactorStatus(Output):
    enabled: bool
    confirmed_at: datetime | None
    recovery_codes_left: int
    required_by_organization: bool


class RequirementIn(Input):
    rules = {"required": "the owner turning it on must have two-factor sign-in on",
             "password": "the owner's password: required to lift the requirement",
             "code": "a current code or an unused recovery code: required to lift the "
                     "requirement"}

    required: bool
    password: Password | None = None
    code: Code | None = None


class RequirementOut(Output):
    required: bool
    users_without: int = Field(description="Active users who have not enrolled yet: they will "
                                           "be asked to at their next sign-in.")
