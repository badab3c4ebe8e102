"""A user's sessions, as they see them in Settings."""

import uuid
from datetime import datetime

from pydantic import Field

from shared.models.common import Output


class SessionPublic(Output):
    id: uuid.UUID
    created_at: datetime = Field(description="When it signed in.")
    last_used_at: datetime | None = Field(description="To the minute.")
    expires_at: datetime
    browser: str = Field(description="Named from the user agent, e.g. 'Firefox on Windows'.")
    source_network: str | None = Field(description="Where it signed in from, coarsened to the "
                                                   "IPv4 /24 or IPv6 /48.")
    current: bool = Field(description="The session making this request.")


class SessionList(Output):
    items: list[SessionPublic]


class SessionsEnded(Output):
    ended: int = Field(description="How many live sessions were ended.")
