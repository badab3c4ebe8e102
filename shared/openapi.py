"""The OpenAPI 3.1 document, generated from the FunctionApp's registered HTTP routes and the
pydantic models their endpoints declare: what validates a request is what documents it."""
from __future__ import annotations

import json
import re

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared import idempotency
from shared.endpoint import MAX_BODY_BYTES, READS
from shared.models.common import rules_of
from shared.routing import http_functions, route_prefix

REF = "#/components/schemas/{model}"
ERROR_TITLES = {400: "Malformed request", 401: "Not signed in", 403: "The role does not allow it",
                405: "Not a method of this endpoint (see Allow)",
                404: "Not found (or another organization's)", 409: "Conflict",
                410: "No longer there (expired)",
                413: f"Body larger than {MAX_BODY_BYTES // 1024} KB",
                422: "Invalid fields: the schema's rules, and those listed in x-rules", 429: "Too many attempts",
                402: "The plan or a limit does not allow it",
                503: "Unavailable: the database, password hashing at capacity, or billing (not "
                     "configured, Stripe not answering); see Retry-After"}
PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "request_id"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "field": {"type": "string"},
                           "message": {"type": "string"}, "type": {"type": "string"}}}},
    },
}
# A 402 says what the plan allows and what to do (RFC 9457 extension members).
PAYMENT_PROBLEM = {
    "allOf": [{"$ref": REF.format(model="Problem")}, {
        "type": "object",
        "required": ["tier", "plan", "state", "billing_url"],
        "properties": {
            "tier": {"type": "string"}, "plan": {"type": "string"},
            "state": {"type": "string", "enum": ["trialing", "active", "past_due", "read_only"]},
            "reason": {"type": "string", "description": "Why read-only."},
            "resource": {"type": "string", "enum": ["facilities", "users", "admissions"],
                         "description": "The limit reached, when one was."},
            "limit": {"type": "integer"}, "usage": {"type": "integer"},
            "billing_url": {"type": "string", "description": "Where an owner chooses a plan."}}}],
}

IDEMPOTENCY_KEY = {
    "name": idempotency.HEADER, "in": "header", "required": False,
    "description": "Any unique value (a UUID) for this create. Sent again with the same "
                   "request within 24 hours, the first answer is returned and nothing is "
                   "created again; with another request, 422. A second request while the "
                   "first is in flight waits for it, then gets its answer.",
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_LENGTH,
               "pattern": idempotency.PATTERN.replace("{1,255}", "+")},
}
REPLAYED_HEADER = {"description": "true when this is the stored answer to an earlier request "
                                  "with the same Idempotency-Key",
                   "schema": {"type": "string", "enum": ["true"]}}


# What a raw body must be beyond its media type (the functions check it; no schema can).
RAW_BODY_RULES = {
    "stripe_webhook_event": {"": "its Stripe-Signature header must be Stripe's signature of the body "
                                           "with this endpoint's secret (else 400)"},
    "put_organization_logo": {"logo": "the body must be an image of its Content-Type (PNG, JPEG or a "
                            "script-free SVG) under 200 KB"},
}


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [{"name": name, "in": where, "required": where == "path" or name in required,
             "schema": prop} for name, prop in schema.get("properties", {}).items()]


_documents: dict[int, str] = {}


def document(app) -> str:
    """The document as JSON, built once per process (the routes do not change while it runs)."""
    if id(app) not in _documents:
        _documents[id(app)] = json.dumps(build(app))
    return _documents[id(app)]


