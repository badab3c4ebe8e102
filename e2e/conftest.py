"""Browser tests of the web frontend against the real local host.

One `python -m local serve --stripe-fake` for the session, with its own embedded PostgreSQL and
demo organization in a temporary SNF_LOCAL_DIR, on a free port, and billing against the local
fake of Stripe (local/stripe_fake.py, on another free port); Chromium from the system
(/usr/bin/chromium) driven by Playwright. `make e2e` runs them; `make test` does not.

E2E_SCREENSHOTS=<dir> keeps a screenshot of each screen the tests pass through.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from local.processes import stop_process
from support import ROOT, Server
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 240  # the first start initializes a database cluster
FAILURE_DIR = Path(tempfile.gettempdir())

expect.set_options(timeout=15_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    local_dir = Path(tempfile.mkdtemp(prefix="snf-e2e-"))
    port = _free_port()
    env = {**os.environ, "SNF_LOCAL_DIR": str(local_dir), "PORT": str(port),
           "EMAIL_FILE_DIR": str(local_dir / "mail"),
           # Links in e-mails (and the logo's address) point at this server.
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "PYTHONUNBUFFERED": "1",
           # Billing against local/stripe_fake.py on a free port: checkout and portal work.
           "STRIPE_FAKE_PORT": "0",
           # Many tests sign up an organization of their own, all from 127.0.0.1.
           "SIGNUP_LIMIT_PER_ADDRESS": "1000",
           # The tests run each timer themselves: a scheduled run between two of a test's own
           # (the export builder at second 30) would do the work the test steps through.
           "LOCAL_TIMERS": "manual"}
    # Always the embedded PostgreSQL in the temporary directory: never a shared server's data.
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "local", "serve", "--stripe-fake"],
                               cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    output: list[str] = []
    serving = threading.Event()

    def drain():
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            if line.startswith("Serving "):
                serving.set()

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not serving.wait(0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("local serve did not start:\n" + "\n".join(output[-40:]))
    login = json.loads((local_dir / "demo-login.json").read_text())
    try:
        yield Server(base_url=f"http://127.0.0.1:{port}", local_dir=local_dir, env=env,
                     login=login, output=output)
    finally:
        stop_process(process, signal.SIGINT, grace_seconds=60)
        shutil.rmtree(local_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser, request):
    """Pages in fresh browser contexts (separate sessionStorage: separate people)."""
    contexts = []
    problems: list[str] = []

    def make(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: problems.append(f"console error: {message.text}")
                if message.type == "error" and "status of 4" not in message.text else None)
        return page

    yield make
    failed = getattr(request.node, "failed_call", False)
    for i, context in enumerate(contexts):
        if failed:
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(FAILURE_DIR / f"e2e-failed-{request.node.name}-{i}{j}.png"),
                                full_page=True)
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True
    return report


