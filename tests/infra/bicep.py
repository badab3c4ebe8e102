"""infra/*.bicep as a deployment would see it: parsed with pycep (the parser checkov uses), then
evaluated for one parameter file, through every module, so that a rule can say "in prod, the
database's password authentication is Disabled" and be checked on the value Azure would get.

Values only Azure knows (resource ids, outputs, uniqueString, the resource group's location)
evaluate to UNKNOWN; a rule that needs one of them fails rather than passes. pycep writes
identifiers and string literals alike as strings: a string that names something in scope is a
reference, any other is a literal.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@lru_cache(maxsize=None)
def parse(path: Path) -> dict:
    """pycep's JSON of one .bicep file."""
    return BicepParser().parse(file_path=path)


def parameter_file(path: Path) -> dict:
    """{name: value} of an ARM deployment parameter file."""
    return {name: spec["value"] for name, spec in json.loads(path.read_text())["parameters"].items()}


@dataclass
class Resource:
    symbol: str          # the symbolic name in its file
    type: str
    file: Path
    body: dict           # the evaluated body: name, properties, ...
    raw: dict            # the body as parsed (for `scope:` and `parent:` symbols)
    existing: bool = False


@dataclass
class Deployment:
    """Every resource one deployment of main.bicep creates, with the modules' parameters."""
    resources: list[Resource] = field(default_factory=list)
    module_params: dict[str, dict] = field(default_factory=dict)  # module file name -> params

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_ and not r.existing]

    def one(self, type_: str) -> Resource:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]