def build(app) -> dict:
    """The whole document for this FunctionApp."""
    prefix = "/" + route_prefix()
    models: set[tuple[type, str]] = set()
    operations = []
    for registered in http_functions(app):
        spec = registered.spec
        path = prefix + "/" + re.sub(r"\{\*?([A-Za-z0-9_]+)[^}]*\}", r"{\1}", registered.route)
        for model, mode in ((spec and spec.body, "validation"),
                            (spec and spec.response, "serialization")):
            if isinstance(model, type) and issubclass(model, BaseModel):
                models.add((model, mode))
        operations.append((path, registered, spec))
    refs, defs = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])),
                                    ref_template=REF)
    schemas = {**defs.get("$defs", {}), "Problem": PROBLEM, "PaymentProblem": PAYMENT_PROBLEM}

    paths: dict[str, dict] = {}
    for path, registered, spec in operations:
        for method in registered.methods:
            operation = _operation(registered, spec, refs)
            if len(registered.methods) > 1:  # operation ids are unique per method
                operation["operationId"] = f"{registered.name}_{method.lower()}"
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            operation.setdefault("parameters", []).extend(
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"\{([A-Za-z0-9_]+)\}", path) if name not in declared)
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "SNF admission decisions API", "version": "1.0.0",
                 "description": "Multi-tenant: every answer is scoped to the signed-in "
                                "user's organization. Errors are application/problem+json."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(registered, spec, refs: dict) -> dict:
    if spec is None:  # the catch-all and other functions without a declared contract
        return {"operationId": registered.name, "summary": registered.handler.__doc__ or "",
                "responses": {"404": _problem(404)}}
    operation = {
        "operationId": registered.name,
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": _parameters(spec.path, "path") + _parameters(spec.query, "query"),
        "responses": {},
    }
    if spec.idempotent:
        operation["parameters"].append(IDEMPOTENCY_KEY)
    if spec.role is not None:
        operation["security"] = [{"bearer": []}]
        operation["description"] = f"Needs the {spec.role.value} role or higher."
    else:
        operation["security"] = []
    if spec.raw_body:
        operation["requestBody"] = {"required": True, "content": {
            kind: {"schema": {"type": "string", "format": "binary"}} for kind in spec.raw_body}}
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": refs[(spec.body, "validation")]}}}
    if spec.status >= 400:  # an endpoint that only ever answers with problems
        for status in sorted({spec.status, *spec.errors}):
            operation["responses"][str(status)] = _problem(status)
        return operation
    if spec.content_type.startswith("image/") or (spec.response is None
                                                   and spec.content_type != "application/json"):
        operation["responses"][str(spec.status)] = {
            "description": spec.summary, "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in spec.content_type.split(",")}}
    elif spec.response is not None:
        operation["responses"][str(spec.status)] = {
            "description": spec.summary,
            "content": {spec.content_type: {"schema": refs.get(
                (spec.response, "serialization"), {"type": "object"})}}}
        if spec.idempotent:
            operation["responses"][str(spec.status)]["headers"] = {
                idempotency.REPLAYED: REPLAYED_HEADER}
    else:
        operation["responses"]["204" if spec.status == 200 else str(spec.status)] = {
            "description": "Done; no content."}
    statuses = set(spec.errors) | {503}
    if spec.role is not None:
        statuses |= {401, 403}
    if spec.role is not None and not spec.when_closed and set(registered.methods) - set(READS):
        statuses |= {409}  # a closed organization's writes (shared.tenancy.require_open)
    if spec.body is not None or spec.query is not None or spec.raw_body:
        statuses |= {400, 422}
    if spec.body is not None or spec.raw_body:
        statuses |= {413}
    if spec.path is not None:
        statuses |= {404}
    if spec.idempotent:  # a malformed key; a key used with another request; one in flight
        statuses |= {400, 409, 422}
    for status in sorted(statuses):
        operation["responses"][str(status)] = _problem(status)
    rules = {**rules_of(spec.query), **rules_of(spec.body),
             **RAW_BODY_RULES.get(registered.name, {})}
    if spec.idempotent:  # the key is checked against the requests it was used with before
        rules[idempotency.HEADER] = ("must not have been sent with another request in the last "
                                     "24 hours (422; 400 when malformed)")
    for status in ("400", "422"):
        if rules and status in operation["responses"]:  # what it may name beyond the schema
            operation["responses"][status]["x-rules"] = rules
            operation["responses"][status]["description"] += ": " + "; ".join(
                f"{field or 'the request'} {rule}" for field, rule in rules.items())
    return operation


def _problem(status: int) -> dict:
    model = "PaymentProblem" if status == 402 else "Problem"
    return {"description": ERROR_TITLES.get(status, "Error"), "content": {
        "application/problem+json": {"schema": {"$ref": REF.format(model=model)}}}}
