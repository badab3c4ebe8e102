"""Opaque keyset cursors: the sort key of the last row of a page, so the next page starts after
it however many rows come or go meanwhile."""
from __future__ import annotations

import base64
import json
from typing import Callable

from shared.errors import Unprocessable


def encode_cursor(*key) -> str:
    raw = json.dumps([str(part) for part in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: tuple[Callable, ...]) -> list | None:
    """The sort key inside a cursor made by encode_cursor, each part converted by its type
    (str, uuid.UUID, datetime.fromisoformat...), or None for the first page."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if (isinstance(key, list) and len(key) == len(types)
                and all(isinstance(k, str) and "\x00" not in k for k in key)):
            return [convert(part) for convert, part in zip(types, key)]
    except (ValueError, TypeError):
        pass
    raise Unprocessable("The cursor is not one this list gave out.", errors=[
        {"location": "query", "field": "cursor", "message": "Use next_cursor from a previous page.",
         "type": "cursor_invalid"}])


def page(rows: list[dict], limit: int, key: tuple[str, ...]) -> tuple[list[dict], str | None]:
    """Split the limit+1 rows a query fetched into this page and the cursor for the next."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(*(rows[-1][k] for k in key))
