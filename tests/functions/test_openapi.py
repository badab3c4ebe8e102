"""The OpenAPI document describes every registered route, its inputs and its errors."""
from __future__ import annotations

import re

import pytest

from shared.routing import http_functions, route_prefix
from tests.factories import new_client

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def document(database, app):
    response = new_client(app).get("/api/openapi.json")
    assert response.status == 200, response.body
    assert response.mimetype == "application/json"
    return response.json()


def documented_path(route: str) -> str:
    """/api/facilities/{id} for the route template facilities/{id:guid}; {*path} -> {path}."""
    route = re.sub(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)[^}]*\}", r"{\1}", route)
    return f"/{route_prefix()}/{route}".rstrip("/") if route else f"/{route_prefix()}/"


def is_catch_all(registered) -> bool:
    return "{*" in registered.route


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(document, ref: str):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def refs_in(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def contracted(app):
    """Each registered HTTP function with a declared contract, with its documented path."""
    return [(r, documented_path(r.route)) for r in http_functions(app) if r.spec is not None]


def test_the_document_is_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    assert document["paths"]
    assert all(path.startswith("/") for path in document["paths"])
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                                   "scheme": "bearer"}
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "request_id"}
    for path, method, operation in operations(document):
        assert operation["responses"], (path, method)
        for status, response in operation["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d", status), (path, method, status)
            assert response["description"], (path, method, status)


def test_every_registered_route_is_documented_with_each_of_its_methods(app, document):
    registered = http_functions(app)
    assert len(registered) >= 9

    for function in registered:
        path = documented_path(function.route)
        assert path in document["paths"], f"{function.name}: {path} is not documented"
        for method in function.methods:
            assert method.lower() in document["paths"][path], (
                f"{function.name}: {method} {path} is not documented")


def test_the_core_endpoints_are_documented(document):
    expected = {("/api/health", "get"), ("/api/openapi.json", "get"), ("/api/signup", "post"),
                ("/api/auth/login", "post"), ("/api/auth/logout", "post"), ("/api/me", "get"),
                ("/api/facilities", "get"), ("/api/facilities", "post"),
                ("/api/facilities/{id}", "get"), ("/api/facilities/{id}", "patch"),
                ("/api/facilities/{id}", "delete")}

    documented = {(path, method) for path, method, _ in operations(document)}

    assert expected <= documented


def test_every_request_body_refers_to_its_model_schema(app, document):
    with_body = [(r, path) for r, path in contracted(app) if r.spec.body is not None]
    assert len(with_body) >= 4

    for registered, path in with_body:
        for method in registered.methods:
            operation = document["paths"][path][method.lower()]
            body = operation["requestBody"]
            assert body["required"] is True
            ref = body["content"]["application/json"]["schema"]["$ref"]
            schema = resolve(document, ref)
            model = registered.spec.body
            fields = {f.alias or name: f for name, f in model.model_fields.items()}
            assert set(schema["properties"]) == set(fields), registered.name
            required = {name for name, f in fields.items() if f.is_required()}
            assert set(schema.get("required", [])) == required, registered.name


def test_operations_without_a_body_have_no_request_body(app, document):
    for registered, path in contracted(app):
        if registered.spec.body is None and not registered.spec.raw_body:
            for method in registered.methods:
                assert "requestBody" not in document["paths"][path][method.lower()]


def test_a_raw_body_is_documented_with_its_media_types(app, document):
    raw = [(r, path) for r, path in contracted(app) if r.spec.raw_body]
    assert raw, "the logo upload takes a raw body"
    for registered, path in raw:
        for method in registered.methods:
            content = document["paths"][path][method.lower()]["requestBody"]["content"]
            assert set(content) == set(registered.spec.raw_body)


