"""What a subdomain may be. The rules live here once: the signup model and the availability
check both ask `problem_with`."""
from __future__ import annotations

import re

# Names the service keeps for itself, and ones that would mislead users or mail filters.
RESERVED = frozenset("""
    about account accounts admin administrator api app apps assets auth beta billing blog cdn
    dashboard demo-org dev docs download email files ftp help home imap info login logout mail
    media mx news ns ns1 ns2 pop portal postmaster root security signin signup smtp sso staging
    static status store support system test webmail www www1 www2
""".split())
PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,28})[a-z0-9]$")


def normalize(value: str) -> str:
    return value.strip().lower()


def problem_with(subdomain: str) -> str | None:
    """Why this (normalized) subdomain cannot be used, or None when it can."""
    if not 3 <= len(subdomain) <= 30:
        return "must be 3 to 30 characters"
    if not PATTERN.match(subdomain):
        return "may hold only lowercase letters, digits and hyphens, not at either end"
    if "--" in subdomain:
        return "may not hold two hyphens in a row"
    if subdomain in RESERVED:
        return "is reserved"
    return None
