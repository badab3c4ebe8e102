"""`make run`'s program end to end: an embedded PostgreSQL, migrations, the demo organization,
the HTTP host; Ctrl-C stops all of it; a second start finds the same data."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg2
import pytest
from psycopg2.extensions import make_dsn

from local.database import embedded_server

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(local_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
    env.pop("DATABASE_URL", None)
    env.update(SNF_LOCAL_DIR=str(local_dir), PORT=str(port), EMAIL_FILE_DIR=str(local_dir / "mail"))
    process = subprocess.Popen([sys.executable, "-m", "local", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    for line in process.stdout:
        if line.startswith("Serving http://127.0.0.1:"):
            return process
        if time.monotonic() > deadline:
            break
    process.kill()
    pytest.fail(f"the local host did not start: {process.stdout.read()}")


def stop_with_ctrl_c(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=30)


def postgres_running(data_dir: Path) -> bool:
    found = subprocess.run(["pgrep", "-f", f"postgres -D {data_dir}"], capture_output=True)
    return found.returncode == 0


def sign_in(port: int, login: dict) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/auth/login",
                                     data=json.dumps(login).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def local_dir():
    """The embedded PostgreSQL's home, outside pytest's /tmp/pytest-of-<user>: pgserver opens
    that folder to its postgres user, and any other pytest session starting meanwhile (other
    engineers', make mutate's) closes it to 0700 again, so initdb fails now and then."""
    made = Path(tempfile.mkdtemp(prefix="snf-make-run-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_make_run_serves_the_demo_stops_on_ctrl_c_and_keeps_its_data(local_dir):
    port = free_port()
    process = start(local_dir, port)
    try:
        login = json.loads((local_dir / "demo-login.json").read_text())
        session = sign_in(port, login)
        assert session["organization"]["subdomain"] == "demo"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/facilities",
                                         headers={"Authorization": f"Bearer {session['token']}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            facilities = json.loads(response.read())["items"]
        assert len(facilities) == 3  # the demo data
        assert postgres_running(local_dir / "pgdata")
    finally:
        code = stop_with_ctrl_c(process)
    assert code == 0
    time.sleep(1)
    assert not postgres_running(local_dir / "pgdata")

    process = start(local_dir, port)
    try:
        assert sign_in(port, login)["organization"]["subdomain"] == "demo"
    finally:
        assert stop_with_ctrl_c(process) == 0

    # The outbox timer, run by name, delivers the demo owner's welcome e-mail as a file.
    ran = run_local(local_dir, "timer", "send_email_outbox")
    assert ran.returncode == 0, ran.stdout
    welcome = [p.read_text() for p in (local_dir / "mail").glob("*.eml")]
    assert any("To: owner@demo.example" in m and "Subject: Welcome" in m for m in welcome)


def run_local(local_dir: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
    env.pop("DATABASE_URL", None)
    env.update(SNF_LOCAL_DIR=str(local_dir), EMAIL_FILE_DIR=str(local_dir / "mail"), **settings)
    return subprocess.run([sys.executable, "-m", "local", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_an_unknown_timer_name_lists_the_timers(tmp_path):
    ran = run_local(tmp_path, "timer", "no_such_timer")
    assert ran.returncode == 2
    assert "send_email_outbox" in ran.stderr and "purge_old_records" in ran.stderr


def test_the_database_database_url_names_is_the_one_used(local_dir):
    """Tester 8d: DATABASE_URL's database name was ignored, everything went to snf_local, so
    two checkouts on one server shared their data. The URL's database is used, created when
    missing; a URL naming the server's maintenance database (the README's example of a role
    that may create databases) keeps snf_local."""
    server = embedded_server(local_dir / "pgdata")
    try:
        def databases() -> set[str]:
            with psycopg2.connect(server.get_uri()) as conn, conn.cursor() as cur:
                cur.execute("SELECT datname FROM pg_database")
                return {row[0] for row in cur.fetchall()}

        ran = run_local(local_dir, "migrate",
                        DATABASE_URL=make_dsn(server.get_uri(), dbname="explore_db"))
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "database explore_db" in ran.stdout
        assert "explore_db" in databases() and "snf_local" not in databases()
        with psycopg2.connect(make_dsn(server.get_uri(), dbname="explore_db")) as conn, \
                conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM schema_migrations")
            assert cur.fetchone()[0] > 0

        ran = run_local(local_dir, "migrate", DATABASE_URL=server.get_uri())
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "database snf_local" in ran.stdout
        assert "snf_local" in databases()
    finally:
        server.cleanup()
