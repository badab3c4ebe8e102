"""Microsoft Entra access tokens for the database, one cached token per process.

The server checks a token only when a connection opens, so each new pooled connection needs one
that is still valid; a token is reused until it is within REFRESH_MARGIN_SECONDS of expiring,
then a new one is requested. Tokens are secrets: nothing here logs or shows them.
"""
from __future__ import annotations

import threading
import time

DATABASE_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"
# Longer than a connect (at most 60 s) plus clock skew, far shorter than a token's life (1-24 h).
REFRESH_MARGIN_SECONDS = 300


def default_credential():
    """azure-identity's DefaultAzureCredential (the managed identity in Azure)."""
    from azure.identity import DefaultAzureCredential  # heavy: import only when used
    return DefaultAzureCredential()


class TokenSource:
    """Hands out a current token for one scope, asking the credential only when needed."""

    def __init__(self, credential=None, scope: str = DATABASE_SCOPE, clock=time.time):
        self._credential = credential
        self._scope = scope
        self._clock = clock
        self._lock = threading.Lock()
        self._current = None  # azure.core.credentials.AccessToken

    def token(self) -> str:
        with self._lock:
            if self._current is None or self._current.expires_on - self._clock() <= REFRESH_MARGIN_SECONDS:
                if self._credential is None:
                    self._credential = default_credential()
                self._current = self._credential.get_token(self._scope)
            return self._current.token

    def __repr__(self) -> str:  # never the token itself
        return f"TokenSource(scope={self._scope!r})"
