"""Test doubles for what lies outside the project: azure-identity's credential and the clock."""
from __future__ import annotations

import time


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
