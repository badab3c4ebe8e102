"""Payers: who pays for a stay, by type."""
from __future__ import annotations

import uuid

from shared import paging
from shared.models.common import Page
from shared.models.payers import PayerCreate, PayerListQuery, PayerPublic, PayerUpdate
from shared.repositories import payers
from shared.services import lifecycle
from shared.tenancy import Actor

KIND = "payer"


def list_payers(cur, organization_id: uuid.UUID, query: PayerListQuery) -> Page[PayerPublic]:
    rows = payers.list_page(cur, organization_id=organization_id,
                            include_inactive=query.include_inactive,
                            after=paging.decode_cursor(query.cursor, (str, uuid.UUID)),
                            limit=query.limit)
    rows, next_cursor = paging.page(rows, query.limit, ("name", "id"))
    return Page[PayerPublic](items=rows, next_cursor=next_cursor)


def get_payer(cur, organization_id: uuid.UUID, payer_id: uuid.UUID) -> PayerPublic:
    return PayerPublic.model_validate(lifecycle.fetch(cur, payers, organization_id, payer_id, KIND))


def create_payer(cur, actor: Actor, data: PayerCreate) -> PayerPublic:
    return PayerPublic.model_validate(lifecycle.create(cur, actor, payers, KIND, data.model_dump()))


def update_payer(cur, actor: Actor, payer_id: uuid.UUID, data: PayerUpdate) -> PayerPublic:
    return PayerPublic.model_validate(lifecycle.update(cur, actor, payers, KIND, payer_id, data))


def deactivate_payer(cur, actor: Actor, payer_id: uuid.UUID) -> None:
    lifecycle.deactivate(cur, actor, payers, KIND, payer_id)
