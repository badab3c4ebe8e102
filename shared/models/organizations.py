
import uuid
from datetime import datetime, timezone
from typing import Literal

from pydantic import Field, model_validator

from shared.models.common import Output
from shared.standing import standing_of

Tier = Literal["trial", "starter", "professional", "enterprise"]
Status = Literal["trialing", "active", "past_due", "read_only"]


class OrganizationPublic(Output):
    id: uuid.UUID
    name: str
    subdomain: str
    tier: Tier
    status: Status = Field(description="As of this moment: a trial is read-only the second it "
                                       "ends, whatever was last recorded.")
    trial_ends_at: datetime | None
    created_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _status_now(cls, data):
        if isinstance(data, dict) and "past_due_since" in data:
            data = {**data, "status": standing_of(data, datetime.now(timezone.utc)).state}
        return data
