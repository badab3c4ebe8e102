"""Dispatch an HTTP request to the FunctionApp's registered functions as the Functions host does:
route prefix from host.json, route templates with literal segments before parameters before
catch-alls, methods, and azure.functions.HttpRequest in, HttpResponse out. The local host and the
tests both go through it, so both exercise exactly what Azure would call."""
from __future__ import annotations

from typing import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func

from shared.routing import RoutePattern, allowed_methods, http_functions, route_prefix

# What a function can be bound to (azure.functions.HttpMethod); TRACE and the like never reach
# one, so they get the catch-all's answer for a method an endpoint does not take.
FUNCTION_METHODS = {m.value for m in func.HttpMethod}


class Router:
    def __init__(self, app: func.FunctionApp):
        self.app = app
        self.prefix = "/" + route_prefix()
        routes = [(RoutePattern.parse(r.route), r) for r in http_functions(app)]
        self.routes = sorted(routes, key=lambda pair: pair[0].precedence)

    def handles(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def dispatch(self, method: str, url: str, headers: dict[str, str] | None = None,
                 body: bytes | None = None) -> func.HttpResponse:
        """Call the function that the host would call for this request."""
        resolved = self.resolve(method, url, headers, body)
        if resolved is not None:
            function, request = resolved
            return function(request)
        if method.upper() not in FUNCTION_METHODS:
            return self._unroutable(urlsplit(url).path[len(self.prefix):])
        return func.HttpResponse(status_code=404)  # the host's own answer; the catch-all precedes it

    def resolve(self, method: str, url: str, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> tuple[Callable, func.HttpRequest] | None:
        """The registered function the host would call for this request, and the HttpRequest
        the worker would hand it; None when no function takes the request. In Azure the host
        matches routes, not Python: a benchmark resolves once and times only the call."""
        parts = urlsplit(url)
        path = parts.path[len(self.prefix):]
        method = method.upper()
        if method not in FUNCTION_METHODS:
            return None
        for pattern, registered in self.routes:
            if method not in registered.methods:  # the cheaper test first: most routes fail it
                continue
            route_params = pattern.match(path)
            if route_params is None:
                continue
            route_params = {k: unquote(v) for k, v in route_params.items()}  # as ASP.NET does
            request = func.HttpRequest(
                method=method, url=url if parts.scheme else "http://localhost" + url,
                headers=headers or {}, params=dict(parse_qsl(parts.query, keep_blank_values=True)),
                route_params=route_params, body=body or b"")
            return registered.function, request
        return None

    def _unroutable(self, path: str) -> func.HttpResponse:
        from shared.endpoint import new_request_id
        from shared.errors import MethodNotAllowed, NotFound
        from shared.problems import problem_response
        allowed = allowed_methods(self.app, path.lstrip("/"))
        if not allowed:
            return problem_response(NotFound("There is no such endpoint. See /api/openapi.json."),
                                    new_request_id())
        return problem_response(MethodNotAllowed(
            f"This endpoint answers {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)}), new_request_id())
