"""What every resource's models share: input strictness, paging, empty path and query."""
from __future__ import annotations

import re
import uuid
from typing import Annotated, Generic, TypeVar

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints,
                      field_validator)

T = TypeVar("T")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _control_characters(value, path: str = "") -> dict[str, str]:
    """Fields holding control characters (a NUL cannot even reach PostgreSQL); tab and line
    feed are text."""
    if isinstance(value, str):
        return {path: "must not contain control characters"} if _CONTROL.search(value) else {}
    found = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(_control_characters(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_control_characters(item, f"{path}.{index}" if path else str(index)))
    return found


class _Text(BaseModel):
    # After each field's own validation, so JSON keeps its strict types.
    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value):
        found = _control_characters(value)
        if found:
            raise FieldErrors(found)
        return value


class Input(_Text):
    """A request body: JSON types as declared (no "12" for 12), unknown fields refused, so a
    mistyped field name is an error rather than data silently lost."""
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


class Query(_Text):
    """Query-string parameters arrive as text: converted, unknown ones refused."""
    model_config = ConfigDict(extra="forbid")


def not_null(*fields: str):
    """For Update models: a field left out keeps its value; sent as null, it is refused."""
    def check(cls, value):
        if value is None:
            raise ValueError("cannot be null")
        return value
    return field_validator(*fields)(classmethod(check))


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


def _one_line(value: str) -> str:
    if "\n" in value or "\t" in value:
        raise ValueError("must be one line")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
                 AfterValidator(_one_line)]


class FieldErrors(ValueError):
    """Raised by a validator to name each field and each rule it breaks (shared.problems
    expands it); in a field validator, the key "" is that field itself."""

    def __init__(self, errors: dict[str, str | list[str]]):
        self.errors = {field: [messages] if isinstance(messages, str) else list(messages)
                       for field, messages in errors.items()}
        super().__init__("; ".join(f"{field}: {message}" for field, messages in self.errors.items()
                                   for message in messages))
