"""What every resource's models share: input strictness, paging, empty path and query."""

import re
import uuid
from datetime import date
from typing import Annotated, ClassVar, Generic, TypeVar, get_args

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints,
                      field_validator)

T = TypeVar("T")


# What each field pattern means, in the words a 422 gives instead of the regular expression
# (shared.problems); every pattern a model checks is registered through `pattern`.
PATTERN_RULES: dict[str, str] = {}


def pattern(regex: str, rule: str) -> str:
    """A field's regular expression, registered with what it asks for in plain words."""
    PATTERN_RULES[regex] = rule
    return regex


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
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


# What the document says of every free-text field (the validator below refuses the rest).
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u0008\u000b-\u001f\u007f]*$"


def _refuses_null(cls) -> set[str]:
    """The fields a `not_null` validator guards: null is not a value of theirs."""
    names: set[str] = set()
    for decorator in cls.__pydantic_decorators__.field_validators.values():
        if getattr(decorator.func, "refuses_null", False):
            fields = decorator.info.fields
            names |= set(cls.model_fields) if "*" in fields else set(fields)
    return names


def _strip_null(prop: dict) -> None:
    options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
    if len(options) == len(prop.get("anyOf", [])):
        return
    del prop["anyOf"]
    prop.pop("default", None)
    if len(options) == 1:
        for key, value in options[0].items():
            prop.setdefault(key, value)
    else:
        prop["anyOf"] = options


DECIMAL_RULE = ("a decimal, as a JSON number or a string of digits: the number form's bounds "
                "and the digits it allows apply to both")


def _decimal(node: dict) -> bool:
    """pydantic's schema of a Decimal input: a number, or any string (or null, if optional)."""
    options = [o for o in node.get("anyOf", []) if o != {"type": "null"}]
    return (len(options) == 2 and options[0].get("type") == "number"
            and options[1] == {"type": "string"})


def _text_patterns(node) -> None:
    """A free-text string (no format, enum or pattern of its own) says it takes no control
    characters; a decimal's string form says what it looks like and that its bounds hold."""
    if isinstance(node, list):
        for item in node:
            _text_patterns(item)
        return
    if not isinstance(node, dict):
        return
    if _decimal(node):
        number = node["anyOf"][0]
        signed = "" if number.get("minimum", number.get("exclusiveMinimum", -1)) >= 0 else "-?"
        node["anyOf"][node["anyOf"].index({"type": "string"})] = {
            "type": "string", "pattern": rf"^{signed}[0-9]+(\.[0-9]+)?$"}
        node["x-rule"] = DECIMAL_RULE
        return
    if node.get("type") == "integer":  # JSON Schema's integer takes 3.0; strict input does not
        node["x-rule"] = "an integer written without a fraction (3, not 3.0)"
    if node.get("type") == "string" and not {"format", "enum", "const", "pattern"} & set(node):
        node["pattern"] = NO_CONTROL_CHARACTERS
    for key in ("anyOf", "oneOf", "allOf", "items", "additionalProperties"):
        if isinstance(node.get(key), (dict, list)):
            _text_patterns(node[key])
    for item in (node.get("properties") or {}).values():
        _text_patterns(item)


def _document(schema: dict, cls) -> None:
    """The JSON schema of an input model tells the truth: a field refusing null is not
    nullable, free text has no control characters, and the rules the schema cannot express
    (cross-field, or against stored data) are listed under `x-rules` and in the description."""
    properties = schema.get("properties", {})
    for name in _refuses_null(cls):
        if name in properties:
            _strip_null(properties[name])
    _text_patterns(list(properties.values()))
    found = rules_of(cls)
    if found:
        schema["x-rules"] = found
        listed = "; ".join(f"{field}: {rule}" for field, rule in found.items())
        schema["description"] = (schema.get("description", "") + "\n\nAlso checked (422): "
                                 + listed + ".").strip()


def rules_of(cls) -> dict[str, str]:
    """The rules beyond the schema that a model declares in `rules`, its bases' too."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__ if cls is not None else ()):
        found.update(klass.__dict__.get("rules", {}))
    return found


class _Text(BaseModel):
    # Validators and serializers are built on a model's first use, not at import: most of a
    # cold start was pydantic building every route's models (bench/cold_start.py).
    model_config = ConfigDict(defer_build=True)

    # Field -> a rule the JSON schema cannot express; a 422 may name these fields for it.
    rules: ClassVar[dict[str, str]] = {}

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
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True,
                              json_schema_extra=_document)


class Query(_Text):
    """Query-string parameters arrive as text: converted, unknown ones refused."""
    model_config = ConfigDict(extra="forbid", json_schema_extra=_document)

    @field_validator("*", mode="before")
    @classmethod
    def _iso_dates(cls, value, info):
        # Lax parsing would read "0" as 1970-01-01; the document says format: date.
        annotation = cls.model_fields[info.field_name].annotation
        if (isinstance(value, str) and date in (annotation, *get_args(annotation))
                and not _ISO_DATE.fullmatch(value)):
            raise ValueError("must be a date written YYYY-MM-DD")
        return value


def not_null(*fields: str):
    """For Update models: a field left out keeps its value; sent as null, it is refused."""
    def check(cls, value):
        if value is None:
            raise ValueError("cannot be null")
        return value
    check.refuses_null = True  # the document drops null from these fields (shared.openapi)
    return field_validator(*fields)(classmethod(check))


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True, defer_build=True)  # as _Text


class FieldWarning(Output):
    """Something saved that works but is likely wrong, for the form to show at the field."""
    field: str
    message: str


class Page(Output, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.")


class PageQuery(Query):
    rules = {"cursor": "must be a next_cursor that this list gave out"}

    cursor: str | None = Field(
        default=None, max_length=200,
        description="The next_cursor of the previous page, as given; nothing else.")
    limit: int = Field(default=50, ge=1, le=200)


class IdPath(BaseModel):
    model_config = ConfigDict(defer_build=True)  # as _Text
    id: uuid.UUID


def _one_line(value: str) -> str:
    if "\n" in value or "\t" in value:
        raise ValueError("must be one line")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
                 AfterValidator(_one_line),
                 # One line, not blank: what the validators above refuse, for the document.
                 Field(json_schema_extra={"pattern": r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"})]


class FieldErrors(ValueError):
    """Raised by a validator to name each field and each rule it breaks (shared.problems
    expands it); in a field validator, the key "" is that field itself."""

    def __init__(self, errors: dict[str, str | list[str]]):
        self.errors = {field: [messages] if isinstance(messages, str) else list(messages)
                       for field, messages in errors.items()}
        super().__init__("; ".join(f"{field}: {message}" for field, messages in self.errors.items()
                                   for message in messages))
