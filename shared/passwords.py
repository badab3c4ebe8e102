"""The rules a new password keeps; each one broken is named."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of commonly used passwords (read on first use, not at start-up)."""
    lines = COMMON_PASSWORDS.read_text().splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def problems(password: str) -> list[str]:
    """Every rule the password breaks on its own, in words a user can act on."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        found.append(f"must be at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in common_passwords():
        found.append("is one of the most commonly used passwords")
    return found


def personal_problems(password: str, *, email: str | None, subdomain: str | None) -> list[str]:
    """The rules about what the password must not contain: the user's e-mail, the subdomain."""
    found = []
    lowered = password.lower()
    local_part = (email or "").split("@")[0].lower()
    if len(local_part) >= 3 and local_part in lowered:
        found.append("must not contain your e-mail address")
    if subdomain and len(subdomain) >= 3 and subdomain.lower() in lowered:
        found.append("must not contain the organization's subdomain")
    return found


def all_problems(password: str, *, email: str | None, subdomain: str | None) -> list[str]:
    """Every rule broken, on its own and about the account, in one answer."""
    return problems(password) + personal_problems(password, email=email, subdomain=subdomain)
