"""The decorator every HTTP function wears: the project's middleware, since Blueprints have none.

In this order, for every request: a request id; the bearer session, its user and organization,
inside the tenant transaction; the role the endpoint declares; path, query and body validated by
the endpoint's pydantic models; the handler; its result serialized by the response model. Any
exception becomes application/problem+json in `shared.problems`, and one log line per request
names the request id, never a body.

    @bp.route(route="facilities/{id}", methods=["GET"])
    @endpoint(role=Role.viewer, path=IdPath, response=FacilityPublic)
    def get_facility(ctx: Context) -> FacilityPublic: ...

A create declares `idempotent=True`: its Idempotency-Key is held in the tenant transaction
before the handler runs and its answer stored there after (`shared.idempotency`); a public
create (signup) has no transaction here, so its service calls `ctx.keep_answer` in its own.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import secrets
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable
from urllib.parse import urlsplit

import azure.functions as func
from pydantic import BaseModel, ValidationError

from shared import db, idempotency
from shared.errors import BadRequest, NotFound, PayloadTooLarge, Unprocessable
from shared.models.users import Role
from shared.problems import problem_response, validation_errors
from shared.tenancy import (Actor, Caller, bearer_token, caller_lookup, caller_of,
                            claimed_organization, require_open, require_role)

log = logging.getLogger("snf.request")
MAX_BODY_BYTES = 256 * 1024
READS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class EndpointSpec:
    """What an endpoint declares; the OpenAPI document is generated from it."""
    summary: str
    role: Role | None
    path: type[BaseModel] | None
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: type | None
    status: int
    tag: str
    errors: tuple[int, ...]
    content_type: str = "application/json"
    raw_body: tuple[str, ...] = ()  # media types of a non-JSON body, handed over as bytes
    # A write a closed organization may still make (sign out, end sessions, export, reopen).
    when_closed: bool = False
    idempotent: bool = False         # a create: takes an Idempotency-Key


@dataclass
class Context:
    """What a handler gets: the validated input, the caller, and the tenant transaction."""
    request_id: str
    request: func.HttpRequest
    path: Any = None
    query: Any = None
    body: Any = None
    raw_body: bytes = b""
    caller: Caller | None = None
    cursor: Any = None
    # A public idempotent create's service calls keep_answer(cur, organization_id, result) in
    # the transaction that creates, so the key commits with what it created.
    keep_answer: Callable[[Any, Any, Any], None] | None = None

    # Read from the request when first asked: most requests (every GET) never need them.
    @cached_property
    def headers(self) -> dict:
        return dict(self.request.headers)

    @cached_property
    def source_address(self) -> str | None:
        return source_address(self.request)

    @property
    def user_agent(self) -> str | None:
        """The browser as it names itself, cut short: shown in the user's list of sessions."""
        return (self.headers.get("user-agent") or "")[:300] or None

    @property
    def actor(self) -> Actor:
        caller = self.caller
        return Actor(organization_id=caller.organization_id, user_id=caller.user_id,
                     source_address=self.source_address, request_id=self.request_id,
                     user_agent=self.user_agent)


def source_address(req: func.HttpRequest) -> str | None:
    """The client's address as the last proxy saw it: the last X-Forwarded-For hop, the one
    Azure's front end appends (earlier hops are whatever the client claimed)."""
    forwarded = (req.headers.get("x-forwarded-for") or "").split(",")[-1].strip()
    bracketed = re.match(r"^\[([^\]]+)\](?::\d+)?$", forwarded)  # "[2001:db8::1]:51234"
    if bracketed:
        forwarded = bracketed[1]
    elif forwarded.count(":") == 1:  # "203.0.113.7:51234"
        forwarded = forwarded.split(":")[0]
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return None


def _parse(model, data, location: str):
    try:
        if location == "body":
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        if location == "path":  # a malformed id names nothing that exists
            raise NotFound("Nothing exists at this address.") from None
        if location == "body" and any(e["type"] == "json_invalid" for e in exc.errors()):
            raise BadRequest("The request body is not valid JSON.") from None
        raise Unprocessable("Some fields are missing or invalid.",
                            errors=validation_errors(exc, location)) from None


def _inputs(req: func.HttpRequest, spec: EndpointSpec, ctx: Context) -> None:
    if spec.path:
        ctx.path = _parse(spec.path, dict(req.route_params), "path")
    if spec.query:
        ctx.query = _parse(spec.query, dict(req.params), "query")
    if spec.body or spec.raw_body:
        body = req.get_body() or b""
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES // 1024} KB.")
        if spec.raw_body:
            ctx.raw_body = body
            return
        if not body.strip():
            raise BadRequest("This request needs a JSON body.")
        ctx.body = _parse(spec.body, body, "body")


def _respond(result, spec: EndpointSpec, request_id: str) -> func.HttpResponse:
    headers = {"X-Request-Id": request_id, "Cache-Control": "no-store"}
    if isinstance(result, func.HttpResponse):
        for name, value in headers.items():
            if name not in result.headers:
                result.headers[name] = value
        return result
    if result is None:
        return func.HttpResponse(status_code=204 if spec.status == 200 else spec.status,
                                 headers=headers)
    body = result.model_dump_json() if isinstance(result, BaseModel) else result
    return func.HttpResponse(body, status_code=spec.status, headers=headers,
                             mimetype=spec.content_type)


