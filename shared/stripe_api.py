"""The Stripe client, from settings, imported on first use (the SDK costs ~100 ms at import, a
cold start's worth that only billing requests should pay). Stripe's failures become our
problems: not configured or unreachable -> 503."""
from __future__ import annotations

import logging
from contextlib import contextmanager

from shared.errors import ServiceUnavailable
from shared.settings import get_settings

log = logging.getLogger(__name__)
NOT_CONFIGURED = "Billing is not configured on this service. Everything else works."


def require_configured():
    settings = get_settings()
    if not settings.billing_configured:
        raise ServiceUnavailable(NOT_CONFIGURED)
    return settings


def client():
    """A StripeClient for the configured key (and the local fake's address, if set)."""
    settings = require_configured()
    import stripe  # heavy: only billing requests pay for it
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(settings.stripe_secret_key, base_addresses=base,
                               max_network_retries=1)


@contextmanager
def calling(what: str):
    """Turn Stripe's errors into a 503 the user can retry; the log names the error's kind and
    Stripe's request id, never a key."""
    import stripe
    try:
        yield
    except stripe.StripeError as exc:
        log.warning("stripe %s failed: %s request_id=%s", what, type(exc).__name__,
                    getattr(exc, "request_id", None))
        raise ServiceUnavailable(
            "The payment provider did not answer as expected. Try again in a moment.") from exc
