"""Dispatch an HTTP request to the FunctionApp's registered functions as the Functions host does:
route prefix from host.json, route templates with literal segments before parameters before
catch-alls, methods, and azure.functions.HttpRequest in, HttpResponse out. The local host and the
tests both go through it, so both exercise exactly what Azure would call."""
from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func

from shared.routing import RoutePattern, http_functions, route_prefix


class Router:
    def __init__(self, app: func.FunctionApp):
        self.prefix = "/" + route_prefix()
        routes = [(RoutePattern.parse(r.route), r) for r in http_functions(app)]
        self.routes = sorted(routes, key=lambda pair: pair[0].precedence)

    def handles(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def dispatch(self, method: str, url: str, headers: dict[str, str] | None = None,
                 body: bytes | None = None) -> func.HttpResponse:
        """Call the function that the host would call for this request."""
        parts = urlsplit(url)
        path = parts.path[len(self.prefix):]
        method = method.upper()
        for pattern, registered in self.routes:
            route_params = pattern.match(path)
            if route_params is not None:  # the host decodes route values, as ASP.NET does
                route_params = {k: unquote(v) for k, v in route_params.items()}
            if route_params is None or method not in registered.methods:
                continue
            request = func.HttpRequest(
                method=method, url=url if parts.scheme else "http://localhost" + url,
                headers=headers or {}, params=dict(parse_qsl(parts.query)),
                route_params=route_params, body=body or b"")
            return registered.function(request)
        return func.HttpResponse(status_code=404)  # the host's own answer; the catch-all precedes it
