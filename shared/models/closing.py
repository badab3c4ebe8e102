"""Closing an organization: the owner confirms with their password, and a code when their
two-factor sign-in is on."""

from shared.models.auth import Password
from shared.models.common import Input
from shared.models.two_factor import Code


class CloseIn(Input):
    rules = {"password": "must be the signed-in owner's password",
             "code": "required when the owner's two-factor sign-in is on: a current code or "
                     "an unused recovery code"}

    password: Password
    code: Code | None = None
