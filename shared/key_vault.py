"""Key Vault references the platform did not resolve: checked at start-up, where a missing
secret or a missing role stops the app with the setting's name, before any request. Kept apart
from shared.settings so that the check imports nothing (pydantic comes with the first request)."""
from __future__ import annotations

import os

REFERENCE = "@Microsoft.KeyVault("


def unresolved_references(environ=os.environ) -> list[str]:
    """The variables that still hold a Key Vault reference: in Azure, one that fails to resolve
    (missing secret, missing role, network) is left as its literal text."""
    return sorted(name for name, value in environ.items()
                  if value.lstrip().startswith(REFERENCE))


def require_resolved(environ=os.environ) -> None:
    """Raise, naming every variable (never its value) whose reference did not resolve."""
    unresolved = unresolved_references(environ)
    if unresolved:
        raise RuntimeError(
            f"unresolved Key Vault reference in {', '.join(unresolved)}: check that the secret "
            "exists and that the function app's identity has Key Vault Secrets User")
