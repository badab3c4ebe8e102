"""Passwords and session tokens: argon2id hashes that verify only their password, and tokens
that name their organization but are proven only by the stored digest of the whole."""
from __future__ import annotations

import hashlib
import uuid

import pytest

from shared.security import (hash_password, needs_rehash, new_session_token,
                             organization_of_token, token_hash, verify_password)

ORG = uuid.UUID("5f0c6f2e-8a55-4c57-9d1e-0b7d2a1c3e4f")


def test_a_password_hash_is_argon2id_and_verifies_only_its_password():
    stored = hash_password("correct horse battery staple")

    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery staple") is True
    assert verify_password(stored, "correct horse battery stapler") is False


def test_hashing_the_same_password_twice_gives_two_hashes():
    assert hash_password("same password here") != hash_password("same password here")


def test_an_unknown_account_is_verified_against_one_dummy_hash_made_once():
    # One argon2 verification per unknown e-mail, as for a known one, and no hash made per call.
    from shared.security import _dummy_hash

    assert verify_password(None, "any password at all") is False
    assert _dummy_hash() is _dummy_hash()
    assert _dummy_hash().startswith("$argon2id$")


@pytest.mark.parametrize("stored", [None, "", "not-an-argon2-hash"])
def test_no_hash_or_a_broken_one_verifies_nothing(stored):
    assert verify_password(stored, "any password at all") is False


def test_a_session_token_names_its_organization_and_carries_256_random_bits():
    token = new_session_token(ORG)
    prefix, dot, secret = token.partition(".")

    assert (prefix, dot) == (ORG.hex, ".")
    assert len(secret) == 43  # 32 bytes, URL-safe base64 without padding
    assert organization_of_token(token) == ORG
    assert new_session_token(ORG) != token


def test_only_the_sha256_of_a_token_is_stored():
    token = new_session_token(ORG)

    assert token_hash(token) == hashlib.sha256(token.encode()).digest()
    assert len(token_hash(token)) == 32


@pytest.mark.parametrize("secret_length", [20, 100])
def test_a_secret_of_20_to_100_characters_is_well_formed(secret_length):
    assert organization_of_token(f"{ORG.hex}.{'a' * secret_length}") == ORG


@pytest.mark.parametrize("token", [
    f"{ORG.hex}{'a' * 43}",                # no dot
    f"{ORG.hex}.{'a' * 19}",               # secret too short
    f"{ORG.hex}.{'a' * 101}",              # secret too long
    f"{ORG.hex[:31]}.{'a' * 43}",          # prefix too short
    f"{ORG.hex}0.{'a' * 43}",              # prefix too long
    f"{'z' * 32}.{'a' * 43}",              # prefix not hexadecimal
    f"{ORG}.{'a' * 43}",                   # the hyphenated form uuid.UUID would also read
    f"{{{ORG.hex}}}.{'a' * 43}",           # braced, likewise
    "",
])
def test_a_malformed_token_names_no_organization(token):
    assert organization_of_token(token) is None


@pytest.mark.parametrize("stored", ["pbkdf2:sha256:1000$salt$" + "ab" * 32,
                                    "$argon2id$v=19$m=65536,t=3,p=4$not-a-hash"])
def test_a_legacy_or_unreadable_stored_hash_is_to_be_replaced(stored):
    # A Werkzeug hash moved in from the legacy app, or an argon2 one whose parameters cannot be
    # read: either is replaced by a current argon2 hash; a current one is kept.
    assert needs_rehash(stored) is True
    assert needs_rehash(hash_password("a current one")) is False
