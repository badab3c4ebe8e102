"""Test doubles for what lies outside the project: azure-identity's credential, the clock, and
Stripe (its local fake, with the settings pointed at it)."""
from __future__ import annotations

import time
from contextlib import contextmanager


class FakeClock:
    """A clock the test moves by hand (`clock.now += 3600`)."""

    def __init__(self, now: float | None = None):
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now


class FakeCredential:
    """Stands in for an azure-identity credential: hands out distinct tokens that live
    `lifetime_seconds` by `clock`, and records the scopes of every request."""

    def __init__(self, lifetime_seconds: int = 3600, clock=time.time):
        self.lifetime_seconds = lifetime_seconds
        self.clock = clock
        self.requests: list[tuple[str, ...]] = []
        self.issued: list[str] = []

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken
        self.requests.append(scopes)
        token = f"eyJ0eXAi.fake-entra-token-{len(self.requests)}"
        self.issued.append(token)
        return AccessToken(token, int(self.clock()) + self.lifetime_seconds)


@contextmanager
def faked_stripe(webhook_url: str):
    """The local fake of Stripe, started, with the billing settings pointed at it (its webhooks
    to webhook_url, signed with the settings' secret); settings restored afterwards."""
    from local.environment import settings_environment
    from local.stripe_fake import FakeStripe
    fake = FakeStripe(webhook_url=webhook_url).start()
    values = {"STRIPE_API_BASE": fake.url, "STRIPE_SECRET_KEY": "sk_test_fake",
              "STRIPE_WEBHOOK_SECRET": fake.webhook_secret,
              "STRIPE_PRICE_STARTER": "price_starter",
              "STRIPE_PRICE_PROFESSIONAL": "price_professional"}
    try:
        with settings_environment(values):
            yield fake
    finally:
        fake.stop()
