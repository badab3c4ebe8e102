
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
        order = list(Role)
        return order.index(self) <= order.index(other)


class UserPublic(Output):
    id: uuid.UUID
    email: str
    role: Role
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
