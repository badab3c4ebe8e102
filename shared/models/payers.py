
import uuid
from datetime import datetime

from shared.catalog import PayerType
from shared.models.common import Input, Name, Output, PageQuery, not_null


class PayerCreate(Input):
    name: Name
    payer_type: PayerType


class PayerUpdate(Input):
    name: Name | None = None
    payer_type: PayerType | None = None

    _not_null = not_null("name", "payer_type")


class PayerPublic(Output):
    id: uuid.UUID
    name: str
    payer_type: PayerType
    is_active: bool
    created_at: datetime
    updated_at: datetime


class PayerListQuery(PageQuery):
    include_inactive: bool = False
