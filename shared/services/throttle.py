"""Sign-in and signup protection, following OWASP's Authentication and Credential Stuffing
cheat sheets (the design and its reasons: README, "Security").

Sign-in failures are counted, under hashed keys only:
- per account (organization and e-mail, whether the address exists or not, so a lock-out
  tells nothing): past ACCOUNT_LIMIT the account is locked until the window ends, from every
  address, correct password or not;
- per source address within one organization (ORGANIZATION_ADDRESS_LIMIT), against spraying
  one password over many of its accounts: one organization's failures never count against
  another's users behind the same NAT;
- per source address across organizations (ADDRESS_LIMIT, much higher), against spraying
  over many organizations.
A locked address refuses only accounts that have not signed in from it lately: a success
remembers (account, address) for REMEMBERED_FOR, OWASP's "device cookie" kept on the server,
so the staff behind a facility's NAT keep signing in while someone there guesses. Their
own account's lock still holds. A success clears the account's count and takes its attempt
back from the address's counts. Past a limit: 429 with Retry-After until the window ends."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from shared import db
from shared.errors import TooManyRequests
from shared.repositories import sign_in_throttle
from shared.settings import get_settings

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5                  # failures per account in a window
ORGANIZATION_ADDRESS_LIMIT = 30    # failures per source address against one organization
ADDRESS_LIMIT = 300                # failures per source address across organizations
REMEMBERED_FOR = timedelta(days=30)
# A completed reset lifts the account's lock (clear_account), so the advice holds.
SIGN_IN_REFUSED = ("Too many failed sign-ins. Try again in a few minutes (15 at most), or "
                   "reset the password: that lifts the lock.")
SIGNUP_REFUSED = "Too many signups from this network. Try again later."


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _account(subdomain: str, email: str) -> str:
    return f"{subdomain.lower()}:{email.strip().lower()}"


def account_key(subdomain: str, email: str) -> bytes:
    return _digest(f"account:{_account(subdomain, email)}")


def address_key(source_address: str | None) -> bytes:
    return _digest(f"address:{source_address or 'unknown'}")


def organization_address_key(subdomain: str, source_address: str | None) -> bytes:
    return _digest(f"organization-address:{subdomain.lower()}:{source_address or 'unknown'}")


def known_key(subdomain: str, email: str, source_address: str | None) -> bytes:
    return _digest(f"known:{_account(subdomain, email)}:{source_address or 'unknown'}")


def signup_key(source_address: str | None) -> bytes:
    return _digest(f"signup:{source_address or 'unknown'}")


@dataclass(frozen=True)
class SignInKeys:
    account: bytes
    organization_address: bytes
    address: bytes
    known: bytes


def keys_for(subdomain: str, email: str, source_address: str | None) -> SignInKeys:
    return SignInKeys(account=account_key(subdomain, email),
                      organization_address=organization_address_key(subdomain, source_address),
                      address=address_key(source_address),
                      known=known_key(subdomain, email, source_address))


def _refuse_past_limits(counted: list[tuple[dict, int]], detail: str) -> None:
    for row, limit in counted:
        if row["failures"] > limit:
            wait = (row["window_ends_at"] - datetime.now(timezone.utc)).total_seconds()
            raise TooManyRequests(detail, retry_after_seconds=math.ceil(max(wait, 1)))


def count_attempt(keys: list[tuple[bytes, int]], detail: str = SIGN_IN_REFUSED) -> None:
    """Count this attempt against every key, then refuse with 429 if any is past its limit.
    Counting first makes the limit hold against parallel attempts."""
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        counted = [(sign_in_throttle.count(cur, key_hash=key_hash, window=WINDOW), limit)
                   for key_hash, limit in keys]
    _refuse_past_limits(counted, detail)


def count_sign_in(keys: SignInKeys) -> None:
    """Count a sign-in attempt (before verifying: parallel guesses count too); refuse a locked
    account, and a locked address unless this account signed in from it lately."""
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        account = sign_in_throttle.count(cur, key_hash=keys.account, window=WINDOW)
        by_address = [
            (sign_in_throttle.count(cur, key_hash=keys.organization_address, window=WINDOW),
             ORGANIZATION_ADDRESS_LIMIT),
            (sign_in_throttle.count(cur, key_hash=keys.address, window=WINDOW), ADDRESS_LIMIT)]
        known = sign_in_throttle.remembered(cur, key_hash=keys.known, within=REMEMBERED_FOR)
    _refuse_past_limits([(account, ACCOUNT_LIMIT)], SIGN_IN_REFUSED)
    if not known:
        _refuse_past_limits(by_address, SIGN_IN_REFUSED)


def record_success(keys: SignInKeys) -> None:
    """A success clears the account's count, takes its attempt back from the address's counts
    (a success from a shared address is not an attack) and remembers the account's address."""
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        sign_in_throttle.clear(cur, key_hash=keys.account)
        sign_in_throttle.uncount(cur, key_hash=keys.organization_address)
        sign_in_throttle.uncount(cur, key_hash=keys.address)
        sign_in_throttle.remember(cur, key_hash=keys.known)


def take_back(keys: SignInKeys) -> None:
    """A right password before the code step: not a failure, so its attempt is taken back from
    every count, without clearing the wrong codes counted before it."""
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        for key_hash in (keys.account, keys.organization_address, keys.address):
            sign_in_throttle.uncount(cur, key_hash=key_hash)


def clear_account(subdomain: str, email: str) -> None:
    """A completed password reset proves the mailbox: the account's lock is lifted (the
    addresses' counts stay, against spraying)."""
    with db.dangerously_cross_tenant_transaction(db.SIGN_IN_THROTTLE) as cur:
        sign_in_throttle.clear(cur, key_hash=account_key(subdomain, email))


def count_signup(source_address: str | None) -> None:
    """Each signup creates an organization and costs an argon2 hash: a few per address."""
    count_attempt([(signup_key(source_address), get_settings().signup_limit_per_address)],
                  SIGNUP_REFUSED)
