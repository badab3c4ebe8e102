"""Child processes the tools and tests start (the local host, a load driver's host)."""
from __future__ import annotations

import signal
import subprocess


def stop_process(process: subprocess.Popen, how: int = signal.SIGTERM, grace_seconds: float = 10) -> None:
    """Ask the process to end (`how`: SIGINT for `local serve`, which stops its timers and
    database on it), wait `grace_seconds`, then kill it; it has ended on return."""
    process.send_signal(how)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
