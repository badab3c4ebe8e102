"""Every setting the functions read is documented in local.settings.example.json."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_an_unresolved_key_vault_reference_fails_loudly_with_the_settings_name():
    from shared.settings import load_settings
    reference = "@Microsoft.KeyVault(SecretUri=https://kv-snf.vault.azure.net/secrets/stripe-secret-key/)"
    with pytest.raises(RuntimeError, match="STRIPE_SECRET_KEY") as raised:
        load_settings({"DB_HOST": "psql.example", "STRIPE_SECRET_KEY": reference,
                       "STRIPE_WEBHOOK_SECRET": "whsec_resolved"})
    assert "STRIPE_WEBHOOK_SECRET" not in str(raised.value)
    assert "https://kv-snf" not in str(raised.value)  # names the setting, not the vault


def test_every_unresolved_reference_is_named_at_once():
    from shared.key_vault import unresolved_references
    environ = {"DB_PASSWORD": "@Microsoft.KeyVault(VaultName=kv;SecretName=db)",
               "STRIPE_WEBHOOK_SECRET": "@Microsoft.KeyVault(SecretUri=https://kv/secrets/w/)",
               "PUBLIC_BASE_URL": "https://app.example.com"}
    assert unresolved_references(environ) == ["DB_PASSWORD", "STRIPE_WEBHOOK_SECRET"]


def test_the_function_app_refuses_to_start_with_an_unresolved_reference():
    root = EXAMPLE.parent
    environ = {**os.environ, "STRIPE_SECRET_KEY": "@Microsoft.KeyVault(SecretUri=https://kv/secrets/s/)"}
    started = subprocess.run([sys.executable, "-c", "import function_app"], cwd=root, env=environ,
                             capture_output=True, text=True)
    assert started.returncode != 0
    assert "unresolved Key Vault reference in STRIPE_SECRET_KEY" in started.stderr


def test_the_totp_key_must_be_32_bytes_of_url_safe_base64():
    import base64
    from shared.settings import load_settings
    key = base64.urlsafe_b64encode(bytes(range(32))).decode()
    assert load_settings({"TOTP_ENCRYPTION_KEY": key}).totp_key == bytes(range(32))
    assert load_settings({}).totp_key is None
    for bad in ("short", base64.urlsafe_b64encode(bytes(16)).decode(), "not base64 at all!"):
        with pytest.raises(RuntimeError, match="TOTP_ENCRYPTION_KEY"):
            load_settings({"TOTP_ENCRYPTION_KEY": bad})
