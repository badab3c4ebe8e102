"""An organization's data export, as its owners see it."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.models.common import Output


class DataExportPublic(Output):
    id: uuid.UUID
    requested_by: uuid.UUID
    requested_at: datetime
    status: Literal["requested", "ready", "failed", "expired"] = Field(
        description="requested: being prepared (within minutes); ready: download it until "
                    "expires_at; expired: ask for a new one.")
    ready_at: datetime | None
    expires_at: datetime | None
    size_bytes: int | None
    sha256: str | None = Field(description="Of the zip, to check the download.")


class DataExportList(Output):
    items: list[DataExportPublic] = Field(description="The ten most recent, newest first.")
