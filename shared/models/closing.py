"""Closing an organization: the owner confirms with their password."""
from __future__ import annotations

from shared.models.auth import Password
from shared.models.common import Input


class CloseIn(Input):
    rules = {"password": "must be the signed-in owner's password"}

    password: Password
