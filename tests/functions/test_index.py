"""functions/index.py is what the blueprints of functions/ make it, and function_app registers
from it a proxy for each function, which the host indexes as the function itself (name,
trigger, bindings, parameter: checked by index_source) and which calls the real function."""
import json
from pathlib import Path

import azure.functions as func
from azure.functions.timer import TimerRequest

from function_app import app
from shared.routing import INDEX_PATH, blueprint_modules, index_source, real_function, registered

ROOT = Path(__file__).resolve().parents[2]


def test_the_index_is_what_the_blueprints_make_it():
    assert (ROOT / INDEX_PATH).read_text() == index_source(app.auth_level), (
        f"{INDEX_PATH} and the blueprints of functions/ disagree: run `make index` "
        "(python -m local index) and commit what it writes")


def test_every_blueprint_module_has_functions_in_the_index():
    from functions import index
    listed = {module for module, *_ in index.HTTP + index.TIMERS}
    assert listed == set(blueprint_modules())


def test_each_registered_function_is_a_proxy_of_its_blueprints_function():
    for function in registered(app):
        module = function.function.blueprint
        handler = real_function(module, function.name)
        assert function.handler is handler
        assert handler.__module__ == f"functions.{module}"
        assert function.function is not handler  # what the host calls is the proxy
        assert function.spec is getattr(handler, "endpoint_spec", None)


def test_a_proxy_answers_what_its_function_answers():
    catch_all = {f.name: f for f in registered(app)}["not_found"]
    request = func.HttpRequest(method="DELETE", url="http://localhost/api/facilities",
                               headers={}, route_params={"path": "facilities"}, body=b"")
    proxied, direct = catch_all.function(request), catch_all.handler(request)
    assert (proxied.status_code, proxied.headers["Allow"]) == (405, "GET, POST")
    assert (direct.status_code, direct.headers["Allow"]) == (405, "GET, POST")
    assert _without_request_id(proxied) == _without_request_id(direct)


def _without_request_id(response: func.HttpResponse) -> dict:
    return {k: v for k, v in json.loads(response.get_body()).items() if k != "request_id"}


def test_a_timer_proxy_runs_its_function(database):
    from shared.routing import timer_functions
    purge = {t.name: t for t in timer_functions(app)}["purge_old_records"]
    assert purge.function.__name__ == "purge_old_records"
    assert purge.function(TimerRequest(past_due=False)) is None
