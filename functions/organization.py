"""The organization's profile and branding; the public branding of its sign-in page."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.logos import SVG_TYPE, TYPES
from shared.models.auth import SubdomainPath
from shared.models.billing import StandingPublic
from shared.models.closing import CloseIn
from shared.models.organization_profile import Branding, OrganizationProfile, OrganizationUpdate
from shared.models.users import Role
from shared.services import closing, organization

bp = func.Blueprint()
LOGO_TYPES = (*TYPES, SVG_TYPE)


@bp.route(route="organization", methods=["GET"])
@endpoint(summary="The organization's profile and branding", tag="organization",
          response=OrganizationProfile)
def get_organization(ctx: Context) -> OrganizationProfile:
    return organization.get_profile(ctx.cursor, ctx.caller.organization_id)


@bp.route(route="organization", methods=["PATCH"])
@endpoint(summary="Change the organization's name or primary color", tag="organization",
          role=Role.admin, body=OrganizationUpdate, response=OrganizationProfile)
def update_organization(ctx: Context) -> OrganizationProfile:
    return organization.update_profile(ctx.cursor, ctx.actor, ctx.body)


@bp.route(route="organization/logo", methods=["PUT"])
@endpoint(summary="Upload the logo: PNG, JPEG or SVG under 200 KB, as the raw body",
          tag="organization", role=Role.admin, raw_body=LOGO_TYPES,
          response=OrganizationProfile, errors=(413, 415))
def put_organization_logo(ctx: Context) -> OrganizationProfile:
    return organization.set_logo(ctx.cursor, ctx.actor, ctx.raw_body,
                                 ctx.headers.get("content-type", ""))


@bp.route(route="organization/logo", methods=["DELETE"])
@endpoint(summary="Remove the logo", tag="organization", role=Role.admin, status=204)
def delete_organization_logo(ctx: Context) -> None:
    organization.remove_logo(ctx.cursor, ctx.actor)


@bp.route(route="branding/{subdomain}", methods=["GET"])
@endpoint(summary="An organization's public name, color and logo (its sign-in page)",
          tag="organization", role=None, path=SubdomainPath, response=Branding)
def get_branding(ctx: Context) -> Branding:
    return organization.branding(ctx.path.subdomain)


@bp.route(route="branding/{subdomain}/logo", methods=["GET"])
@endpoint(summary="An organization's logo image", tag="organization", role=None,
          path=SubdomainPath, content_type=",".join(LOGO_TYPES))
def get_branding_logo(ctx: Context) -> func.HttpResponse:
    content, kind = organization.logo(ctx.path.subdomain)
    # An SVG is served as an image that may not run anything, even if opened directly.
    return func.HttpResponse(content, mimetype=kind, headers={
        "Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"})


@bp.route(route="organization/close", methods=["POST"])
@endpoint(summary="Close the organization (your password again, and a code with two-factor "
                  "sign-in on): read-only at once, its subscription canceled, all of its data "
                  "deleted after 30 days unless reopened",
          tag="organization", role=Role.owner, body=CloseIn, response=StandingPublic,
          errors=(503,))
def close_organization(ctx: Context) -> StandingPublic:
    return closing.close(ctx.cursor, ctx.actor, ctx.caller, ctx.body)


@bp.route(route="organization/reopen", methods=["POST"])
@endpoint(summary="Reopen a closed organization before its data is deleted", tag="organization",
          role=Role.owner, response=StandingPublic, errors=(409,), when_closed=True)
def reopen_organization(ctx: Context) -> StandingPublic:
    return closing.reopen(ctx.cursor, ctx.actor, ctx.caller)
