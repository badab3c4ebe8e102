from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from shared.models.common import Output

Tier = Literal["trial", "starter", "professional", "enterprise"]
Status = Literal["trialing", "active", "past_due", "read_only"]


class OrganizationPublic(Output):
    id: uuid.UUID
    name: str
    subdomain: str
    tier: Tier
    status: Status
    trial_ends_at: datetime | None
    created_at: datetime