class Template:
    def __init__(self, path: Path, params: dict):
        self.path = path
        self.tree = parse(path)
        self.scope: dict = {}
        self.symbols = set(self.tree.get("resources") or {}) | set(self.tree.get("modules") or {})
        for name, spec in (self.tree.get("parameters") or {}).items():
            if name in params:
                self.scope[name] = params[name]
            elif "default" in spec:
                self.scope[name] = self.evaluate(spec["default"])
            else:
                raise AssertionError(f"{path.name}: no value for required parameter {name}")
        unknown = set(params) - set(self.tree.get("parameters") or {})
        assert not unknown, f"{path.name} has no parameter {sorted(unknown)}"
        for name, spec in (self.tree.get("variables") or {}).items():
            self.scope[name] = self.evaluate(spec["value"])

    # -- expressions -------------------------------------------------------------------------
    def evaluate(self, expr, local: dict | None = None):
        scope = {**self.scope, **(local or {})}
        return self._eval(expr, scope)

    def _eval(self, expr, scope):
        if isinstance(expr, str):
            if expr in scope:
                return scope[expr]
            if expr in self.symbols:
                return UNKNOWN
            if "${" in expr:
                return re.sub(r"\$\{([^}]*)\}", lambda m: self._interpolate(m[1], scope), expr)
            return expr
        if isinstance(expr, list):
            return [self._eval(item, scope) for item in expr]
        if isinstance(expr, dict):
            if set(expr) == {"operator"} and isinstance(expr["operator"], dict):
                return self._operator(expr["operator"], scope)
            if set(expr) == {"function"} and isinstance(expr["function"], dict):
                return self._function(expr["function"], scope)
            return {key: self._eval(value, scope) for key, value in expr.items()}
        return expr

    def _interpolate(self, inner: str, scope) -> str:
        value = self._path(inner.strip().split("."), scope)
        return "<?>" if value is UNKNOWN else str(value)

    def _path(self, parts: list[str], scope):
        if parts[0] not in scope:
            return UNKNOWN
        value = scope[parts[0]]
        for part in parts[1:]:
            value = value.get(part, UNKNOWN) if isinstance(value, dict) else UNKNOWN
        return value

    def _access(self, base, accessor, scope):
        if base is UNKNOWN:
            return UNKNOWN
        if isinstance(accessor, str):
            if not isinstance(base, dict):
                return UNKNOWN
            assert accessor in base, f"{self.path.name}: no property {accessor} in {sorted(base)}"
            return base[accessor]
        op = accessor["operator"]
        assert op["type"] == "property_accessor"
        return self._access(self._access(base, op["operands"]["operand_1"], scope),
                            op["operands"]["operand_2"], scope)

    def _operator(self, op, scope):
        kind, operands = op["type"], op["operands"]
        value = lambda key: self._eval(operands[key], scope)  # noqa: E731
        if kind == "property_accessor":
            return self._access(self._eval(operands["operand_1"], scope), operands["operand_2"], scope)
        if kind == "conditional":
            condition = value("condition")
            if condition is UNKNOWN:
                return UNKNOWN
            return value("true_value") if condition else value("false_value")
        if kind in ("equals", "not_equals"):
            assert not any(isinstance(o, dict) and o.get("operator", {}).get("type") == "conditional"
                           for o in operands.values()), (
                f"{self.path.name}: pycep reads `a == b ? x : y` as `a == (b ? x : y)`, unlike "
                "Bicep: put the comparison in a variable")
            a, b = value("operand_1"), value("operand_2")
            if UNKNOWN in (a, b):
                return UNKNOWN
            return (a == b) if kind == "equals" else (a != b)
        if kind == "not":
            inner_op = operands["bool_value"]
            assert not (isinstance(inner_op, dict) and inner_op.get("operator", {}).get("type") in ("and", "or")), (
                f"{self.path.name}: pycep reads `!a && b` as `!(a && b)`, unlike Bicep: "
                "name the negation in a variable")
            inner = value("bool_value")
            return UNKNOWN if inner is UNKNOWN else not inner
        if kind in ("and", "or"):
            values = [self._eval(v, scope) for v in operands.values()]
            if UNKNOWN in values:
                return UNKNOWN
            return all(values) if kind == "and" else any(values)
        return UNKNOWN

    def _function(self, fn, scope):
        kind, args = fn["type"], fn.get("parameters") or {}
        arg = lambda key: self._eval(args[key], scope)  # noqa: E731
        if fn.get("property_name"):
            return UNKNOWN
        if kind == "empty":
            item = arg("item_to_test")
            return UNKNOWN if item is UNKNOWN else not item
        if kind == "union":
            parts = [self._eval(v, scope) for v in args.values()]
            if any(not isinstance(p, dict) for p in parts):
                return UNKNOWN
            merged = {}
            for part in parts:
                merged.update(part)
            return merged
        if kind == "starts_with":
            text, prefix = arg("string_to_search"), arg("string_to_find")
            return UNKNOWN if UNKNOWN in (text, prefix) else text.startswith(prefix)
        if kind == "load_json_content":
            return json.loads((self.path.parent / args["file_path"]).read_text())
        return UNKNOWN

    # -- blocks ------------------------------------------------------------------------------
    def _expand(self, config):
        """[(local scope, body)] of a resource or module block: its loop and condition applied."""
        if "loop_type" in config:
            loop = config["loop_type"]
            assert loop["type"] == "array", f"{self.path.name}: only array loops are read"
            items = self.evaluate(loop["detail"]["array_name"])
            assert isinstance(items, list), f"{self.path.name}: loop over {items!r}"
            inner = config["config"]
            blocks = [({loop["detail"]["item_name"]: item}, inner) for item in items]
            if config.get("condition") is not None:
                blocks = [(local, body) for local, body in blocks
                          if self.evaluate(config["condition"], local) is not False]
            return blocks
        if "condition" in config and set(config) == {"condition", "config"}:
            condition = self.evaluate(config["condition"])
            return [] if condition is False else [({}, config["config"])]
        return [({}, config)]

    def deploy(self, into: Deployment) -> Deployment:
        for symbol, spec in (self.tree.get("resources") or {}).items():
            for local, body in self._expand(spec["config"]):
                into.resources.append(Resource(symbol, spec["type"], self.path,
                                               self.evaluate(body, local), body, spec["existing"]))
        for symbol, spec in (self.tree.get("modules") or {}).items():
            assert spec["type"] == "local", f"{self.path.name}: module {symbol} is not a local file"
            path = (self.path.parent / spec["detail"]["path"]).resolve()
            self.scope[symbol] = UNKNOWN  # not deployed, or a loop of modules
            for local, body in self._expand(spec["config"]):
                params = self.evaluate(body.get("params") or {}, local)
                into.module_params[path.name] = params
                module = Template(path, params)
                module.deploy(into)
                # Its outputs, for the modules after it (Bicep orders them by dependency; here
                # they are declared in that order).
                self.scope[symbol] = {"outputs": {name: module.evaluate(spec["value"])
                                                  for name, spec in (module.tree.get("outputs") or {}).items()}}
        return into


def deployment(params: dict) -> Deployment:
    """What main.bicep deploys with these parameters."""
    return Template(MAIN, params).deploy(Deployment())


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))
