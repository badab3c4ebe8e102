"""Plans, usage and billing: every role reads usage and billing, owners pay; Stripe's webhook
is anonymous and proves itself by its signature."""
import azure.functions as func

from shared.endpoint import Context, endpoint
from shared.models.billing import BillingOut, CheckoutIn, RedirectOut, UsageOut, WebhookOut
from shared.models.users import Role
from shared.services import billing, stripe_webhook, usage

bp = func.Blueprint()


@bp.route(route="usage", methods=["GET"])
@endpoint(summary="This month's usage against the plan's limits, and the last twelve months",
          tag="billing", response=UsageOut)
def get_usage(ctx: Context) -> UsageOut:
    return usage.get_usage(ctx.cursor, ctx.caller.organization_id)


@bp.route(route="billing", methods=["GET"])
@endpoint(summary="Plan, standing, renewal, payment state and invoices", tag="billing",
          response=BillingOut, errors=(503,))
def get_billing(ctx: Context) -> BillingOut:
    return billing.overview(ctx.cursor, ctx.caller.organization_id)


@bp.route(route="billing/checkout", methods=["POST"])
@endpoint(summary="Start Stripe Checkout for a plan; answers the page to send the browser to",
          tag="billing", role=Role.owner, body=CheckoutIn, response=RedirectOut,
          errors=(409, 503), idempotent=True)
def start_checkout(ctx: Context) -> RedirectOut:
    return billing.checkout(ctx.cursor, ctx.actor, ctx.body)


@bp.route(route="billing/portal", methods=["POST"])
@endpoint(summary="Open the Stripe customer portal (card, invoices, plan changes, cancel)",
          tag="billing", role=Role.owner, response=RedirectOut, errors=(409, 503))
def open_portal(ctx: Context) -> RedirectOut:
    return billing.portal(ctx.cursor, ctx.actor)


@bp.route(route="stripe/webhook", methods=["POST"])
@endpoint(summary="Stripe's events (signed); each applied once, in any order", tag="billing",
          role=None, raw_body=("application/json",), response=WebhookOut, errors=(400, 503))
def stripe_webhook_event(ctx: Context) -> WebhookOut:
    return stripe_webhook.handle(ctx.raw_body, ctx.headers.get("stripe-signature"),
                                 source_address=ctx.source_address,
                                 request_id=ctx.request_id)
