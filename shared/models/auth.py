
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (AfterValidator, BeforeValidator, EmailStr, Field, ValidationInfo,
                      field_validator)

from shared import passwords, subdomains
from shared.models.billing import StandingPublic
from shared.models.common import FieldErrors, Input, Name, Output
from shared.models.organization_profile import Branding, OrganizationProfile
from shared.models.organizations import OrganizationPublic
from shared.models.users import Role, UserPublic


def _lowered(value):
    # Before the rules: subdomains are unique regardless of case, so "Lakeside" is "lakeside".
    return subdomains.normalize(value) if isinstance(value, str) else value


def _allowed(value: str) -> str:
    problem = subdomains.problem_with(value)
    if problem:
        raise ValueError(problem)
    return value


Subdomain = Annotated[str, BeforeValidator(_lowered), Field(max_length=100),
                      AfterValidator(_allowed)]
AnySubdomain = Annotated[str, BeforeValidator(_lowered), Field(min_length=1, max_length=100)]
Password = Annotated[str, Field(min_length=1, max_length=passwords.MAX_LENGTH)]
# A new password's rules need the account (e-mail, subdomain): signup checks them here, the
# other forms in their service, always all rules in one answer (shared.passwords.all_problems).
NewPassword = Annotated[str, Field(max_length=passwords.MAX_LENGTH)]
Token = Annotated[str, Field(min_length=20, max_length=200)]


EMAIL_RULE = "an address that can receive mail (special-use domains such as .test are refused)"


class SignupIn(Input):
    rules = {"password": "at least 12 characters, not a common password, not containing the "
                         "e-mail or the subdomain",
             "subdomain": "3-30 lowercase letters, digits and inner hyphens, not reserved",
             "email": EMAIL_RULE}

    organization_name: Name
    subdomain: Subdomain = Field(description="3-30 lowercase letters, digits and inner hyphens.")
    email: EmailStr
    password: NewPassword = Field(description="At least 12 characters, not a common password, "
                                              "not containing the e-mail or the subdomain.")

    @field_validator("password")
    @classmethod
    def _strong_password(cls, password: str, info: ValidationInfo) -> str:
        # Fields validate in order: e-mail and subdomain are here when they were valid.
        found = passwords.all_problems(password, email=info.data.get("email"),
                                       subdomain=info.data.get("subdomain"))
        if found:
            raise FieldErrors({"": found})
        return password


class LoginIn(Input):
    subdomain: AnySubdomain
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Password


class SessionOut(Output):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    organization: OrganizationPublic
    user: UserPublic


class MeOut(Output):
    organization: OrganizationProfile = Field(description="With its branding.")
    user: UserPublic
    session_expires_at: datetime
    standing: StandingPublic = Field(description="The plan and standing, for the banner.")


class SubdomainPath(Input):
    subdomain: Annotated[str, Field(min_length=1, max_length=100)]


class SubdomainAvailability(Output):
    subdomain: str
    available: bool
    reason: str | None = Field(description="Why not, when it is not available.")


class PasswordChangeIn(Input):
    rules = {"current_password": "must be the signed-in user's password",
             "new_password": "at least 12 characters, not a common password, not containing the e-mail or the subdomain"}

    current_password: Password
    new_password: NewPassword


class PasswordResetRequestIn(Input):
    subdomain: AnySubdomain
    email: Annotated[str, Field(min_length=1, max_length=254)]


class PasswordResetIn(Input):
    rules = {"new_password": "at least 12 characters, not a common password, not containing the e-mail or the subdomain"}

    token: Token
    new_password: NewPassword


class InvitationIn(Input):
    rules = {"email": EMAIL_RULE}

    email: EmailStr
    role: Role


class InvitationAcceptIn(Input):
    rules = {"password": "at least 12 characters, not a common password, not containing the e-mail or the subdomain"}

    token: Token
    password: NewPassword


class InvitationPublic(Output):
    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class InvitationList(Output):
    items: list[InvitationPublic]


class InvitationPreviewIn(Input):
    token: Token


class InvitationPreview(Output):
    """What an invitation link shows before it is accepted."""
    organization: Branding
    email: str
    role: Role
    expires_at: datetime
