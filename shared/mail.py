"""Delivering one e-mail: to files locally, through Azure Communication Services in Azure."""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from shared.settings import Settings

log = logging.getLogger(__name__)
ACS_SCOPE = "https://communication.azure.com/.default"
ACS_API_VERSION = "2023-03-31"


class SendError(Exception):
    """The e-mail was not accepted; the outbox retries it later unless it is permanent (the
    service refused this e-mail itself: retrying cannot help)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    id: str
    to: str
    subject: str
    text: str
    html: str
    first_attempt_at: datetime | None = None


class FileSender:
    """Writes each e-mail as an .eml file: what `make run` does instead of sending."""

    def __init__(self, settings: Settings):
        self.directory = Path(settings.email_file_dir)
        self.sender = settings.email_from

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = format_datetime(datetime.now(timezone.utc))
        email["Message-ID"] = f"<{message.id}@snf-admissions.local>"
        email.set_content(message.text)
        email.add_alternative(message.html, subtype="html")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{message.id}.eml"
        path.write_bytes(bytes(email))
        log.info("e-mail %s written to %s", message.id, path)


class AcsSender:
    """Azure Communication Services Email, authenticated with the function app's managed
    identity. The outbox id is the repeatability id, so a retry is never a second e-mail."""

    def __init__(self, settings: Settings, credential=None, timeout: float = 10):
        if not settings.acs_endpoint:
            raise RuntimeError("ACS_ENDPOINT is required when EMAIL_SENDER is acs")
        self.endpoint = settings.acs_endpoint.rstrip("/")
        self.sender = settings.email_from
        self.credential = credential
        self.timeout = timeout

    def _token(self) -> str:
        if self.credential is None:
            from azure.identity import DefaultAzureCredential  # heavy: only when sending
            self.credential = DefaultAzureCredential()
        return self.credential.get_token(ACS_SCOPE).token

    def send(self, message: Message) -> None:
        body = json.dumps({
            "senderAddress": self.sender,
            "recipients": {"to": [{"address": message.to}]},
            "content": {"subject": message.subject, "plainText": message.text,
                        "html": message.html},
        }).encode()
        request = urllib.request.Request(
            f"{self.endpoint}/emails:send?api-version={ACS_API_VERSION}", data=body,
            method="POST", headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self._token()}",
                # The same id and first-sent time on every retry: ACS sends it once.
                "repeatability-request-id": message.id,
                "repeatability-first-sent": format_datetime(
                    message.first_attempt_at or datetime.now(timezone.utc), True),
            })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if response.status != 202:
                    raise SendError(f"ACS answered {response.status}")
        except urllib.error.HTTPError as exc:
            # 4xx (but 408 and 429) refuse this e-mail as it is; 5xx and throttling pass.
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise SendError(f"ACS answered {exc.code}", permanent=permanent) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SendError(f"ACS unreachable: {type(exc).__name__}") from None


def sender_for(settings: Settings, credential=None):
    if settings.email_sender == "acs":
        return AcsSender(settings, credential)
    return FileSender(settings)