def endpoint(*, summary: str, tag: str, role: Role | None = Role.viewer,
             path: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             body: type[BaseModel] | None = None, response: type | None = None,
             status: int = 200, errors: tuple[int, ...] = (),
             content_type: str = "application/json",
             raw_body: tuple[str, ...] = (), when_closed: bool = False,
             idempotent: bool = False) -> Callable:
    """Wrap a handler `(ctx: Context) -> model | None` as an Azure Functions HTTP function.

    role=None makes the endpoint public: no session is read and no transaction is opened, so
    its service opens the transaction it needs (signup, sign-in). A closed organization's writes
    are refused (409) unless the endpoint says when_closed=True. idempotent=True marks a
    create that takes an Idempotency-Key."""
    if response not in (None, dict) and not (isinstance(response, type)
                                             and issubclass(response, BaseModel)):
        raise TypeError(f"response must be a pydantic model, not {response!r}: lists go in one")
    spec = EndpointSpec(summary=summary, role=role, path=path, query=query, body=body,
                        response=response, status=status, tag=tag, errors=errors,
                        content_type=content_type, raw_body=raw_body, when_closed=when_closed,
                        idempotent=idempotent)

    def decorate(handler: Callable[[Context], Any]) -> Callable:
        # A fresh function with the signature the Functions worker indexes: one `req` binding.
        def function(req: func.HttpRequest) -> func.HttpResponse:
            return _handle(req, handler, spec)

        function.__name__ = handler.__name__
        function.__qualname__ = handler.__qualname__
        function.__module__ = handler.__module__
        function.__doc__ = handler.__doc__
        function.endpoint_spec = spec
        return function

    return decorate


def new_request_id() -> str:
    """32 random hex digits, the form uuid4().hex had, without building a UUID to get them."""
    return secrets.token_hex(16)


def _handle(req: func.HttpRequest, handler, spec: EndpointSpec) -> func.HttpResponse:
    started = time.perf_counter()
    ctx = Context(request_id=new_request_id(), request=req)
    try:
        if spec.role is None:
            _inputs(req, spec, ctx)
            response = _public(req, handler, spec, ctx)
        else:
            token = bearer_token(req.headers.get("authorization"))
            organization_id = claimed_organization(token)
            # The session lookup travels with the transaction's settings: one round trip.
            with db.tenant_transaction(organization_id,
                                       then=caller_lookup(organization_id, token)) as cur:
                ctx.caller = caller_of(cur, organization_id=organization_id, row=cur.fetchone())
                require_role(ctx.caller, spec.role)
                if req.method not in READS and not spec.when_closed:
                    require_open(ctx.caller)
                _inputs(req, spec, ctx)
                ctx.cursor = cur
                key = _idempotency_key(req, handler, spec, ctx)
                replay = key and idempotency.replay_or_hold(cur, ctx.caller.organization_id, key)
                if replay:
                    response = _respond(replay, spec, ctx.request_id)
                else:
                    response = _respond(handler(ctx), spec, ctx.request_id)
                    if key:
                        idempotency.remember(cur, ctx.caller.organization_id, key, response)
    except Exception as exc:  # the one place where any failure becomes a response
        response = problem_response(exc, ctx.request_id)
    if log.isEnabledFor(logging.INFO):  # its arguments (the URL parsed) cost even when unwritten
        log.info("%s %s -> %s in %.1f ms request_id=%s organization_id=%s",
                 req.method, _route_of(req), response.status_code,
                 (time.perf_counter() - started) * 1000, ctx.request_id,
                 ctx.caller.organization_id if ctx.caller else "-")
    return response


def _idempotency_key(req, handler, spec: EndpointSpec, ctx: Context):
    if not spec.idempotent or req.headers.get(idempotency.HEADER.lower()) is None:
        return None  # without a key there is no request to fingerprint: the body is not dumped
    body = ctx.body.model_dump_json().encode() if ctx.body is not None else ctx.raw_body
    return idempotency.key_of(req, operation=handler.__name__, body=body,
                              anonymous=spec.role is None)


def _public(req: func.HttpRequest, handler, spec: EndpointSpec, ctx: Context):
    """A public endpoint; for an idempotent one, the stored answer when its key was used."""
    key = _idempotency_key(req, handler, spec, ctx)
    replay = key and idempotency.replay_anonymous(key)
    if replay:
        return _respond(replay, spec, ctx.request_id)
    kept = []
    if key:
        def keep_answer(cur, organization_id, result) -> None:
            idempotency.remember(cur, organization_id, key, _respond(result, spec, ctx.request_id))
            kept.append(organization_id)
        ctx.keep_answer = keep_answer
    try:
        result = handler(ctx)
    except Exception:
        # A concurrent request with this key may have won (its signup took the subdomain this
        # one wanted): then its answer is this one's too.
        replay = key and idempotency.replay_anonymous(key)
        if not replay:
            raise
        return _respond(replay, spec, ctx.request_id)
    if key and not kept:
        raise RuntimeError(f"{handler.__name__} is idempotent but never called keep_answer")
    return _respond(result, spec, ctx.request_id)


def _route_of(req: func.HttpRequest) -> str:
    """The path without its query string: query values never reach a log line."""
    return urlsplit(req.url or "").path
