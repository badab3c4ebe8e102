"""AES-GCM sealing of small secrets kept in the database: a random 96-bit nonce before the
ciphertext, and associated data that binds a sealed value to the row it belongs to (a value
copied into another row does not open)."""
from __future__ import annotations

import logging
import os

from shared.errors import ServiceUnavailable

log = logging.getLogger(__name__)


def seal(key: bytes, plain: bytes, bound_to: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only where a secret is kept
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plain, bound_to)


def open_sealed(key: bytes, sealed: bytes, bound_to: bytes) -> bytes:
    """The plain value; 503 when it does not open: the configured key is not the one it was
    sealed with (wrong, or rotated without re-sealing), which the server's operator fixes,
    not the user (the row binding failing too means a value copied between rows)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    try:
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], bound_to)
    except InvalidTag:
        # What kind of value alone (the part before the ids): never the key, nor the value.
        log.error("a sealed %s value did not open: TOTP_ENCRYPTION_KEY is not the key it was "
                  "sealed with (wrong or rotated), or the value was copied from another row",
                  bound_to.split(b":", 1)[0].decode(errors="replace"))
        raise ServiceUnavailable("Two-factor sign-in is unavailable: this server's "
                                 "TOTP_ENCRYPTION_KEY does not open the stored keys. Try again "
                                 "later.", retry_after_seconds=3600) from None
