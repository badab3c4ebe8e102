"""Users of an organization as its owners and admins manage them."""

from shared.models.common import Input, PageQuery, not_null
from shared.models.users import Role


class UserUpdate(Input):
    role: Role | None = None
    is_active: bool | None = None

    _not_null = not_null("role", "is_active")


class UserListQuery(PageQuery):
    include_inactive: bool = False
