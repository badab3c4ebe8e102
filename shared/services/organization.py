"""The organization's profile and branding, and the public branding its sign-in page and
e-mails show."""
from __future__ import annotations

import uuid

from shared import audit, db, logos
from shared.errors import NotFound, UnsupportedMediaType, Unprocessable
from shared.models.organization_profile import Branding, OrganizationProfile, OrganizationUpdate
from shared.repositories import organizations
from shared.tenancy import Actor


def logo_path(row: dict) -> str | None:
    """Where the logo is served, relative to the site (the page and the API share it), with
    its version so a new logo is not hidden by a cache; None without a logo."""
    if not row.get("logo_updated_at"):
        return None
    version = int(row["logo_updated_at"].timestamp())
    return f"/api/branding/{row['subdomain']}/logo?v={version}"


def profile_of(row: dict) -> OrganizationProfile:
    return OrganizationProfile.model_validate({**row, "logo_url": logo_path(row)})


def get_profile(cur, organization_id: uuid.UUID) -> OrganizationProfile:
    return profile_of(organizations.get(cur, organization_id=organization_id))


def update_profile(cur, actor: Actor, data: OrganizationUpdate) -> OrganizationProfile:
    values = data.model_dump(exclude_unset=True)
    if "primary_color" in values and values["primary_color"]:
        values["primary_color"] = values["primary_color"].lower()
    if not values:
        return get_profile(cur, actor.organization_id)
    row = organizations.update_profile(cur, organization_id=actor.organization_id, values=values)
    audit.record(cur, actor, action="organization.update", object_type="organization",
                 object_id=actor.organization_id, changes=values)
    return profile_of(row)


def set_logo(cur, actor: Actor, content: bytes, content_type: str) -> OrganizationProfile:
    kind = (content_type or "").split(";")[0].strip().lower()
    problem = logos.problem_with(content, kind)
    if problem:
        if kind not in (*logos.TYPES, logos.SVG_TYPE):
            raise UnsupportedMediaType(problem)
        raise Unprocessable.for_fields({"logo": problem})
    row = organizations.set_logo(cur, organization_id=actor.organization_id, content=content,
                                 content_type=kind)
    audit.record(cur, actor, action="organization.logo_set", object_type="organization",
                 object_id=actor.organization_id,
                 changes={"content_type": kind, "bytes": len(content)})
    return profile_of(row)


def remove_logo(cur, actor: Actor) -> None:
    organizations.set_logo(cur, organization_id=actor.organization_id, content=None,
                           content_type=None)
    audit.record(cur, actor, action="organization.logo_remove", object_type="organization",
                 object_id=actor.organization_id)


def branding(subdomain: str) -> Branding:
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        row = organizations.branding_by_subdomain(cur, subdomain=subdomain)
    if row is None:
        raise NotFound("No organization with this subdomain.")
    return Branding(name=row["name"], subdomain=row["subdomain"],
                    primary_color=row["primary_color"], logo_url=logo_path(row))


def logo(subdomain: str) -> tuple[bytes, str]:
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        row = organizations.logo_by_subdomain(cur, subdomain=subdomain)
    if row is None:
        raise NotFound("This organization has no logo.")
    return bytes(row["logo"]), row["logo_content_type"]
