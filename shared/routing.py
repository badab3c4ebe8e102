"""The FunctionApp's registered functions, indexed once: the local host routes requests by them,
the OpenAPI document describes them. (`get_functions()` may be called only once per app.)"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import azure.functions as func

_indexed: dict[int, list["Registered"]] = {}


@dataclass(frozen=True)
class Registered:
    name: str
    function: Callable
    route: str | None          # HTTP functions: the template after the route prefix
    methods: tuple[str, ...]
    auth_level: str | None
    schedule: str | None       # timer functions: the NCRONTAB schedule

    @property
    def spec(self):
        return getattr(self.function, "endpoint_spec", None)


def registered(app: func.FunctionApp) -> list[Registered]:
    """Every function of the app, HTTP and timer, in registration order."""
    if id(app) not in _indexed:
        found = []
        for function in app.get_functions():
            trigger = function.get_trigger()
            route = getattr(trigger, "route", None) if function.is_http_function() else None
            methods = tuple(str(getattr(m, "value", m)).upper()
                            for m in (getattr(trigger, "methods", None) or ()))
            level = getattr(trigger, "auth_level", None)
            found.append(Registered(
                name=function.get_function_name(), function=function.get_user_function(),
                route=route, methods=methods or (("GET", "POST") if route is not None else ()),
                auth_level=str(getattr(level, "value", level)) if level else None,
                schedule=getattr(trigger, "schedule", None)))
        _indexed[id(app)] = found
    return _indexed[id(app)]


def http_functions(app: func.FunctionApp) -> list[Registered]:
    return [r for r in registered(app) if r.route is not None]


def timer_functions(app: func.FunctionApp) -> list[Registered]:
    return [r for r in registered(app) if r.schedule is not None]


_SEGMENT = re.compile(r"^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\??\}$")
# The route constraints in use, as ASP.NET Core routing reads them: {id:guid} takes only a GUID,
# so admissions/compare is never admissions/{id:guid} with id "compare".
_CONSTRAINTS = {"guid": r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                        r"[0-9a-fA-F]{12}|\{[0-9a-fA-F-]{36}\}|\([0-9a-fA-F-]{36}\)"}


@dataclass(frozen=True)
class RoutePattern:
    """A route template as the Functions host (ASP.NET Core routing) matches it."""
    template: str
    regex: re.Pattern
    precedence: tuple  # lower sorts first: literal segments beat parameters beat catch-alls

    @classmethod
    def parse(cls, template: str) -> "RoutePattern":
        parts, precedence = [], []
        for segment in [s for s in template.strip("/").split("/") if s]:
            match = _SEGMENT.match(segment)
            if match is None:
                parts.append(re.escape(segment))
                precedence.append(0)
            elif match[1]:
                parts.append(f"(?P<{match[2]}>.*)")
                precedence.append(2)
            else:
                parts.append(f"(?P<{match[2]}>{_CONSTRAINTS.get(match[3], '[^/]+')})")
                precedence.append(1)
        regex = re.compile("^" + "/".join(parts) + "/?$", re.IGNORECASE)
        return cls(template, regex, tuple(precedence) + (0,) * (10 - len(precedence)))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.regex.match(path.strip("/"))
        return {k: v for k, v in found.groupdict().items()} if found else None


def route_prefix() -> str:
    """host.json's extensions.http.routePrefix, as the Functions host applies it."""
    import json
    from pathlib import Path

    host = json.loads((Path(__file__).resolve().parent.parent / "host.json").read_text())
    return host.get("extensions", {}).get("http", {}).get("routePrefix", "api").strip("/")


def allowed_methods(app: func.FunctionApp, path: str) -> list[str]:
    """The methods of the non-catch-all routes that match this path (for 405's Allow)."""
    matching = [(pattern, registered) for registered in http_functions(app)
                if "{*" not in registered.route
                and (pattern := RoutePattern.parse(registered.route)).match(path) is not None]
    if not matching:
        return []
    # admissions/compare is that endpoint's, not admissions/{id}'s with id "compare".
    best = min(pattern.precedence for pattern, _ in matching)
    return sorted({m for pattern, registered in matching if pattern.precedence == best
                   for m in registered.methods})
