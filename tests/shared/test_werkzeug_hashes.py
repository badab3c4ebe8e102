"""Werkzeug's password hashes, verified without Werkzeug: checked against the library itself
(both formats, its defaults and others), with wrong passwords, tampered hashes, formats we do
not take and parameters beyond the bounds."""
from __future__ import annotations

import time

import pytest
import werkzeug.security

from shared import werkzeug_hashes

PASSWORD = "pässword with ünïcode 1"


@pytest.mark.parametrize("method", ["pbkdf2:sha256:600000", "scrypt:32768:8:1",
                                    "pbkdf2:sha256:1000", "pbkdf2:sha512:2000",
                                    "scrypt:1024:8:1"])
def test_hashes_written_by_werkzeug_verify_and_ours_verify_in_werkzeug(method):
    theirs = werkzeug.security.generate_password_hash(PASSWORD, method=method)
    assert werkzeug_hashes.verify(theirs, PASSWORD)
    assert not werkzeug_hashes.verify(theirs, PASSWORD + "x")
    ours = werkzeug_hashes.generate(PASSWORD, method)
    assert ours.startswith(method + "$")
    assert werkzeug.security.check_password_hash(ours, PASSWORD)


def test_werkzeugs_default_method_verifies():
    assert werkzeug_hashes.verify(werkzeug.security.generate_password_hash(PASSWORD), PASSWORD)


def test_a_tampered_digest_or_salt_does_not_verify():
    method, salt, digest = werkzeug_hashes.generate(PASSWORD, "pbkdf2:sha256:1000").split("$")
    flipped = ("0" if digest[0] != "0" else "1") + digest[1:]
    assert not werkzeug_hashes.verify(f"{method}${salt}${flipped}", PASSWORD)
    assert not werkzeug_hashes.verify(f"{method}${salt}x${digest}", PASSWORD)
    assert not werkzeug_hashes.verify(f"{method}${salt}${digest}$", PASSWORD)


@pytest.mark.parametrize("stored, name", [
    ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "$2b$"),
    ("md5$abc$0123456789abcdef0123456789abcdef01234567", "md5"),
    ("plain$$hunter2hunter2", "plain"),
    ("sha1$salt$" + "a" * 40, "sha1"),
    ("5f4dcc3b5aa765d61d8327deb882cf99", "unrecognized"),
    ("", "empty"),
])
def test_formats_we_do_not_take_are_refused_and_named_without_the_hash(stored, name):
    assert not werkzeug_hashes.is_supported(stored)
    assert not werkzeug_hashes.verify(stored, "hunter2hunter2")
    assert werkzeug_hashes.format_name(stored) == name


def test_parameters_beyond_the_bounds_are_refused_without_the_work():
    too_many = f"pbkdf2:sha256:{werkzeug_hashes.MAX_PBKDF2_ITERATIONS + 1}$salt$" + "ab" * 32
    too_big = "scrypt:4194304:8:1$salt$" + "ab" * 64
    not_power_of_two = "scrypt:1000:8:1$salt$" + "ab" * 64
    started = time.perf_counter()
    for stored in (too_many, too_big, not_power_of_two):
        assert not werkzeug_hashes.verify(stored, PASSWORD)
    assert time.perf_counter() - started < 0.5
