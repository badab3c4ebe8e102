"""What every resource's models share: input strictness, paging, empty path and query."""
from __future__ import annotations

import uuid
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")


class Input(BaseModel):
    """A request body: JSON types as declared (no "12" for 12), unknown fields refused, so a
    mistyped field name is an error rather than data silently lost."""
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


class Query(BaseModel):
    """Query-string parameters arrive as text: converted, unknown ones refused."""
    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Output, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.")


class PageQuery(Query):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=200)


class IdPath(BaseModel):
    id: uuid.UUID


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class FieldErrors(ValueError):
    """Raised by a validator to name each field and each rule it breaks (shared.problems
    expands it); in a field validator, the key "" is that field itself."""

    def __init__(self, errors: dict[str, str | list[str]]):
        self.errors = {field: [messages] if isinstance(messages, str) else list(messages)
                       for field, messages in errors.items()}
        super().__init__("; ".join(f"{field}: {message}" for field, messages in self.errors.items()
                                   for message in messages))
