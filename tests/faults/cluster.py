"""A throwaway PostgreSQL cluster for the fault tests, on a free port in a temporary directory,
that the test may restart, stop, start and crash at will: the binaries of pgserver (pinned in
requirements-dev.txt), run as pgserver's system user when the tests run as root (PostgreSQL
refuses root)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

SYSTEM_USER = "pgserver"  # the user pgserver itself runs PostgreSQL as under root


def _bin() -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="snf-faults-"))
        self.data = self.root / "data"
        self._user = None
        if os.geteuid() == 0:
            from pgserver.utils import ensure_user_exists
            entry = ensure_user_exists(SYSTEM_USER)
            self._user = SYSTEM_USER
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=utf8", "--no-sync")

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([str(_bin() / program), *args], check=True, user=self._user,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
                   " -c fsync=off -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-t", "30", "-o", options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill_backend(self, pid: int) -> None:
        """kill -9 of one backend: the postmaster ends every other backend and recovers."""
        os.kill(pid, signal.SIGKILL)

    def wait_until_gone(self, pids: list[int], timeout: float = 30) -> None:
        """Until these server processes have exited."""
        deadline = time.monotonic() + timeout
        while any(Path(f"/proc/{pid}").exists() for pid in pids):
            if time.monotonic() > deadline:
                raise TimeoutError(f"backends still running: {pids}")
            time.sleep(0.05)

    def wait_until_ready(self, timeout: float = 30) -> None:
        """Until the server takes connections again (after a crash, its recovery)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(self.admin_dsn, connect_timeout=2).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def remove(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.root, ignore_errors=True)
