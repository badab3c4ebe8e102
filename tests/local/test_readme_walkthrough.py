"""The README's walkthrough runs as written: its shell blocks, in order, in one bash, against a
fresh `python -m local serve --stripe-fake` (what `make run STRIPE=fake` runs) with its data in a
temporary SNF_LOCAL_DIR and on a free PORT, the two variables the blocks read.

The blocks are not edited. The shell only gets instruments: `curl` records each response's
status on stderr, and an ERR trap records each command that fails. A response of 4xx or 5xx is
an error unless the README's line for it says that status (`# 402`); a failing command is an
error unless its line says it is refused."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from local.processes import stop_process
from tests.local.test_make_run import free_port

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = ("## Try it with curl", "## Layout")
START_TIMEOUT_S = 180
RUN_TIMEOUT_S = 600

# Instruments only: a record of each HTTP status (a block's own -w replaces it, and keeps its
# output as the block wrote it) and of each failing command.
PRELUDE = r"""
set -o pipefail
curl() { command curl -w '%{stderr}HTTP %{http_code} %{method} %{url_effective}\n' "$@"; }
trap 'echo "FAILED $? $BASH_COMMAND" >&2' ERR
"""


def walkthrough_blocks(text: str) -> list[str]:
    """The ```sh blocks of the README's walkthrough section, in order."""
    start, end = text.index(SECTION[0]), text.index(SECTION[1])
    return re.findall(r"^```sh\n(.*?)^```$", text[start:end], flags=re.S | re.M)


def script_of(blocks: list[str]) -> str:
    parts = [PRELUDE]
    for number, block in enumerate(blocks, 1):
        # A newline first: curl's output ends without one.
        parts.append(f'printf "\\n=== block {number}\\n" | tee /dev/stderr\n{block}')
    return "\n".join(parts)


def split_by_block(output: str) -> dict[int, str]:
    pieces = re.split(r"^=== block (\d+)\n", output, flags=re.M)
    return {int(n): text for n, text in zip(pieces[1::2], pieces[2::2])}


def readme_lines_saying(text: str, words: str) -> list[str]:
    return [line for line in text.splitlines() if words in line]


def environment(local_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DB_", "STRIPE_", "MAKE", "MFLAGS"))}
    for name in ("DATABASE_URL", "EMAIL_FILE_DIR", "PUBLIC_BASE_URL"):
        env.pop(name, None)
    env.update(SNF_LOCAL_DIR=str(local_dir), PORT=str(port), STRIPE_FAKE_PORT="0",
               PYTHONUNBUFFERED="1")
    return env


@pytest.fixture
def local_dir():
    """Outside pytest's tmp_path: another pytest run on the machine resets that tree to 0700,
    and the embedded PostgreSQL runs as its own system user, which must reach its data."""
    path = Path(tempfile.mkdtemp(prefix="snf-readme-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def local_host(local_dir):
    """A fresh `make run STRIPE=fake`: its own embedded PostgreSQL under local_dir."""
    port = free_port()
    env = environment(local_dir, port)
    process = subprocess.Popen([sys.executable, "-m", "local", "serve", "--stripe-fake"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    started = []
    for line in process.stdout:
        started.append(line)
        if line.startswith("Serving http://127.0.0.1:"):
            break
        if time.monotonic() > deadline:
            break
    else:
        pytest.fail("the local host ended before serving:\n" + "".join(started))
    if not started[-1].startswith("Serving"):
        process.kill()
        pytest.fail("the local host did not start:\n" + "".join(started))
    try:
        yield env, port
    finally:
        stop_process(process, signal.SIGINT, grace_seconds=60)


def test_the_readme_walkthrough_runs_as_written_in_order(local_host):
    env, port = local_host
    text = README.read_text()
    blocks = walkthrough_blocks(text)
    assert len(blocks) >= 6, "the walkthrough's blocks were not found in the README"

    ran = subprocess.run(["bash", "-c", script_of(blocks)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    stdout, stderr = split_by_block(ran.stdout), split_by_block(ran.stderr)
    report = f"stdout:\n{ran.stdout[-6000:]}\nstderr:\n{ran.stderr[-6000:]}"
    assert "Traceback" not in ran.stdout + ran.stderr, report

    statuses = re.findall(r"^HTTP (\d{3}) (\S+) (\S+)$", ran.stderr, flags=re.M)
    unexpected = [s for s in statuses if int(s[0]) >= 400 and s[0] not in ("402", "409")]
    assert not unexpected, f"error responses: {unexpected}\n{report}"
    # The README marks the refusals it shows: the trial's second facility (402), a facility in a
    # closed organization (409).
    facilities = f"http://127.0.0.1:{port}/api/facilities"
    for status in ("402", "409"):
        expected = len(readme_lines_saying("\n".join(blocks), f"# {status}"))
        assert [s for s in statuses if s[0] == status] == [(status, "POST", facilities)] * expected

    failed = re.findall(r"^FAILED (\d+) (.*)$", ran.stderr, flags=re.M)
    refused = readme_lines_saying(text, "refused")
    for _, command in failed:
        assert any(command.strip() in line for line in refused), f"{command!r} failed\n{report}"
    assert len(failed) == len([line for line in refused if line.startswith("make ")]), report

    # What each block is for happened, read from what it printed.
    demo, invitation, evaluation, first_referral, billing, accounts, operator = (
        stdout[n] for n in range(1, 8))
    assert '"subdomain":"demo"' in demo and '"name":"Elm Street Care Center"' in demo, report
    assert '"current_census":110' in demo, report
    assert '"available":true' in invitation and '"role":"coordinator"' in invitation, report
    assert invitation.count('"token":') == 2, report  # accepted, then signed in
    # The e-mail's link leads to this host, on the PORT it serves.
    mails = [m.read_text() for m in (Path(env["SNF_LOCAL_DIR"]) / "mail").glob("*.eml")]
    assert any(f"http://127.0.0.1:{port}/#accept-invitation=" in m for m in mails), mails
    assert '"recommendation": "accept' in evaluation and '"status":"accepted"' in evaluation, report
    calls = [line for line in stderr[3].splitlines() if line.startswith("HTTP ")]
    assert calls[-1].startswith("HTTP 204 POST") and calls[-1].endswith("/api/auth/logout")
    assert '"method": "pdpm"' in first_referral and '"wage_index": "0.9512"' in first_referral
    assert '"status":"declined"' in first_referral and '"status":"pending"' in first_referral
    assert '"action": "admission.reopen"' in first_referral, report
    assert first_referral.rstrip().splitlines()[-2].startswith("case_number,"), report
    assert '"tier": "professional"' in billing and re.search(r"\b30\d -> http", billing), report
    assert '"browser": "curl"' in accounts, report  # the sessions, as curl signed in
    assert "manifest.json" in accounts and "facilities.csv" in accounts, report
    assert '"reason":"closed"' in accounts and '"state":"trialing"' in accounts, report
    assert "lakeside: Enterprise, active" in operator, report
    assert "harborview: Professional, active, suspended" in operator, report
    assert "pays a Stripe subscription" in stderr[7], report
    assert "Only a trial can be extended" in stderr[7], report
