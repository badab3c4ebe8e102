"""Sign-in protection: attempts are counted per account (organization and e-mail, whether the
address exists or not, so a lock-out tells nothing) and per source address; a success clears
the account's count. Past a threshold the answer is 429 with Retry-After until the window ends:
the account is locked for a while."""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta, timezone

from shared import db
from shared.errors import TooManyRequests
from shared.repositories import sign_in_throttle

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5      # failures per account in a window
ADDRESS_LIMIT = 30     # failures per source address in a window, across organizations


def account_key(subdomain: str, email: str) -> bytes:
    return hashlib.sha256(f"account:{subdomain.lower()}:{email.strip().lower()}".encode()).digest()


def address_key(source_address: str | None) -> bytes:
    return hashlib.sha256(f"address:{source_address or 'unknown'}".encode()).digest()


def count_attempt(keys: list[tuple[bytes, int]]) -> None:
    """Count this attempt against every key, then refuse with 429 if any is past its limit.
    Counting first makes the limit hold against parallel guesses."""
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        rows = [(sign_in_throttle.count(cur, key_hash=key_hash, window=WINDOW), limit)
                for key_hash, limit in keys]
    for row, limit in rows:
        if row["failures"] > limit:
            wait = (row["window_ends_at"] - datetime.now(timezone.utc)).total_seconds()
            raise TooManyRequests("Too many failed sign-ins. Try again later, or reset the "
                                  "password.", retry_after_seconds=math.ceil(max(wait, 1)))


def keys_for(subdomain: str, email: str, source_address: str | None) -> list[tuple[bytes, int]]:
    return [(account_key(subdomain, email), ACCOUNT_LIMIT),
            (address_key(source_address), ADDRESS_LIMIT)]


def record_success(keys: list[tuple[bytes, int]]) -> None:
    """A success clears the account's count and takes its attempt back from the address's."""
    (account, _), (address, _) = keys
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        sign_in_throttle.clear(cur, key_hash=account)
        sign_in_throttle.uncount(cur, key_hash=address)
