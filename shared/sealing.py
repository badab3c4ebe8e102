"""AES-GCM sealing of small secrets kept in the database: a random 96-bit nonce before the
ciphertext, and associated data that binds a sealed value to the row it belongs to (a value
copied into another row does not open)."""
from __future__ import annotations

import os


def seal(key: bytes, plain: bytes, bound_to: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only where a secret is kept
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plain, bound_to)


class DoesNotOpen(Exception):
    """The key is not the one the value was sealed with, or the value was copied from another
    row. Each caller says what that means for its own value."""


def open_sealed(key: bytes, sealed: bytes, bound_to: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    try:
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], bound_to)
    except InvalidTag:
        raise DoesNotOpen from None
