"""Plans, usage and billing: what an organization may create, what it has used, and what it
pays."""

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from shared.models.common import Input, Output
from shared.models.organizations import Tier

State = Literal["trialing", "active", "past_due", "read_only"]
Reason = Literal["trial_ended", "grace_ended", "canceled", "suspended", "closed"]


class PlanPublic(Output):
    tier: Tier
    name: str
    max_facilities: int | None = Field(description="null: no limit.")
    max_users: int | None = Field(description="null: no limit.")
    max_admissions: int | None = Field(description="A calendar month (UTC); null: no limit.")
    monthly_price_cents: int | None = Field(description="null: by contract.")
    self_serve: bool = Field(description="Bought through Stripe Checkout.")


class StandingPublic(Output):
    tier: Tier
    plan: str
    state: State
    reason: Reason | None = Field(description="Why read-only.")
    trial_ends_at: datetime | None
    grace_ends_at: datetime | None = Field(description="When a past-due organization becomes "
                                                       "read-only unless it pays.")
    days_left: int | None = Field(description="Of the trial or the grace, rounded up.")
    can_create: bool = Field(description="False when read-only: reads and exports still work.")
    message: str | None = Field(description="What to tell the user, for a banner.")
    deletes_at: datetime | None = Field(None, description="A closed organization: when all of "
                                                          "its data is deleted.")


class Meter(Output):
    used: int
    limit: int | None = Field(description="null: no limit.")
    percent: float | None = Field(description="Of the limit, one decimal; null without one.")


class UsageCurrent(Output):
    period_start: date
    period_end: date = Field(description="The last day of the month (UTC).")
    admissions: Meter
    facilities: Meter = Field(description="Active facilities.")
    users: Meter = Field(description="Active users.")
    open_invitations: int = Field(description="Each holds a user's place until accepted, "
                                              "revoked or expired.")


class UsagePeriod(Output):
    period_start: date
    admissions: int
    active_facilities: int | None = Field(description="At the close; null when not closed.")
    active_users: int | None = Field(description="At the close; null when not closed.")
    closed: bool


class UsageOut(Output):
    standing: StandingPublic
    current: UsageCurrent
    history: list[UsagePeriod] = Field(description="The twelve months before this one, newest "
                                                   "first, from the organization's first.")


class CheckoutIn(Input):
    rules = {"tier": "must be a plan with a price configured on this service"}

    tier: Literal["starter", "professional"]


class RedirectOut(Output):
    url: str = Field(description="Where to send the browser (Stripe's page).")


class InvoicePublic(Output):
    id: str
    number: str | None
    status: str | None
    amount_due_cents: int
    amount_paid_cents: int
    currency: str
    created_at: datetime
    hosted_invoice_url: str | None
    invoice_pdf: str | None


class BillingOut(Output):
    standing: StandingPublic
    plans: list[PlanPublic]
    billing_configured: bool = Field(description="False: checkout and the portal answer 503.")
    has_customer: bool = Field(description="Whether the organization has a Stripe customer, "
                                           "so the portal can open.")
    subscription_status: str | None = Field(description="Stripe's word for the subscription.")
    renews_at: datetime | None = Field(description="End of the paid period.")
    cancel_at_period_end: bool
    payment_state: Literal["none", "paid", "past_due", "canceled"]
    invoices: list[InvoicePublic]


class WebhookOut(Output):
    received: bool = True
    handled: bool = Field(description="False for event types and objects we do not act on.")
    duplicate: bool = Field(default=False, description="The event was applied before.")
