"""The audit log as owners and admins read it: who did what, when, from where, filtered."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import Field, model_validator

from shared.models.common import FieldErrors, Output, PageQuery, Query, pattern


class AuditFilters(Query):
    rules = {"until": "must not be before since"}

    user_id: uuid.UUID | None = None
    action: str | None = Field(default=None, max_length=64, pattern=pattern(
                                   r"^[a-z_]+(\.[a-z_]+)*$", "must be an action such as "
                                   "admission.reopen, or its start such as admission"),
                               description="An action (admission.reopen) or its start (admission).")
    object_type: str | None = Field(default=None, max_length=64, pattern=pattern(
        r"^[a-z_]+$", "must be an object type such as admission"))
    object_id: uuid.UUID | None = None
    since: date | None = Field(default=None, description="Inclusive, UTC.")
    until: date | None = Field(default=None, description="Inclusive, UTC.")

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.since and self.until and self.until < self.since:
            raise FieldErrors({"until": "must not be before since"})
        return self


class AuditLogQuery(AuditFilters, PageQuery):
    pass


class AuditEntry(Output):
    id: uuid.UUID
    occurred_at: datetime
    user_id: uuid.UUID | None
    user_email: str | None = Field(description="Null for the system or an operator.")
    action: str
    object_type: str
    object_id: uuid.UUID | None
    source_address: str | None
    request_id: str | None
    changes: dict[str, Any]
