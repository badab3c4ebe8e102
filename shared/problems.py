"""The one place that turns an exception into an application/problem+json response (RFC 9457)."""
from __future__ import annotations

import json
import logging
import re

import azure.functions as func
import psycopg2
import psycopg2.errors
from pydantic import ValidationError

from shared.errors import Conflict, ProblemError, ServiceUnavailable, Unprocessable
from shared.models.common import PATTERN_RULES, FieldErrors

log = logging.getLogger("snf.request")
PROBLEM_TYPE_BASE = "https://snf-admissions.example/problems/"
PROBLEM_JSON = "application/problem+json"
# What a unique constraint means to the user who ran into it.
CONFLICTS = {
    "organizations_subdomain_key": "This subdomain is taken. Choose another.",
    "facilities_organization_active_name_key": "An active facility already has this name.",
    "payers_organization_active_name_key": "An active payer already has this name.",
    "cost_models_organization_facility_active_key":
        "This facility already has an active cost model. Change it, or deactivate it first.",
}


# pydantic's error types in words a user can act on; ctx's values fill the braces.
PLAIN = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this request",
    "string_type": "must be text",
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "decimal_type": "must be a number", "decimal_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "greater_than": "must be more than {gt}", "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}", "less_than_equal": "must be at most {le}",
    "multiple_of": "must be a multiple of {multiple_of}",
    "decimal_max_digits": "must have at most {max_digits} digits",
    "decimal_max_places": "must have at most {decimal_places} decimal places",
    "decimal_whole_digits": "must have at most {whole_digits} digits before the decimal point",
    "string_too_short": "must be at least {min_length} character(s)",
    "string_too_long": "must be at most {max_length} characters",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "list_type": "must be a list", "set_type": "must be a list",
    "dict_type": "must be an object", "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "uuid_type": "must be an id (a UUID)", "uuid_parsing": "must be an id (a UUID)",
    "uuid_version": "must be an id (a UUID)",
    "date_type": "must be a date written YYYY-MM-DD",
    "date_parsing": "must be a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "must be a date written YYYY-MM-DD",
    "datetime_type": "must be a date and time such as 2026-06-01T10:00:00Z",
    "datetime_parsing": "must be a date and time such as 2026-06-01T10:00:00Z",
    "datetime_from_date_parsing": "must be a date and time such as 2026-06-01T10:00:00Z",
    "datetime_object_invalid": "must be a date and time such as 2026-06-01T10:00:00Z",
    "timezone_aware": "must say its time zone, such as 2026-06-01T10:00:00Z or "
                      "2026-06-01T10:00:00-05:00",
    "json_invalid": "is not valid JSON",
    "string_pattern_mismatch": "is not in the expected form",
    "is_instance_of": "is not of the expected type",
}


def plain_message(error: dict) -> str:
    """What pydantic reports, as a user can act on it: our validators' own words without
    pydantic's "Value error, " prefix, a pattern's registered rule instead of its regular
    expression, each other kind by PLAIN."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_RULES:
        return PATTERN_RULES[ctx["pattern"]]
    if kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        return "must be one of: " + (", ".join(choices) or ctx.get("expected", ""))
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind in PLAIN:
        return PLAIN[kind].format(**ctx)
    return error["msg"]


def validation_errors(exc: ValidationError, location: str) -> list[dict]:
    """Each failed field with its location and rule; never the submitted value (it may be a
    password)."""
    errors = []
    for error in exc.errors(include_input=False, include_url=False):
        path = [str(part) for part in error["loc"]]
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, FieldErrors):
            errors.extend({"location": location, "field": ".".join(path + [field] if field else path),
                           "message": message, "type": "value_error"}
                          for field, messages in cause.errors.items() for message in messages)
            continue
        errors.append({"location": location, "field": ".".join(path) or location,
                       "message": plain_message(error), "type": error["type"]})
    return errors


def _as_problem(exc: BaseException) -> ProblemError:
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, (psycopg2.errors.UniqueViolation, psycopg2.errors.ExclusionViolation)):
        return Conflict(CONFLICTS.get(exc.diag.constraint_name,
                                      "This conflicts with an existing record."))
    if isinstance(exc, (psycopg2.errors.CheckViolation, psycopg2.DataError)):
        return Unprocessable("A value is outside what is allowed.")
    if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return ServiceUnavailable("The database is unavailable. Try again in a moment.")
    return ProblemError()


def problem_response(exc: BaseException, request_id: str) -> func.HttpResponse:
    """The response for any exception; an unexpected one is logged with its traceback and
    answered as a generic 500 that names only the request id."""
    problem = _as_problem(exc)
    if problem.status >= 500 and not isinstance(exc, ServiceUnavailable):
        log.error("unhandled %s request_id=%s", type(exc).__name__, request_id, exc_info=exc)
    body = {
        "type": PROBLEM_TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "request_id": request_id,
    }
    if problem.errors:
        body["errors"] = problem.errors
    for name, value in problem.extensions.items():
        body.setdefault(name, value)
    headers = {"X-Request-Id": request_id, **problem.headers}
    return func.HttpResponse(json.dumps(body), status_code=problem.status, headers=headers,
                             mimetype=PROBLEM_JSON)
