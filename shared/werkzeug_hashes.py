"""Password hashes in Werkzeug's format, as the Flask app we migrate customers from stored them
(`werkzeug.security.generate_password_hash`): `method$salt$hexdigest`, with method
`pbkdf2:<hash>:<iterations>` or `scrypt:<n>:<r>:<p>` and the salt used as its UTF-8 text.

Implemented with hashlib and hmac, so the functions need no Werkzeug at run time; the tests check
the result against Werkzeug itself. Only verification is needed in production: a verified legacy
hash is replaced by an argon2 one at once (shared.services.auth.login). `generate` exists for
the legacy fixture and the tests."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

PBKDF2_HASHES = ("sha256", "sha512", "sha1")
# Bounds on what a stored hash may ask of us: a row someone could write must not make one
# sign-in burn minutes of CPU or gigabytes of memory. Werkzeug's defaults sit well inside.
MAX_PBKDF2_ITERATIONS = 5_000_000
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
SALT_CHARS = string.ascii_letters + string.digits

_PBKDF2 = re.compile(r"^pbkdf2:(sha256|sha512|sha1):([1-9][0-9]{0,7})$")
_SCRYPT = re.compile(r"^scrypt:([1-9][0-9]{0,7}):([1-9][0-9]{0,2}):([1-9][0-9]{0,2})$")
_HEX = re.compile(r"^[0-9a-f]{40,256}$")
_SAFE_METHOD = re.compile(r"^[A-Za-z0-9:_-]{1,40}$")
_SAFE_PREFIX = re.compile(r"^\$([A-Za-z0-9-]{1,20})\$")


def is_werkzeug(stored: str) -> bool:
    """Whether the hash claims one of the two Werkzeug methods we verify."""
    return stored.startswith(("pbkdf2:", "scrypt:"))


def format_name(stored: str | None) -> str:
    """The hash's format, safe to log: the method part only, never salt or digest."""
    if not stored:
        return "empty"
    prefix = _SAFE_PREFIX.match(stored)
    if prefix:
        return f"${prefix[1]}$"
    method = stored.split("$", 1)[0] if "$" in stored else None
    if method and _SAFE_METHOD.match(method):
        return method
    return "unrecognized"


def _digest(method: str, salt: str, password: str) -> str | None:
    """The hex digest Werkzeug would store for this method and salt, or None when the method is
    not one we verify or asks for more than the bounds."""
    secret, salt_bytes = password.encode(), salt.encode()
    pbkdf2 = _PBKDF2.match(method)
    if pbkdf2:
        iterations = int(pbkdf2[2])
        if iterations > MAX_PBKDF2_ITERATIONS:
            return None
        return hashlib.pbkdf2_hmac(pbkdf2[1], secret, salt_bytes, iterations).hex()
    scrypt = _SCRYPT.match(method)
    if scrypt:
        n, r, p = (int(part) for part in scrypt.groups())
        if n < 2 or n & (n - 1) or 132 * n * r * p > MAX_SCRYPT_MEMORY:
            return None
        # Werkzeug's allowance: scrypt needs 128 * n * r * p bytes and a little more.
        return hashlib.scrypt(secret, salt=salt_bytes, n=n, r=r, p=p,
                              maxmem=132 * n * r * p).hex()
    return None


def is_supported(stored: str) -> bool:
    """Whether `verify` can check this hash (method, parameters and digest well formed)."""
    parts = stored.split("$")
    if len(parts) != 3 or not _HEX.match(parts[2]):
        return False
    method = parts[0]
    pbkdf2, scrypt = _PBKDF2.match(method), _SCRYPT.match(method)
    if pbkdf2:
        return int(pbkdf2[2]) <= MAX_PBKDF2_ITERATIONS
    if scrypt:
        n, r, p = (int(part) for part in scrypt.groups())
        return n >= 2 and not n & (n - 1) and 132 * n * r * p <= MAX_SCRYPT_MEMORY
    return False


def verify(stored: str, password: str) -> bool:
    """True when the password gives the stored digest; compared in constant time."""
    if not is_supported(stored):
        return False
    method, salt, expected = stored.split("$")
    computed = _digest(method, salt, password)
    return computed is not None and hmac.compare_digest(computed, expected)


def generate(password: str, method: str = "scrypt:32768:8:1", salt_length: int = 16) -> str:
    """A hash as Werkzeug 3 writes it (for the legacy fixture and the tests)."""
    salt = "".join(secrets.choice(SALT_CHARS) for _ in range(salt_length))
    digest = _digest(method, salt, password)
    if digest is None:
        raise ValueError(f"not a Werkzeug method we write: {method}")
    return f"{method}${salt}${digest}"
