
from typing import Annotated

from pydantic import Field

from shared.models.common import Input, Name, Output, not_null, pattern
from shared.models.organizations import OrganizationPublic

Color = Annotated[str, Field(pattern=pattern(r"^#[0-9a-fA-F]{6}$",
                                             "must be a colour written #rrggbb, such as #1f5f8b"),
                             examples=["#1f5f8b"])]


class OrganizationProfile(OrganizationPublic):
    primary_color: str | None
    logo_url: str | None = Field(description="Path of the public logo on this site, or null.")
    require_two_factor: bool = Field(default=False, description="Every user signs in with a "
                                                                "second factor (owners set it).")


class OrganizationUpdate(Input):
    name: Name | None = None
    primary_color: Color | None = Field(default=None, description="#rrggbb; null removes it.")

    _not_null = not_null("name")


class Branding(Output):
    name: str
    subdomain: str
    primary_color: str | None
    logo_url: str | None
