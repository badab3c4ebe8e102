"""The one place that turns an exception into an application/problem+json response (RFC 9457)."""
from __future__ import annotations

import json
import logging

import azure.functions as func
import psycopg2
import psycopg2.errors
from pydantic import ValidationError

from shared.errors import Conflict, ProblemError, ServiceUnavailable, Unprocessable
from shared.models.common import FieldErrors

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
                       "message": error["msg"], "type": error["type"]})
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