def test_every_operation_declares_its_success_and_error_responses(app, document):
    for registered, path in contracted(app):
        if is_catch_all(registered):
            continue  # see test_the_catch_all_is_documented_as_what_it_does
        spec = registered.spec
        expected_errors = set(spec.errors) | {503}
        if spec.role is not None:
            expected_errors |= {401, 403}
        if spec.body is not None:
            expected_errors |= {400, 413, 422}
        if spec.raw_body:
            expected_errors |= {413}
        if spec.query is not None:
            expected_errors |= {422}
        if spec.path is not None:
            expected_errors |= {404}
        if spec.role is not None and not spec.when_closed and set(registered.methods) - {
                "GET", "HEAD", "OPTIONS"}:
            expected_errors |= {409}  # a closed organization refuses the write
        for method in registered.methods:
            responses = document["paths"][path][method.lower()]["responses"]
            success = ("204" if spec.response is None and spec.status == 200
                       and spec.content_type == "application/json" else str(spec.status))
            assert success in responses, (registered.name, success)
            for status in expected_errors:
                problem = responses.get(str(status))
                assert problem is not None, f"{registered.name} does not declare {status}"
                schema = problem["content"]["application/problem+json"]["schema"]
                model = "PaymentProblem" if status == 402 else "Problem"
                assert resolve(document, schema["$ref"]) is document["components"]["schemas"][
                    model]


def test_a_402_is_documented_with_what_the_plan_allows(document):
    payment = document["components"]["schemas"]["PaymentProblem"]
    assert payment["allOf"][0] == {"$ref": "#/components/schemas/Problem"}
    assert set(payment["allOf"][1]["required"]) == {"tier", "plan", "state", "billing_url"}
    assert {"resource", "limit", "usage", "reason"} <= set(payment["allOf"][1]["properties"])
    creates = [("/api/facilities", "post"), ("/api/invitations", "post"),
               ("/api/admissions", "post"), ("/api/invitations/accept", "post"),
               ("/api/users/{id}", "patch")]
    for path, method in creates:
        assert "402" in document["paths"][path][method]["responses"], (path, method)


def test_authenticated_operations_require_the_bearer_scheme_and_public_ones_do_not(app,
                                                                                   document):
    for registered, path in contracted(app):
        for method in registered.methods:
            operation = document["paths"][path][method.lower()]
            if registered.spec.role is None:
                assert operation["security"] == [], registered.name
            else:
                assert operation["security"] == [{"bearer": []}], registered.name
                assert registered.spec.role.value in operation["description"]


def test_path_and_query_parameters_match_the_models(app, document):
    for registered, path in contracted(app):
        if is_catch_all(registered):
            continue  # see test_the_catch_all_is_documented_as_what_it_does
        in_template = set(re.findall(r"\{([^}]+)\}", path))
        spec = registered.spec
        for method in registered.methods:
            parameters = document["paths"][path][method.lower()]["parameters"]
            declared_path = {p["name"] for p in parameters if p["in"] == "path"}
            declared_query = {p["name"] for p in parameters if p["in"] == "query"}
            assert declared_path == in_template, registered.name
            assert all(p["required"] for p in parameters if p["in"] == "path")
            expected_query = ({f.alias or name for name, f in spec.query.model_fields.items()}
                              if spec.query else set())
            assert declared_query == expected_query, registered.name


def test_every_ref_in_the_document_resolves(document):
    refs = set(refs_in(document))
    assert "#/components/schemas/Problem" in refs
    assert len(refs) > 5

    for ref in refs:
        resolve(document, ref)


def test_operation_ids_are_unique_apart_from_the_catch_all(app, document):
    catch_all = {documented_path(r.route) for r in http_functions(app) if is_catch_all(r)}
    ids = [operation["operationId"] for path, _, operation in operations(document)
           if path not in catch_all]

    assert len(ids) == len(set(ids))


def test_the_catch_all_is_documented_as_what_it_does(app, document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids)), "operationIds must be unique (OpenAPI 3.1, 4.8.10.1)"
    for registered in http_functions(app):
        if not is_catch_all(registered):
            continue
        path = documented_path(registered.route)
        for method in registered.methods:
            operation = document["paths"][path][method.lower()]
            names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"\{([^}]+)\}", path))
            assert "404" in operation["responses"]
            assert "204" not in operation["responses"]


