"""What a cold start pays for: importing function_app loads azure.functions, the index of the
functions and the code that registers them, nothing else; a function's first call imports its
own blueprint module and what that needs, not the other blueprints."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Beyond what `import azure.functions` loads (the floor of any function app).
AT_START_UP = ["function_app", "functions", "functions.index", "shared", "shared.key_vault",
               "shared.routing"]


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_start_up_imports_only_azure_functions_and_the_index():
    loaded = _run("import json, sys, azure.functions; before = set(sys.modules); "
                  "import function_app; print(json.dumps(sorted(set(sys.modules) - before)))")
    assert loaded == AT_START_UP, (
        "start-up imports more than the index: import what a function needs in its blueprint "
        "module (functions/<module>.py), which its first call imports")


def test_the_first_call_of_a_function_imports_its_blueprint_and_no_other():
    loaded = _run("""
import json, sys
import azure.functions as func
import function_app
from shared.routing import registered
catch_all = next(f for f in registered(function_app.app) if f.name == "not_found")
answer = catch_all.function(func.HttpRequest(method="GET", url="http://localhost/api/nothing",
                                             headers={}, route_params={"path": "nothing"},
                                             body=b""))
print(json.dumps({"status": answer.status_code,
                  "blueprints": sorted(m for m in sys.modules if m.startswith("functions."))}))
""")
    assert loaded == {"status": 404, "blueprints": ["functions.index", "functions.meta"]}


def test_first_calls_in_several_threads_at_once_each_get_their_answer():
    """The worker runs functions in a thread pool: first requests at once import their modules
    one after the other (the OpenAPI document imports every blueprint), and none fails."""
    answers = _run("""
import json
from concurrent.futures import ThreadPoolExecutor
import azure.functions as func
import function_app
from shared.routing import registered
functions = {f.name: f.function for f in registered(function_app.app)}
def call(name):
    path = "nothing" if name == "not_found" else "openapi.json"
    return functions[name](func.HttpRequest(method="GET", url="http://localhost/api/" + path,
                                            headers={}, route_params={"path": path}, body=b""))
with ThreadPoolExecutor(8) as pool:
    answers = list(pool.map(call, ["openapi", "not_found"] * 4))
print(json.dumps(sorted(a.status_code for a in answers)))
""")
    assert answers == [200] * 4 + [404] * 4
