"""An organization's data export, as its owners see it."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.models.common import Output


class DataExportProgress(Output):
    file: str | None = Field(description="The file being written (admissions.csv), or null "
                                         "while the zip is put together from the files.")
    file_rows: int = Field(description="Rows of it written so far.")
    file_total: int | None = Field(description="Rows it has (counted when it was begun).")
    files_done: int
    files_total: int


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
    progress: DataExportProgress | None = Field(
        default=None, description="While requested and begun: how far the build has gone (a "
                                  "large organization's takes a few minutes).")


class DataExportList(Output):
    items: list[DataExportPublic] = Field(description="The ten most recent, newest first.")
