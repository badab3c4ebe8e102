"""The TOTP arithmetic (RFC 6238) and the recovery codes."""
from __future__ import annotations

import base64
import re

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


def test_recovery_codes_are_three_groups_of_four_from_the_unambiguous_alphabet():
    for code in totp.new_recovery_codes():
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4]
        assert set("".join(groups)) <= set(totp.RECOVERY_ALPHABET)


def test_a_recovery_code_as_typed_is_its_letters_and_digits_in_lower_case():
    assert totp.normalize_recovery_code(" AB2D-efgh jkMN\t") == "ab2defghjkmn"


def test_a_new_secret_is_160_random_bits_in_base32():
    secrets = {totp.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert len(secret) == 32 and "=" not in secret  # no padding: every app takes it
        assert len(base64.b32decode(secret)) == 20


def _drawn_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The SVG's size in modules and the dark modules its one path draws (segno writes each row
    as horizontal strokes: M/m move, h draws), for comparing with the symbol itself."""
    size = int(re.search(r'width="(\d+)"', svg).group(1))
    scale = int(re.search(r'scale\((\d+)\)', svg).group(1))
    path = re.search(r'class="qrline" stroke="([^"]+)" d="([^"]+)"', svg)
    assert path.group(1) == "#000"  # dark modules on...
    assert re.search(r'<path fill="#fff" d="M0 0h(\d+)v\1h-\1z"/>', svg)  # ...a light ground
    dark, x, y = set(), 0.0, 0.0
    for op, args in re.findall(r"([MmHh])([-\d. ]+)", path.group(2)):
        numbers = [float(n) for n in args.split()]
        if op == "M":
            x, y = numbers
        elif op == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            dark.update((int(x) + i, int(y)) for i in range(int(numbers[0])))
            x += numbers[0]
    return size // scale, dark


def test_the_qr_code_is_the_uri_at_level_m_with_the_four_module_quiet_zone():
    import segno
    uri = totp.provisioning_uri(totp.new_secret(), account="ada@example.com")
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg ")  # no XML declaration: it is placed in the page as it is
    symbol = segno.make(uri, error="m")
    assert symbol.error == "M"
    modules, dark = _drawn_modules(svg)
    assert modules == len(symbol.matrix) + 2 * 4
    assert dark == {(4 + x, 4 + y) for y, row in enumerate(symbol.matrix)
                    for x, bit in enumerate(row) if bit}
    assert int(re.search(r'width="(\d+)"', svg).group(1)) == 5 * modules  # 5 px a module


def test_recovery_codes_avoid_the_look_alike_characters():
    typed = "".join(totp.new_recovery_codes()).replace("-", "")
    assert re.fullmatch(r"[a-z2-9]+", typed) and not set(typed) & set("01oil")


def test_the_authenticator_app_names_the_product_and_the_account():
    uri = totp.provisioning_uri(totp.new_secret(), account="ada@example.com")
    assert uri.startswith("otpauth://totp/SNF%20Admissions:ada%40example.com?")
    assert "issuer=SNF%20Admissions" in uri


def test_six_digits_are_an_app_code_and_anything_else_is_not():
    assert totp.is_totp_code("123456") and totp.is_totp_code(" 012345 ")
    assert not any(map(totp.is_totp_code, ["12345", "1234567", "12a456", "abcd-efgh-jkmn"]))


def test_a_code_is_taken_as_apps_show_it_and_recovery_codes_however_typed():
    assert [totp.is_totp_code(c) for c in ("225108", "225 108", "225-108", " 225 108 ")] == [True] * 4
    assert [totp.is_totp_code(c) for c in ("22510", "2251080", "22510a")] == [False] * 3
    assert totp.compact(" 225 108 ") == "225108"
    assert totp.is_recovery_code("ABCD EFGH-JK23") and not totp.is_recovery_code("225108")
