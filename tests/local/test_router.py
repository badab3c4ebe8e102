"""local.router: resolve() finds what dispatch() calls, so a benchmark that resolves once and
then calls the function measures the same path as a request through the router."""
from __future__ import annotations

import json
import uuid

from local.router import Router


def test_resolve_finds_the_function_and_request_dispatch_calls(app):
    router = Router(app)
    facility_id = uuid.uuid4()
    url = f"/api/facilities/{facility_id}?unused=1"
    function, request = router.resolve("get", url, {"x-forwarded-for": "203.0.113.9"})
    assert function.__name__ == "get_facility"
    assert request.method == "GET" and request.route_params == {"id": str(facility_id)}
    assert request.params == {"unused": "1"} and request.url == "http://localhost" + url
    called = function(request)  # no session: refused before any query
    routed = router.dispatch("GET", url, {"x-forwarded-for": "203.0.113.9"})
    assert called.status_code == routed.status_code == 401
    assert _without_request_id(called) == _without_request_id(routed)


def _without_request_id(response) -> dict:
    problem = json.loads(response.get_body())
    return {k: v for k, v in problem.items() if "request" not in k and k != "instance"}


def test_resolve_finds_the_catch_all_or_nothing_for_a_method_no_function_takes(app):
    router = Router(app)
    function, _ = router.resolve("GET", "/api/no/such/thing")
    assert function.__name__ == "not_found"
    assert router.dispatch("GET", "/api/no/such/thing").status_code == 404
    assert router.resolve("TRACE", "/api/facilities") is None
    assert router.dispatch("TRACE", "/api/facilities").status_code == 405
