"""Sealing secrets kept in the database (AES-GCM, bound to their row)."""
from __future__ import annotations

import os

import pytest

from shared import sealing


def test_a_sealed_secret_opens_only_with_its_key_and_for_its_row():
    key = os.urandom(32)
    sealed = sealing.seal(key, b"JBSWY3DPEHPK3PXP", b"totp:org:user")
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert sealing.open_sealed(key, sealed, b"totp:org:user") == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(sealing.DoesNotOpen):
        sealing.open_sealed(key, sealed, b"totp:org:another-user")
    with pytest.raises(sealing.DoesNotOpen):
        sealing.open_sealed(os.urandom(32), sealed, b"totp:org:user")
