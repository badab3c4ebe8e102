"""What the browser tests share: the running server, its mail, signing in, screenshots."""
from __future__ import annotations

import email
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    base_url: str
    local_dir: Path
    env: dict
    login: dict
    output: list[str] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return Path(self.env["EMAIL_FILE_DIR"])

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        """Call the API directly (set-up that is not what a test is about)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + "/api" + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def owner_token(self) -> str:
        return self.api("POST", "/auth/login", self.login)["token"]

    def run_timer(self, name: str, **settings: str) -> None:
        """Run a timer function now, as its schedule would (`make timer NAME=...`), with these
        settings on top of the server's."""
        result = subprocess.run([sys.executable, "-m", "local", "timer", name], cwd=ROOT,
                                env={**self.env, **settings}, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    def send_outbox(self) -> None:
        """Send the e-mail outbox now, as the per-minute timer would."""
        self.run_timer("send_email_outbox")

    def link_in_mail(self, to: str, kind: str, timeout_s: float = 30) -> str:
        """The token of the newest `kind` link (accept-invitation, reset-password) e-mailed to `to`."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.send_outbox()
            found = []
            for path in sorted(self.mail_dir.glob("*.eml")) if self.mail_dir.exists() else []:
                message = email.message_from_bytes(path.read_bytes())
                if message["To"] != to:
                    continue
                for part in message.walk():
                    if part.get_content_type() == "text/plain":
                        text = part.get_payload(decode=True).decode()
                        match = re.search(rf"#{kind}=(\S+)", text)
                        if match:
                            found.append(match[1])
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no {kind} e-mail to {to} in {self.mail_dir}")
            time.sleep(1)


def shot(page: Page, name: str) -> None:
    """A screenshot of the screen when E2E_SCREENSHOTS names a directory."""
    directory = os.environ.get("E2E_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def compare_wound_vac_under_medicaid(page: Page):
    """Compare facilities for the demo's 21-day Medicaid wound-vac referral (one demo facility
    has the program; Medicaid pays under cost for it): the placements' list items."""
    form = page.locator("#evaluate-form")
    form.get_by_label("Payer").select_option(label="Ohio Medicaid")
    form.get_by_label("Expected stay").fill("21")
    form.get_by_label("Moderate").check()
    form.get_by_label("Wound vac (negative pressure wound therapy)").check()
    form.get_by_role("button", name="Compare facilities").click()
    return page.locator(".placements > li")


def sign_in(page: Page, server: Server, *, subdomain=None, email_=None, password=None) -> None:
    page.goto(server.base_url + "/")
    form = page.locator("#login-form")
    form.get_by_label("Organization subdomain").fill(subdomain or server.login["subdomain"])
    form.get_by_label("E-mail").fill(email_ or server.login["email"])
    form.get_by_label("Password", exact=True).fill(password or server.login["password"])
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in")).to_be_visible()
