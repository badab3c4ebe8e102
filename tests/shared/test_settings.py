"""Every setting the functions read is documented in local.settings.example.json."""
import json
from pathlib import Path

from shared.settings import ENVIRONMENT_NAMES

EXAMPLE = Path(__file__).resolve().parents[2] / "local.settings.example.json"


def test_the_example_settings_name_and_explain_every_setting():
    example = json.loads(EXAMPLE.read_text())
    names = set(ENVIRONMENT_NAMES.values())
    assert names <= set(example["Values"])
    assert names <= set(example["_comments"])
    assert all(example["_comments"][name].strip() for name in names)


def test_the_example_settings_name_nothing_the_functions_do_not_read():
    example = json.loads(EXAMPLE.read_text())
    host_settings = {"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"}
    assert set(example["Values"]) - host_settings == set(ENVIRONMENT_NAMES.values())
