from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, EmailStr, Field, StringConstraints

from shared.models.common import Input, Name, Output
from shared.models.organizations import OrganizationPublic
from shared.models.users import UserPublic

def _lowered(value):
    # Before the pattern: subdomains are unique regardless of case, so "Lakeside" is "lakeside".
    return value.strip().lower() if isinstance(value, str) else value


Subdomain = Annotated[str, BeforeValidator(_lowered), StringConstraints(
    min_length=3, max_length=30, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")]
NewPassword = Annotated[str, Field(min_length=12, max_length=256)]


class SignupIn(Input):
    organization_name: Name
    subdomain: Subdomain = Field(description="3-30 lowercase letters, digits and inner hyphens.")
    email: EmailStr
    password: NewPassword


class LoginIn(Input):
    subdomain: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                                min_length=1, max_length=30)]
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class SessionOut(Output):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    organization: OrganizationPublic
    user: UserPublic


class MeOut(Output):
    organization: OrganizationPublic
    user: UserPublic