def test_every_idempotent_create_documents_the_key_its_refusals_and_the_replay(app, document):
    idempotent = [(r, path) for r, path in contracted(app) if r.spec.idempotent]
    assert len(idempotent) >= 10, "every create takes an Idempotency-Key"

    for registered, path in contracted(app):
        for method in registered.methods:
            operation = document["paths"][path][method.lower()]
            headers = [p for p in operation["parameters"] if p["in"] == "header"]
            if not registered.spec.idempotent:
                assert headers == [], registered.name
                continue
            assert [(p["name"], p["required"]) for p in headers] == [
                ("Idempotency-Key", False)], registered.name
            schema = headers[0]["schema"]
            assert (schema["minLength"], schema["maxLength"]) == (1, 255)
            assert re.fullmatch(schema["pattern"], "0b6c3f2e-7a51-4c1e-9d8e-2f3a4b5c6d7e")
            assert not re.fullmatch(schema["pattern"], "with space")
            assert {"400", "409", "422"} <= set(operation["responses"]), registered.name
            success = operation["responses"][str(registered.spec.status)]
            assert set(success["headers"]) == {"Idempotent-Replayed"}, registered.name


def test_a_csv_export_is_documented_as_the_csv_it_answers(app, document):
    exports = [(r, path) for r, path in contracted(app) if r.spec.content_type == "text/csv"]
    assert exports
    for registered, path in exports:
        responses = document["paths"][path]["get"]["responses"]
        assert "204" not in responses
        assert set(responses["200"]["content"]) == {"text/csv"}


def _body_schemas(document):
    for path, method, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "$ref" in content.get("application/json", {}).get("schema", {}):
            yield path, method, resolve(document, content["application/json"]["schema"]["$ref"])


def _nullable(prop: dict) -> bool:
    return prop.get("type") == "null" or {"type": "null"} in prop.get("anyOf", [])


def test_a_field_that_refuses_null_is_not_nullable_and_one_that_takes_it_is(client, org,
                                                                            document):
    schemas = document["components"]["schemas"]
    facility = schemas["FacilityUpdate"]["properties"]
    assert not _nullable(facility["name"]) and not _nullable(facility["wage_index"])
    assert _nullable(facility["state"])  # null clears the state
    cost_model = schemas["CostModelUpdate"]["properties"]
    lines = {"pt_cost_per_day_at_cmi_1", "ot_cost_per_day_at_cmi_1", "slp_cost_per_day_at_cmi_1",
             "labs_cost_per_day", "imaging_cost_per_day", "supplies_cost_per_day",
             "transport_cost_per_stay"}  # null takes an optional line out
    assert {name for name, p in cost_model.items() if _nullable(p)} == lines
    assert _nullable(schemas["OrganizationUpdate"]["properties"]["primary_color"])
    made = client.post("/api/facilities", token=org.token,
                       json={"name": "Nullable", "bed_count": 10, "state": "OH"}).json()
    cleared = client.patch(f"/api/facilities/{made['id']}", token=org.token,
                           json={"state": None})
    assert cleared.status == 200 and cleared.json()["state"] is None
    assert client.patch(f"/api/facilities/{made['id']}", token=org.token,
                        json={"name": None}).status == 422


def test_decimals_say_what_their_string_form_looks_like(document):
    found = 0
    for path, method, schema in _body_schemas(document):
        for name, prop in schema["properties"].items():
            options = prop.get("anyOf", [])
            if options and options[0].get("type") == "number":
                assert options[1]["type"] == "string" and options[1]["pattern"], (path, name)
                assert prop["x-rule"], (path, name)
                found += 1
    assert found >= 10


def test_free_text_says_it_takes_no_control_characters(document):
    name = document["components"]["schemas"]["PayerCreate"]["properties"]["name"]
    assert re.fullmatch(name["pattern"], "Anthem Commercial")
    assert not re.fullmatch(name["pattern"], "Anthem\x00")
    assert not re.fullmatch(name["pattern"], "   ")


def test_rules_beyond_the_schema_are_listed_on_the_422(document):
    create_rate = document["paths"]["/api/rates"]["post"]["responses"]["422"]
    assert {"fiscal_year", "per_diem", "effective_to", "facility_id"} <= set(
        create_rate["x-rules"])
    assert "fiscal_year" in create_rate["description"]
    for path, method, operation in operations(document):
        if method == "get" and any(p["name"] == "cursor" for p in operation["parameters"]):
            assert "cursor" in operation["responses"]["422"]["x-rules"], path


def test_every_json_body_may_be_answered_413(document):
    with_body = [(path, method, op) for path, method, op in operations(document)
                 if "requestBody" in op]
    assert len(with_body) >= 20
    for path, method, operation in with_body:
        assert "413" in operation["responses"], (path, method)
