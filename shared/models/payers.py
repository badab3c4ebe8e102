from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import field_validator

from shared.catalog import PayerType
from shared.models.common import Input, Name, Output, PageQuery


class PayerCreate(Input):
    name: Name
    payer_type: PayerType


class PayerUpdate(Input):
    name: Name | None = None
    payer_type: PayerType | None = None

    @field_validator("name", "payer_type")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("cannot be null")
        return value


class PayerPublic(Output):
    id: uuid.UUID
    name: str
    payer_type: PayerType
    is_active: bool
    created_at: datetime
    updated_at: datetime


class PayerListQuery(PageQuery):
    include_inactive: bool = False
