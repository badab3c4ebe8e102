"""python -m load: the mixed workload of load.workload against the local host in a process of
its own, on a throwaway database, for a fixed time; then throughput, latency percentiles,
errors, the most database connections the host held and its peak memory. Written to
BENCHMARKS.md.

    python -m load                  # 60 s, 8 simulated users (make load)
    python -m load --seconds 20 --users 4
LOAD_SECONDS and LOAD_USERS do what the options do (make load takes no arguments)."""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local.processes import stop_process
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    seconds: float
    users: int
    requests: int
    by_operation: dict[str, tuple[int, float, float, float]]  # count, p50, p95, p99 (ms)
    all_ms: tuple[float, float, float]
    errors: list[str]
    peak_connections: int
    pool_size: int
    peak_memory_mib: float
    start_memory_mib: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    if len(samples) < 2:
        value = samples[0] * 1000 if samples else 0.0
        return value, value, value
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mib(pid: int, field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _start_host(target, port: int) -> subprocess.Popen:
    env = {**os.environ, **target.function_settings(), "PYTHONPATH": str(ROOT)}
    host = subprocess.Popen([sys.executable, "-m", "load.host", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                if r.status == 200:
                    return host
        except OSError:
            if host.poll() is not None:
                raise RuntimeError(f"the host exited with {host.returncode}")
            time.sleep(0.2)
    host.kill()
    raise RuntimeError("the host did not answer /api/health within 60 s")


def _sample_connections(target, stop: threading.Event, peaks: list[int]) -> None:
    """The most connections the host's role held at once, sampled every 50 ms."""
    import psycopg2
    from psycopg2.extensions import make_dsn
    conn = psycopg2.connect(make_dsn(target.admin_dsn, dbname=target.database))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            while not stop.wait(0.05):
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s",
                            (target.app_role,))
                peaks.append(cur.fetchone()[0])
    finally:
        conn.close()


def run(seconds: float, users: int) -> tuple[Result, str]:
    from bench.database import throwaway_database
    from bench.organization import configure
    from bench.report import postgres_version
    from load.workload import Tally, client
    from local.router import Router
    from function_app import app
    from shared.settings import get_settings

    with throwaway_database() as (target, where):
        org = configure(Router(app), name="Load Care", subdomain="load-care", facilities=3,
                        payer_types=("medicare_a", "medicaid", "managed_medicaid", "commercial"))
        from shared import db
        db.close_pool()  # the set-up's connections are not the host's: count only the host's
        port = _free_port()
        host = _start_host(target, port)
        try:
            start_memory = _memory_mib(host.pid, "VmRSS")
            stop, peaks = threading.Event(), [0]
            sampler = threading.Thread(target=_sample_connections, args=(target, stop, peaks))
            sampler.start()
            tally = Tally()
            until = time.monotonic() + seconds
            started = time.perf_counter()
            workers = [threading.Thread(target=client, args=(port, org, until, tally, seed))
                       for seed in range(users)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            elapsed = time.perf_counter() - started
            stop.set()
            sampler.join()
            peak_memory = _memory_mib(host.pid, "VmHWM")
        finally:
            stop_process(host)
        everything = [s for samples in tally.latencies.values() for s in samples]
        result = Result(
            seconds=elapsed, users=users, requests=len(everything),
            by_operation={name: (len(samples), *percentiles(samples))
                          for name, samples in sorted(tally.latencies.items())},
            all_ms=percentiles(everything), errors=tally.errors,
            peak_connections=max(peaks), pool_size=get_settings().db_pool_max,
            peak_memory_mib=peak_memory, start_memory_mib=start_memory)
        return result, f"{postgres_version(target.admin_dsn)}, {where}"


def summary(result: Result) -> list[str]:
    p50, p95, p99 = result.all_ms
    lines = [
        f"{result.users} simulated users for {result.seconds:.0f} s on loopback: "
        f"{result.requests:,} requests, {result.throughput:.1f} requests/s; "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms",
        f"errors: {len(result.errors)}" + (f" (first: {result.errors[0]})" if result.errors else ""),
        f"database connections held by the host: at most {result.peak_connections} "
        f"(pool size {result.pool_size})",
        f"host memory: {result.start_memory_mib:.0f} MiB at the start, peak "
        f"{result.peak_memory_mib:.0f} MiB",
    ]
    for name, (count, q50, q95, q99) in result.by_operation.items():
        lines.append(f"{name}: {count:,} requests, p50 {q50:.1f} ms, p95 {q95:.1f} ms, "
                     f"p99 {q99:.1f} ms")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("LOAD_SECONDS", 60)))
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", 8)))
    parser.add_argument("--no-report", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    result, where = run(args.seconds, args.users)
    lines = summary(result)
    print("\n".join(lines))
    if not args.no_report:
        from bench.report import record
        record("load", "Load: a mixed workload on the local host",
               f"python -m load --seconds {args.seconds:g} --users {args.users}",
               [f"- {line}" for line in lines], where=where)
    held_too_many = result.peak_connections > result.pool_size
    return 1 if result.errors or held_too_many else 0


if __name__ == "__main__":
    sys.exit(main())
