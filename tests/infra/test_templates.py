"""The shape of infra/ and azure.yaml: every template parses with the parser checkov uses, uses
only what it can read, composes local modules, names resources from abbreviations.json; the
parameter files fit main.bicep; `azd up` has what it needs."""
from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from tests.infra.bicep import INFRA, MAIN, ROOT, bicep_files, deployment, parameter_file, parse

PARAMETER_FILES = sorted(INFRA.glob("main.parameters*.json"))


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses(path):
    tree = parse(path)
    assert tree.get("resources") or tree.get("modules")


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_no_bicep_feature_the_checks_cannot_read(path):
    text = re.sub(r"//.*", "", path.read_text())
    assert not re.search(r"^\s*(import|type|func)\s", text, re.M), "imports, user-defined types or functions"
    assert "resourceInput<" not in text and "resourceOutput<" not in text
    assert not re.search(r"\b(string|int|bool|object)\[\]", text), "typed arrays"
    assert not re.search(r"'(br|ts)[:/]", text), "registry or template-spec modules"


def test_main_composes_one_local_module_per_concern():
    modules = parse(MAIN)["modules"]
    paths = [m["detail"]["path"] for m in modules.values()]
    assert all(m["type"] == "local" and p.startswith("app/") for m, p in zip(modules.values(), paths))
    assert len(set(paths)) == len(paths)
    assert {p.removeprefix("app/") for p in paths} == {p.name for p in (INFRA / "app").glob("*.bicep")}
    assert not parse(MAIN).get("resources"), "main.bicep only composes"


def test_resource_names_come_from_the_abbreviations_file():
    abbreviations = json.loads((INFRA / "abbreviations.json").read_text())
    used = set(re.findall(r"abbrs\.(\w+)", MAIN.read_text()))
    assert used and used <= set(abbreviations)
    prefixes = tuple(abbreviations.values())
    modules = deployment(parameter_file(INFRA / "main.parameters.prod.json")).module_params
    names = {f"{module}:{key}": value for module, params in modules.items()
             for key, value in params.items()
             if (key == "name" or key.endswith("Name")) and isinstance(value, str)
             and key not in ("databaseName", "dbName", "adminName", "skuName")}
    assert len(names) >= 12
    assert all(name.startswith(prefixes) for name in names.values()), names


@pytest.mark.parametrize("path", PARAMETER_FILES, ids=lambda p: p.name)
def test_each_parameter_file_gives_every_required_parameter_and_nothing_unknown(path):
    parameters = parse(MAIN)["parameters"]
    given = parameter_file(path)
    assert set(given) <= set(parameters)
    required = {name for name, spec in parameters.items() if "default" not in spec}
    assert required <= set(given)


@pytest.mark.parametrize("path", PARAMETER_FILES, ids=lambda p: p.name)
def test_no_parameter_file_holds_a_secret(path):
    secure = {name for name, spec in parse(MAIN)["parameters"].items()
              if any(d["type"] == "secure" for d in spec["decorators"])}
    assert secure == {"stripeSecretKey", "stripeWebhookSecret", "totpEncryptionKey"}
    for name, value in parameter_file(path).items():
        if name in secure:
            assert re.fullmatch(r"\$\{[A-Z_]+=?\}", value), f"{name} must come from azd's environment"


def test_the_dev_and_prod_files_set_their_environment_types():
    assert parameter_file(INFRA / "main.parameters.dev.json")["environmentType"] == "dev"
    prod = parameter_file(INFRA / "main.parameters.prod.json")
    assert prod["environmentType"] == "prod" and prod["zoneRedundantHa"] is True


def test_azds_parameter_file_takes_every_value_from_its_environment():
    for name, value in parameter_file(INFRA / "main.parameters.json").items():
        assert re.fullmatch(r"\$\{[A-Z_]+(=[A-Za-z]*)?\}", value), name


def test_azure_yaml_provisions_infra_and_deploys_the_function_app_and_the_web_app():
    spec = yaml.safe_load((ROOT / "azure.yaml").read_text())
    assert spec["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert spec["services"]["api"] == {"project": ".", "language": "python", "host": "function"}
    assert spec["services"]["web"]["host"] == "staticwebapp"
    assert (ROOT / spec["services"]["web"]["project"] / "index.html").is_file()
    # azd finds each service's resource by this tag.
    for tag in ("'azd-service-name': 'api'", "'azd-service-name': 'web'"):
        assert tag in (INFRA / "app" / "functions.bicep").read_text() + (INFRA / "app" / "web.bicep").read_text()


def test_the_post_provision_hook_runs_the_database_step():
    hooks = yaml.safe_load((ROOT / "azure.yaml").read_text())["hooks"]["postprovision"]
    script = ROOT / hooks["posix"]["run"]
    assert script.is_file() and os.access(script, os.X_OK)
    assert "-m deploy.database" in script.read_text()
    assert "-m deploy.database" in (ROOT / hooks["windows"]["run"]).read_text()
    outputs = parse(MAIN)["outputs"]
    assert {"DB_HOST", "DB_NAME", "DB_APP_ROLE"} <= set(outputs)  # what deploy.database reads


def test_the_function_package_leaves_out_what_the_functions_do_not_run():
    ignored = (ROOT / ".funcignore").read_text().split()
    assert {"tests/", "infra/", "web/", ".venv/", "deploy/", "local.settings*.json"} <= set(ignored)
    assert not {"shared/", "functions/", "migrations/", "function_app.py"} & set(ignored)
