"""The TOTP arithmetic (RFC 6238) and the recovery codes."""
from __future__ import annotations

import pyotp
import pytest

from shared import totp

# RFC 6238, appendix B: the SHA-1 secret "12345678901234567890", 8 digits at these times.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize("at, code", [(59, "94287082"), (1111111109, "07081804"),
                                      (2000000000, "69279037")])
def test_the_codes_are_rfc_6238s(at, code):
    assert pyotp.TOTP(RFC_SECRET, digits=8).at(at) == code
    # the 6-digit code the app shows is its last six digits
    step = totp.current_step(at)
    assert totp.matching_step(RFC_SECRET, code[-6:], after=0, now=at) == step


def test_a_code_matches_one_step_either_side_and_only_after_the_last_used_step():
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = totp.current_step(now)
    code_of = pyotp.TOTP(secret).generate_otp
    assert totp.matching_step(secret, code_of(step - 1), after=0, now=now) == step - 1
    assert totp.matching_step(secret, code_of(step + 1), after=0, now=now) == step + 1
    assert totp.matching_step(secret, code_of(step - 2), after=0, now=now) is None
    assert totp.matching_step(secret, code_of(step + 2), after=0, now=now) is None
    assert totp.matching_step(secret, code_of(step), after=step, now=now) is None
    assert totp.matching_step(secret, code_of(step), after=step - 1, now=now) == step


def test_recovery_codes_are_ten_distinct_and_match_however_typed():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    assert all(len(c) == 14 and c.count("-") == 2 for c in codes)
    typed = codes[0].upper().replace("-", " ")
    assert totp.recovery_code_hash(typed) == totp.recovery_code_hash(codes[0])
    assert not totp.is_totp_code(codes[0])


def test_a_code_is_taken_as_apps_show_it_and_recovery_codes_however_typed():
    assert [totp.is_totp_code(c) for c in ("225108", "225 108", "225-108", " 225 108 ")] == [True] * 4
    assert [totp.is_totp_code(c) for c in ("22510", "2251080", "22510a")] == [False] * 3
    assert totp.compact(" 225 108 ") == "225108"
    assert totp.is_recovery_code("ABCD EFGH-JK23") and not totp.is_recovery_code("225108")
