
import uuid
from datetime import datetime
from enum import Enum

from shared.models.common import Output


class Role(str, Enum):
    """Each role can do what the ones after it can, and more."""
    owner = "owner"
    admin = "admin"
    coordinator = "coordinator"
    viewer = "viewer"

    def at_least(self, other: "Role") -> bool:
        return _RANKS[self] <= _RANKS[other]


_RANKS = {role: rank for rank, role in enumerate(Role)}  # owner 0: the lower, the more it can


class UserPublic(Output):
    id: uuid.UUID
    email: str
    role: Role
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
