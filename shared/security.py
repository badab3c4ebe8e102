"""Password hashing (argon2id) and session tokens."""
from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from functools import lru_cache

from shared import werkzeug_hashes
from shared.hashing import hasher as _hasher
from shared.hashing import slot

log = logging.getLogger(__name__)
ARGON2_PREFIX = "$argon2"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified when the e-mail is unknown, so both answers cost one argon2 verification.
    Made on first use: a hash costs tens of ms that no cold start should pay. Called
    inside a hashing slot."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """A new argon2id hash, in a hashing slot (shared.hashing: bounded memory)."""
    with slot():
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; with no hash, spends the same time and says False.

    Besides argon2, the Werkzeug hashes of users moved in from the legacy Flask app
    (pbkdf2:... and scrypt:...) are verified; `needs_rehash` then says to replace them. Any
    other format is refused after the same argon2 work, with a log line naming the format
    (never the hash): an operator must see why such a user cannot sign in."""
    if password_hash and not password_hash.startswith(ARGON2_PREFIX):
        if werkzeug_hashes.is_supported(password_hash):
            with slot():  # scrypt holds memory too
                return werkzeug_hashes.verify(password_hash, password)
        log.warning("password hash format %r is not supported; sign-in refused",
                    werkzeug_hashes.format_name(password_hash))
        password_hash = None
    from argon2.exceptions import InvalidHashError, VerificationError
    with slot():
        try:
            return (_hasher.verify(password_hash or _dummy_hash(), password)
                    and password_hash is not None)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash that just verified should be replaced by a current argon2 one: every
    legacy (Werkzeug) hash, and argon2 hashes made with weaker parameters than today's."""
    if not password_hash.startswith(ARGON2_PREFIX):
        return True
    from argon2.exceptions import InvalidHashError
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def new_session_token(organization_id: uuid.UUID) -> str:
    """A random bearer token. Its first part names the organization, so the session lookup runs
    in that organization's tenant transaction; the lookup by the token's hash is what proves it."""
    return f"{organization_id.hex}.{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> bytes:
    """Only this digest is stored: the token has 256 random bits, so a fast hash suffices."""
    return hashlib.sha256(token.encode()).digest()


def organization_of_token(token: str) -> uuid.UUID | None:
    """The organization a token claims, or None when the token is malformed."""
    prefix, dot, secret = token.partition(".")
    if not dot or len(prefix) != 32 or not 20 <= len(secret) <= 100:
        return None
    try:
        return uuid.UUID(hex=prefix)
    except ValueError:
        return None
