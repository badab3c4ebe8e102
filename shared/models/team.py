"""Users of an organization as its owners and admins manage them."""
from __future__ import annotations

from pydantic import field_validator

from shared.models.common import Input, PageQuery
from shared.models.users import Role


class UserUpdate(Input):
    role: Role | None = None
    is_active: bool | None = None

    @field_validator("role", "is_active")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("cannot be null")
        return value


class UserListQuery(PageQuery):
    include_inactive: bool = False
