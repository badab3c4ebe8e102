"""Rates: what a payer pays a facility, by period and method."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from shared import paging
from shared.errors import Conflict, Unprocessable
from shared.models.common import Page
from shared.models.rates import (RateCreate, RateListQuery, RatePublic, RateUpdate,
                                 terms_errors)
from shared.repositories import facilities, payers, pdpm, rates
from shared.services import lifecycle
from shared.tenancy import Actor

KIND = "rate"


def facility_mismatches(facility: dict, rate: dict) -> dict[str, str]:
    """Where a PDPM rate's urban/rural setting or wage index contradicts its facility's."""
    found = {}
    if rate.get("locality") is not None and rate["locality"] != facility["locality"]:
        found["locality"] = (f"is {rate['locality']} but the facility is "
                             f"{facility['locality']}")
    if rate.get("wage_index") is not None and Decimal(str(rate["wage_index"])) != \
            facility["wage_index"]:
        found["wage_index"] = (f"is {rate['wage_index']} but the facility's is "
                               f"{facility['wage_index']}")
    return found


def _check_references(cur, organization_id: uuid.UUID, values: dict) -> None:
    """The facility and payer must be this organization's and active; a PDPM fiscal year must
    be one the reference tables hold; a PDPM rate must agree with its facility's locality and
    wage index unless overridden explicitly."""
    facility, errors = lifecycle.referenced(cur, facilities, organization_id,
                                            values["facility_id"], "facility_id")
    if facility and values.get("method") == "pdpm" and not values.get("facility_mismatch_override"):
        errors.update({field: message + " (set facility_mismatch_override to keep it)"
                       for field, message in facility_mismatches(facility, values).items()})
    errors.update(lifecycle.referenced(cur, payers, organization_id, values["payer_id"],
                                       "payer_id")[1])
    if values.get("fiscal_year") is not None:
        loaded = pdpm.fiscal_years(cur)
        if values["fiscal_year"] not in loaded:
            errors["fiscal_year"] = (f"no PDPM reference data for FY{values['fiscal_year']}; "
                                     f"loaded: {', '.join(map(str, loaded))}")
    if errors:
        raise Unprocessable.for_fields(errors)


def _no_overlap(cur, organization_id: uuid.UUID, rate: dict, except_id: uuid.UUID | None) -> None:
    rates.lock_pair(cur, organization_id=organization_id, facility_id=rate["facility_id"],
                    payer_id=rate["payer_id"])
    clash = rates.overlapping(cur, organization_id=organization_id,
                              facility_id=rate["facility_id"], payer_id=rate["payer_id"],
                              effective_from=rate["effective_from"],
                              effective_to=rate["effective_to"], except_id=except_id)
    if clash:
        until = clash["effective_to"] or "further notice"
        raise Conflict(f"Another active rate of this facility and payer runs from "
                       f"{clash['effective_from']} to {until} (rate {clash['id']}). End it first "
                       "or choose other dates.")


def list_rates(cur, organization_id: uuid.UUID, query: RateListQuery) -> Page[RatePublic]:
    rows = rates.list_page(cur, organization_id=organization_id, facility_id=query.facility_id,
                           payer_id=query.payer_id, include_inactive=query.include_inactive,
                           after=paging.decode_cursor(query.cursor, (date.fromisoformat, uuid.UUID)),
                           limit=query.limit)
    rows, next_cursor = paging.page(rows, query.limit, ("effective_from", "id"))
    return Page[RatePublic](items=rows, next_cursor=next_cursor)


def get_rate(cur, organization_id: uuid.UUID, rate_id: uuid.UUID) -> RatePublic:
    return RatePublic.model_validate(lifecycle.fetch(cur, rates, organization_id, rate_id, KIND))


def create_rate(cur, actor: Actor, data: RateCreate) -> RatePublic:
    values = data.model_dump()
    _check_references(cur, actor.organization_id, values)
    _no_overlap(cur, actor.organization_id, values, except_id=None)
    return RatePublic.model_validate(lifecycle.create(cur, actor, rates, KIND, values))


def update_rate(cur, actor: Actor, rate_id: uuid.UUID, data: RateUpdate) -> RatePublic:
    def terms_fit(current: dict, changes: dict) -> None:
        merged = {**current, **changes}
        errors = terms_errors(merged)
        if errors:
            raise Unprocessable.for_fields(errors)
        if {"fiscal_year", "locality", "wage_index", "facility_mismatch_override"} & set(changes):
            _check_references(cur, actor.organization_id, merged)
        if "effective_from" in changes or "effective_to" in changes:
            _no_overlap(cur, actor.organization_id, merged, except_id=rate_id)

    return RatePublic.model_validate(
        lifecycle.update(cur, actor, rates, KIND, rate_id, data, check=terms_fit))


def deactivate_rate(cur, actor: Actor, rate_id: uuid.UUID) -> None:
    lifecycle.deactivate(cur, actor, rates, KIND, rate_id)
