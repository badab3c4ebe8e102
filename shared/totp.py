"""TOTP (RFC 6238) codes and recovery codes: the arithmetic, no storage.

Codes are 6 digits over 30-second steps (what every authenticator app shows by default), checked
against the step before, the current one and the one after (about 30 s of clock drift either
way), and only for steps after the last one used: a code is accepted once."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

STEP_SECONDS = 30
WINDOW = 1                     # steps either side of now
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without look-alikes (0/o, 1/l/i): 31 symbols, 12 of them in a
# code (about 59 bits), shown as three groups of four.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 12
ISSUER = "SNF Admissions"
TOTP_CODE = re.compile(r"^[0-9]{6}$")
RECOVERY_CODE = re.compile(rf"^[a-z0-9]{{{RECOVERY_LENGTH}}}$")  # any letters: the hash decides


def new_secret() -> str:
    """A random 160-bit secret in base32, as RFC 4226 recommends and apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, *, after: int, now: float | None = None) -> int | None:
    """The time step whose code this is, within the window and after `after`; else None.
    Every step of the window is computed and compared in constant time, match or not."""
    import pyotp  # only where a code is checked (cold starts)
    code = compact(code)
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    step = current_step(now)
    found = None
    for candidate in range(step - WINDOW, step + WINDOW + 1):
        matches = hmac.compare_digest(totp.generate_otp(candidate), code)
        if matches and candidate > after and found is None:
            found = candidate
    return found


def provisioning_uri(secret: str, *, account: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    import pyotp
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=account,
                                                                      issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as a QR code, an SVG document (no raster library needed)."""
    import io

    import segno  # only where a QR code is drawn
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False,
                                     dark="#000", light="#fff")
    return out.getvalue().decode()


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def compact(code: str) -> str:
    """A code as typed, without the spaces and dashes: apps show "225 108", recovery codes are
    printed "xxxx-xxxx-xxxx", and people copy either way."""
    return re.sub(r"[\s-]", "", code)


def normalize_recovery_code(code: str) -> str:
    """As typed: any case, with or without the dashes and spaces."""
    return compact(code).lower()


def recovery_code_hash(code: str) -> bytes:
    """Only this digest is kept: about 59 random bits per code and single use, so a fast hash
    suffices (as for session tokens)."""
    return hashlib.sha256(normalize_recovery_code(code).encode()).digest()


def is_totp_code(code: str) -> bool:
    return bool(TOTP_CODE.match(compact(code)))


def is_recovery_code(code: str) -> bool:
    return bool(RECOVERY_CODE.match(normalize_recovery_code(code)))
