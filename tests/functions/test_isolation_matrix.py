"""The isolation matrix, generated from the OpenAPI document: organization B's session on
organization A's ids answers exactly as for an id that exists nowhere, for every path with an
id and every method; and nothing of A shows in anything B reads (lists, exports, dashboard,
usage, searches by A's ids).

Nothing here names an endpoint: a new path is covered as soon as it is documented, and a new
path with an id fails until tests/world.py's PRODUCERS says which of A's objects fills it."""
from __future__ import annotations

import re
import uuid

import pytest

from shared.openapi import build
from tests.factories import new_client
from tests.world import PRODUCERS, World, make_world

# Path parameters that are not an object's id: the public subdomain lookups name an
# organization by its public subdomain, and the catch-all any unknown path.
NOT_IDS = {"subdomain", "path"}


@pytest.fixture(scope="module")
def two(database, app) -> tuple[World, World]:
    client = new_client(app)
    return make_world(client, "Isolated A"), make_world(client, "Isolated B")


@pytest.fixture(scope="module")
def document(app) -> dict:
    return build(app)


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def id_parameters(path: str) -> list[str]:
    return [name for name in re.findall(r"\{([^}]+)\}", path) if name not in NOT_IDS]


def minimal(document, schema):
    """The smallest value a schema takes: required properties only, first enum member."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        return minimal(document, schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: minimal(document, schema["properties"][name])
                for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    return {"uuid": str(uuid.uuid4()), "date": "2026-01-01",
            "date-time": "2026-01-01T00:00:00Z", "email": "someone@example.com"}.get(
        schema.get("format"), "x")


def body_of(document, operation) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return minimal(document, content["application/json"]["schema"])


def markers(a: World) -> set[str]:
    """What would betray A in an answer to B: its ids, subdomain, names, addresses."""
    ids = {str(a.org.id), a.owner_id, a.member.id, a.invitation["id"], a.place.id,
           a.place.cost_model["id"], *(p["id"] for p in a.place.payers.values()),
           *(r["id"] for r in a.place.rates.values()),
           *(adm["id"] for adm in a.admissions.values())}
    return ids | {a.org.subdomain, a.org.subdomain.upper(), a.place.facility["name"],
                  a.member.email, a.invitation["email"], a.org.email}


def test_every_path_with_an_id_has_a_producer(document):
    with_ids = {path for path, _, _ in operations(document) if id_parameters(path)}
    assert with_ids, "the document has paths with ids"
    missing = sorted(with_ids - set(PRODUCERS))
    assert not missing, f"register a producer in tests/world.py PRODUCERS for {missing}"


def _as_read(client, path: str, a: World) -> bytes | dict:
    """What A reads at the path: the body, or a problem without its request_id (an export
    still being prepared answers 409 to its owner too)."""
    response = client.get(path.replace("{id}", PRODUCERS[path](a)), token=a.token)
    if response.mimetype == "application/problem+json":
        return {k: v for k, v in response.json().items() if k != "request_id"}
    return response.body


def test_another_organizations_id_answers_as_a_missing_one(app, two, document):
    a, b = two
    client = new_client(app)
    before = {path: _as_read(client, path, a)
              for path in PRODUCERS if "get" in document["paths"].get(path, {})}
    checked = 0
    for path, method, operation in operations(document):
        names = id_parameters(path)
        if not names:
            continue
        assert path in PRODUCERS, f"no producer for {path}: add one to tests/world.py"
        assert names == ["id"], f"{path}: only one id parameter, named id, is produced"
        body = body_of(document, operation)
        answers = []
        for target in (PRODUCERS[path](a), str(uuid.uuid4())):
            response = client.request(method.upper(), path.replace("{id}", target),
                                      json=body, token=b.token)
            problem = (response.json().get("type")
                       if response.mimetype == "application/problem+json" else None)
            answers.append((response.status, problem))
        assert answers[0] == answers[1], (
            f"{method.upper()} {path}: A's id answers {answers[0]}, a missing id {answers[1]}")
        assert answers[0][0] in (404, 422), (method, path, answers[0])
        checked += 1
    assert checked >= len(PRODUCERS)
    after = {path: _as_read(client, path, a) for path in before}
    assert after == before, "B's requests changed A's objects"


def test_nothing_of_another_organization_shows_in_what_it_reads(app, two, document):
    a, b = two
    client = new_client(app)
    by_parameter = {"facility_id": a.place.id, "payer_id": a.place.payer_id("medicaid"),
                    "user_id": a.owner_id, "object_id": a.place.id,
                    "then_payer_id": a.place.payer_id("medicaid")}
    betraying = markers(a)
    read, seen_by_a = 0, 0
    for path, method, operation in operations(document):
        if method != "get" or re.search(r"\{[^}]+\}", path):
            continue
        queries = [""]
        searchable = [p["name"] for p in operation.get("parameters", [])
                      if p["in"] == "query" and p["name"] in by_parameter]
        queries += [f"?{name}={by_parameter[name]}" for name in searchable]
        for query in queries:
            response = client.get(path + query, token=b.token)
            assert response.status < 500, (path, query, response.status)
            text = (response.body or b"").decode(errors="replace")
            leaked = sorted(marker for marker in betraying if marker in text)
            assert not leaked, f"GET {path}{query} shows B {leaked}"
            read += 1
            own = (client.get(path + query, token=a.token).body or b"").decode(errors="replace")
            seen_by_a += any(marker in own for marker in betraying)
    # Lists, exports, the dashboard, usage, the audit log and searches by A's ids.
    assert read >= 20
    # The same reads as A do show A's markers: the check above can see a leak.
    assert seen_by_a >= 10, seen_by_a
    own = client.get("/api/facilities", token=b.token).json()["items"]
    assert [f["id"] for f in own] == [b.place.id], "B reads its own data"
