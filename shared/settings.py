"""The settings every function reads, loaded once from the environment.

In Azure they are app settings (secrets as Key Vault references); locally the local host sets
them. `local.settings.example.json` documents each one.
"""
from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.key_vault import require_resolved


# How long past its statement_timeout the client still waits for the server's own answer (the
# timeout error, or the result) before it counts the connection as dead.
ANSWER_MARGIN_SECONDS = 1.0


def _key_bytes(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
    except (binascii.Error, ValueError):
        return b""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    db_host: str = "127.0.0.1"
    db_port: int = 5432
    db_name: str = "snf"
    db_user: str = "snf_app"
    db_password: str | None = None
    # Azure: the password is a Microsoft Entra access token of the function app's identity.
    db_entra_auth: bool = False
    db_sslmode: str = "prefer"
    db_connect_timeout_seconds: int = Field(default=5, ge=2, le=60)
    db_statement_timeout_ms: int = Field(default=10_000, ge=100)
    # The server ends a session left idle inside a transaction this long (a worker that froze
    # or vanished), freeing its locks; above the longest outside call made in a transaction.
    db_idle_in_transaction_timeout_ms: int = Field(default=60_000, ge=1000)
    # A peer that stops answering (network gone, not refused) is given up within this: TCP
    # keepalives and tcp_user_timeout on every connection.
    db_network_timeout_seconds: int = Field(default=10, ge=2, le=300)
    db_pool_max: int = Field(default=10, ge=1, le=100)
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    # How many argon2 hashes run at once (each holds 19 MiB); unset, shared.hashing sizes it
    # from the instance's memory and cores. Callers over it wait this long, then get 503.
    password_hash_concurrency: int | None = Field(default=None, ge=1, le=256)
    password_hash_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    # Signups per source address in a 15-minute window (each creates an organization).
    signup_limit_per_address: int = Field(default=10, ge=1, le=10_000)
    trial_days: int = Field(default=14, ge=1)
    # A data export's build per timer run: at most this many rows, in chunks of this many (each
    # a transaction); 10,000 admissions' rows take about 2-4 s on a busy two-core machine.
    data_export_run_rows: int = Field(default=10_000, ge=1)
    data_export_chunk_rows: int = Field(default=2_000, ge=1)
    # Links in e-mails point here (the static web app in Azure).
    public_base_url: str = "http://127.0.0.1:7071"
    # "file" writes .eml files (local); "acs" sends through Azure Communication Services.
    email_sender: str = Field(default="file", pattern="^(file|acs)$")
    email_file_dir: str = ".local/mail"
    acs_endpoint: str | None = None
    email_from: str = "no-reply@snf-admissions.example"
    # Stripe billing; without the key, the webhook secret and both prices, the billing
    # endpoints answer 503 "billing is not configured" and everything else works.
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_price_starter: str | None = None
    stripe_price_professional: str | None = None
    # Where the Stripe API is: Stripe's own unless pointed at the local fake (local/stripe_fake.py).
    stripe_api_base: str | None = None
    stripe_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    # Seals the TOTP secrets of two-factor sign-in (AES-256-GCM): 32 random bytes, URL-safe
    # base64. A Key Vault secret in Azure; make run generates one into .local/. Without it,
    # enrolling answers 503 (a secret is never kept unsealed).
    totp_encryption_key: str | None = None

    @field_validator("totp_encryption_key")
    @classmethod
    def _a_256_bit_key(cls, value: str | None) -> str | None:
        if value is not None and len(_key_bytes(value)) != 32:
            raise ValueError("must be 32 bytes in URL-safe base64")
        return value

    @property
    def totp_key(self) -> bytes | None:
        return _key_bytes(self.totp_encryption_key) if self.totp_encryption_key else None

    @property
    def db_deadline_seconds(self) -> float:
        """The longest a request waits on a database that does not answer before its 503: a
        pool slot, then a dropped connection replaced by a new one, then the statement's
        answer (shared.db enforces each wait)."""
        return (2 * self.db_connect_timeout_seconds
                + self.db_statement_timeout_ms / 1000 + ANSWER_MARGIN_SECONDS)

    @property
    def billing_configured(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret
                    and self.stripe_price_starter and self.stripe_price_professional)

    @property
    def stripe_prices(self) -> dict[str, str]:
        """Tier -> Stripe price id, for the tiers bought through Checkout."""
        return {tier: price for tier, price in (("starter", self.stripe_price_starter),
                                                ("professional", self.stripe_price_professional))
                if price}


ENVIRONMENT_NAMES = {name: name.upper() for name in Settings.model_fields}


def load_settings(environ=os.environ) -> Settings:
    """Build the settings from environment variables (upper-case field names). Any variable,
    read here or elsewhere (the Stripe keys), that is an unresolved Key Vault reference is an
    error naming it."""
    require_resolved(environ)
    values = {field: environ[env] for field, env in ENVIRONMENT_NAMES.items() if environ.get(env)}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{ENVIRONMENT_NAMES[str(e['loc'][0])]}: {e['msg']}" for e in exc.errors())
        raise RuntimeError(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
