"""schemathesis against the app served in-process, every operation of the OpenAPI document, with
every check: no 5xx, no undocumented status, no response outside its schema, no schema-valid
request refused without a documented reason, no invalid one accepted.

Cases are sent as the owner of an organization with data in every resource (tests/world.py),
each with a fresh session, and half the schema-valid cases that name an object by id name one
of the organization's, so they reach the services' logic rather than a 404.

`make test` runs a short pass; `make fuzz` a long one (FUZZ_EXAMPLES examples per operation and
phase), and prints the number of cases."""
from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter

import pytest

from tests.factories import new_client
from tests.world import PRODUCERS, World, make_world, session_token

# The short pass (make test) is the same every run and leaves out the coverage phase (its
# boundary values and undeclared methods, most of a run's cases); make fuzz runs every phase
# and draws a new seed unless told.
LONG = "FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
SEED = int(os.environ.get("FUZZ_SEED") or (random.randrange(2**31) if LONG else 11))


@pytest.fixture(scope="module")
def host(database, app):
    from local.host import make_server
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def billing(host):
    """Billing pointed at the local fake of Stripe, so its operations reach their logic rather
    than "not configured" (a documented 503, but a 5xx all the same)."""
    from tests.doubles import faked_stripe
    with faked_stripe(f"{host}/api/stripe/webhook") as fake:
        yield fake


@pytest.fixture(scope="module")
def world(database, app) -> World:
    return make_world(new_client(app), "Fuzzed Org")


def _config(host: str):
    from schemathesis.config import SchemathesisConfig
    return SchemathesisConfig.from_dict({
        "base-url": host,
        "workers": 1,
        "seed": SEED,
        "cache": {"enabled": False},  # each run starts from the document, and writes nothing
        "generation": {"max-examples": EXAMPLES, "database": "none"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": LONG},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
        "checks": {"enabled": True},
    })


def test_schemathesis_finds_nothing(app, host, billing, world):
    import schemathesis
    from schemathesis import engine
    from schemathesis.engine import events

    from shared.openapi import build

    document = build(app)
    schema = schemathesis.openapi.from_dict(document, config=_config(host))
    cases: Counter = Counter()

    @schema.auth(refresh_interval=None)
    class FreshSession:
        """A new session for every case: a case that signs out ends only its own."""

        def get(self, case, context):
            return session_token(world)

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    def before_call(context, case, kwargs):
        produce = PRODUCERS.get(case.operation.path)
        positive = case.meta is None or case.meta.generation.mode.is_positive
        if produce and positive and _half(case.path_parameters.get("id")):
            case.path_parameters = {**case.path_parameters, "id": produce(world)}
        cases[f"{case.method} {case.operation.path}"] += 1

    failures, errors, excused = [], [], Counter()
    schemathesis.hook(before_call)
    try:
        run = list(engine.from_schema(schema).execute())
    finally:
        schemathesis.hooks.unregister(before_call)
    for event in run:
        if isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            errors.append(repr(event.exception))
        elif isinstance(event, events.ScenarioFinished):
            for label, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    reason = _documented_refusal(document, event.recorder, label, check)
                    if reason:
                        excused[reason] += 1
                    else:
                        failures.append(_describe(event.recorder, label, check))
    documented = {f"{method.upper()} {path}" for path, item in document["paths"].items()
                  for method in item}
    total = sum(cases.values())
    summary = (f"schemathesis: {total} cases over {len(documented & set(cases))} operations and "
               f"{len(set(cases) - documented)} undeclared methods ({EXAMPLES} examples per "
               f"operation and phase{'' if LONG else ', no coverage phase'}; seed {SEED}, "
               f"FUZZ_SEED replays it)")
    print("\n" + summary)
    if excused:
        print("refused for a documented rule: " + ", ".join(
            f"{reason} x{n}" for reason, n in excused.most_common()))
    assert not errors, "\n".join(errors)
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(sorted(set(failures)))
    assert documented <= set(cases), f"never called: {sorted(documented - set(cases))}"
    if LONG:  # make fuzz: a passing long run's case count goes into BENCHMARKS.md
        from bench.report import record
        record("fuzz", "Fuzzing the API (schemathesis, every operation, every check)",
               f"make fuzz FUZZ_EXAMPLES={EXAMPLES} FUZZ_SEED={SEED}",
               [f"- {summary}", "- failures: none (no 5xx, no undocumented status, no response "
                                "outside its schema, no schema-valid request refused without a "
                                "documented rule)"]
               + ([f"- refused for a documented rule: {sum(excused.values())} cases"]
                  if excused else []))


def _half(value) -> bool:
    try:
        return uuid.UUID(str(value)).int % 2 == 0
    except ValueError:
        return False


def _documented_refusal(document, recorder, label, check) -> str | None:
    """For a schema-valid request answered 422: the documented rule it broke ("POST /api/rates
    fiscal_year"), when every error it names is under a rule the document lists (the
    operation's x-rules, or a field's x-rule); None otherwise."""
    import json
    interaction = recorder.interactions.get(label)
    if check.name != "positive_data_acceptance" or interaction is None \
            or interaction.response.status_code not in (400, 422):
        return None
    case = recorder.cases[label].value
    operation = document["paths"][case.operation.path][case.method.lower()]
    top = operation["responses"].get(str(interaction.response.status_code), {}).get(
        "x-rules", {})
    body = (operation.get("requestBody", {}).get("content", {})
            .get("application/json", {}).get("schema"))
    named = []
    for error in json.loads(interaction.response.content).get("errors") or [{}]:
        field = str(error.get("field", ""))
        if field in top or (error.get("location") == "body" and body is not None
                            and _ruled(document, body, field.split("."))):
            named.append(field)
        else:
            return None
    return f"{case.method} {case.operation.path} " + ",".join(sorted(set(named)))


def _ruled(document, schema, path) -> bool:
    """Whether the document lists a rule for this field path under this schema."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if not path or path == [""]:
        return "x-rule" in schema
    if "x-rule" in schema or path[0] in schema.get("x-rules", {}):
        return True
    for option in schema.get("anyOf", []):
        if _ruled(document, option, path):
            return True
    child = schema.get("properties", {}).get(path[0])
    if child is None and isinstance(schema.get("additionalProperties"), dict):
        child = schema["additionalProperties"]
    return child is not None and _ruled(document, child, path[1:])


def _describe(recorder, label, check) -> str:
    case = recorder.cases[label].value
    interaction = recorder.interactions.get(label)
    response = interaction.response if interaction else None
    failure = check.failure_info.failure
    body = response.content[:400].decode(errors="replace") if response is not None else ""
    return (f"{case.method} {case.formatted_path} [{check.name}] {failure.title}: "
            f"{failure.message[:300]}\n  query={case.query} body={str(case.body)[:300]}\n"
            f"  -> {response.status_code if response is not None else '-'} {body}")
