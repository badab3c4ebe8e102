"""checkov's built-in Azure checks over infra/ (`checkov -d infra --framework bicep`), from the
virtual environment `make test` installs it in (.venv/checkov; requirements-infra.txt): no check
fails, and every suppression says why, next to the resource it suppresses."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.infra.bicep import INFRA, ROOT, bicep_files, parse

CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv" / "checkov" / "bin" / "checkov"))
# The Key Vault, App Service and Storage checks the platform notes name as the useful ones; each
# must have run and passed, or be suppressed with a reason. (CKV_AZURE_189, Key Vault public
# access, stops on the prod/dev conditional; tests/infra/test_policies.py checks prod instead.)
EXPECTED = {"CKV_AZURE_110", "CKV_AZURE_111", "CKV_AZURE_42", "CKV_AZURE_41", "CKV_AZURE_14",
            "CKV_AZURE_70", "CKV_AZURE_145", "CKV_AZURE_78", "CKV_AZURE_71", "CKV_AZURE_72",
            "CKV_AZURE_222", "CKV_AZURE_3", "CKV_AZURE_44", "CKV_AZURE_59", "CKV_AZURE_35",
            "CKV_AZURE_206"}


@pytest.fixture(scope="module")
def report() -> dict:
    assert CHECKOV.is_file(), f"{CHECKOV} is missing: `make test` installs it (requirements-infra.txt)"
    # --skip-download: no network calls for guidelines or policies; the built-in checks only.
    run = subprocess.run([str(CHECKOV), "-d", str(INFRA), "--framework", "bicep", "--skip-download",
                          "--output", "json"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "BC_SKIP_MAPPING": "TRUE"})
    assert run.stdout.strip(), run.stderr[-2000:]
    return json.loads(run.stdout)


def test_checkov_reads_every_template_without_a_parsing_error(report):
    assert report["summary"]["parsing_errors"] == 0
    blocks = sum(len(parse(p).get("resources") or {}) for p in bicep_files())
    assert report["summary"]["resource_count"] >= blocks


def test_no_checkov_check_fails(report):
    failed = [(r["check_id"], r["resource"], r["file_path"]) for r in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] >= 30


def test_every_suppression_is_justified(report):
    for skipped in report["results"]["skipped_checks"]:
        reason = (skipped["check_result"].get("suppress_comment") or "").strip()
        assert len(reason) >= 40, f"{skipped['check_id']} on {skipped['resource']}: {reason!r}"


def test_the_useful_azure_checks_all_ran(report):
    ran = {r["check_id"] for kind in ("passed_checks", "skipped_checks")
           for r in report["results"][kind]}
    assert EXPECTED <= ran, sorted(EXPECTED - ran)


def test_every_skip_comment_in_the_templates_gives_a_reason():
    for path in bicep_files():
        for check, reason in re.findall(r"checkov:skip=(CKV\w+)(?::(.*))?", path.read_text()):
            assert len(reason.strip()) >= 40, f"{path.name}: {check} without a reason"
