"""The FunctionApp's functions: registered from functions/index.py without importing their
modules, and indexed once for the local host (which routes requests by them) and the OpenAPI
document (which describes them). (`get_functions()` may be called only once per app.)

At start-up function_app.py registers, for each function that the index lists, a proxy with the
same name, trigger and parameter: the Functions host indexes and routes exactly as it would the
real function, and only azure.functions is imported. The proxy's first call imports the real
function's module (functions/<module>.py), so a cold start pays for the blueprint its first
request uses, not for all of them. The index is generated from the blueprints (`make index`);
tests/functions/test_index.py fails when they disagree."""
from __future__ import annotations

import importlib
import re
import threading
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
    def handler(self) -> Callable:
        """The function that does the work: behind a proxy, the real one (its module imported
        now if it was not yet)."""
        module = getattr(self.function, "blueprint", None)
        return real_function(module, self.name) if module else self.function

    @property
    def spec(self):
        return getattr(self.handler, "endpoint_spec", None)


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


# --- Registering every function from the index, its module imported on first use -----------

_real: dict[tuple[str, str], Callable] = {}
# One blueprint import at a time: two first requests in two of the worker's threads would
# otherwise import overlapping modules at once, and one could see the other's half-done.
# (Re-entrant: a module that looked up another function while imported would not deadlock.)
_importing = threading.RLock()


def real_function(module: str, name: str) -> Callable:
    """The function `name` of functions/<module>.py, as its blueprint registered it."""
    found = _real.get((module, name))
    if found is None:
        with _importing:
            blueprint = importlib.import_module(f"functions.{module}")
            # The decorators leave the function's FunctionBuilder under its name.
            found = _real[(module, name)] = getattr(blueprint, name).build().get_user_function()
    return found


def _http_proxy(module: str, name: str) -> Callable:
    def proxy(req: func.HttpRequest) -> func.HttpResponse:
        return real_function(module, name)(req)
    return _named(proxy, module, name)


def _timer_proxy(module: str, name: str) -> Callable:
    def proxy(timer: func.TimerRequest) -> None:
        real_function(module, name)(timer)
    return _named(proxy, module, name)


def _named(proxy: Callable, module: str, name: str) -> Callable:
    proxy.__name__ = proxy.__qualname__ = name  # the function's name to the host
    proxy.blueprint = module
    return proxy


def register(app: func.FunctionApp, index) -> None:
    """Register a proxy for every function the index (functions/index.py) lists."""
    for module, name, methods, route, auth_level in index.HTTP:
        app.route(route=route, methods=methods, auth_level=auth_level)(_http_proxy(module, name))
    for module, name, schedule, run_on_startup, use_monitor in index.TIMERS:
        app.timer_trigger(arg_name="timer", schedule=schedule, run_on_startup=run_on_startup,
                          use_monitor=use_monitor)(_timer_proxy(module, name))


# --- The index, generated from the blueprints -----------------------------------------------

INDEX_PATH = "functions/index.py"
INDEX_HEADER = '''"""Every function of functions/, for function_app.py to register without importing its module
(shared/routing.py). Generated from the blueprints by `make index`: do not edit.
tests/functions/test_index.py fails while it and the blueprints disagree."""

# (module, function name, methods, route, auth level)
HTTP = (
'''


def blueprint_modules() -> list[str]:
    """Every module of functions/ but the index: each holds one blueprint, `bp`."""
    import pkgutil

    import functions
    return sorted(m.name for m in pkgutil.iter_modules(functions.__path__) if m.name != "index")


def blueprints_app(auth_level: func.AuthLevel) -> func.FunctionApp:
    """An app of the real blueprints, every module imported: what the index is made from."""
    app = func.FunctionApp(http_auth_level=auth_level)
    for module in blueprint_modules():
        app.register_functions(importlib.import_module(f"functions.{module}").bp)
    return app


def _described(functions: list) -> dict[str, dict]:
    """Each function's function.json by its name, as the Functions host indexes it."""
    import json
    return {f.get_function_name(): json.loads(f.get_function_json()) for f in functions}


def index_source(auth_level: func.AuthLevel) -> str:
    """functions/index.py as the blueprints make it, for an app of this default auth level.
    Raises ValueError when proxies registered from it would not be what the host indexes from
    the blueprints themselves (a trigger or an option the index does not carry)."""
    from types import SimpleNamespace

    http, timers, handlers = [], [], {}
    for function in blueprints_app(auth_level).get_functions():
        trigger, name = function.get_trigger(), function.get_function_name()
        handler = handlers[name] = function.get_user_function()
        module = handler.__module__.removeprefix("functions.")
        if trigger.get_binding_name() == "httpTrigger":
            methods = None if trigger.methods is None else tuple(m.name for m in trigger.methods)
            http.append((module, name, methods, trigger.route, trigger.auth_level.name))
        elif trigger.get_binding_name() == "timerTrigger":
            timers.append((module, name, trigger.schedule, trigger.run_on_startup,
                           trigger.use_monitor))
        else:
            raise ValueError(f"{name}: the index carries HTTP and timer functions only, not "
                             f"{trigger.get_binding_name()}: extend shared/routing.py")
    for module, name, *_ in http + timers:
        if real_function(module, name) is not handlers[name]:
            raise ValueError(f"{name} is not functions/{module}.py's attribute of that name")
    proxies = func.FunctionApp(http_auth_level=auth_level)
    register(proxies, SimpleNamespace(HTTP=http, TIMERS=timers))
    indexed = proxies.get_functions()
    if _described(indexed) != _described(blueprints_app(auth_level).get_functions()):
        raise ValueError("a proxy registered from the index differs from its function as the "
                         "blueprint registers it: extend shared/routing.py to carry it")
    for proxy in indexed:  # the worker binds parameters by name and annotation
        name = proxy.get_function_name()
        if _parameters(proxy.get_user_function()) != _parameters(handlers[name]):
            raise ValueError(f"{name} takes {_parameters(handlers[name])}, its proxy "
                             f"{_parameters(proxy.get_user_function())}: extend "
                             "shared/routing.py")
    return (INDEX_HEADER + "".join(f"    {row!r},\n" for row in http) + ")\n\n"
            "# (module, function name, NCRONTAB schedule, run on startup, use monitor)\n"
            "TIMERS = (\n" + "".join(f"    {row!r},\n" for row in timers) + ")\n")


def _parameters(function: Callable) -> tuple[list[str], dict]:
    import inspect
    import typing
    return list(inspect.signature(function).parameters), typing.get_type_hints(function)
