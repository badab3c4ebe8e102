"""BENCHMARKS.md: each command writes its own section (`make bench` one per benchmark, `make
load`, `make fuzz`) between markers, stamped with the machine, its load and the command that
reproduces it; a run of one benchmark leaves the others' figures as they were."""
from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
HEADER = """# Benchmarks

Written by `make bench`, `make load` and `make fuzz`; each section says when and where it was
measured and the command that measures it again. Ratios are against a floor measured in the same
run (the same SQL through psycopg2 alone, a bare FunctionApp's import), so they hold across
machines better than the absolute times beside them.
"""
# Sections in the order they appear in the file, whichever command wrote them first.
ORDER = ("facilities_get", "cold_start", "admissions_create", "limit_check", "tenant_scale",
         "citus_tenant_scale", "legacy_move", "load", "fuzz")


def machine() -> str:
    """Cores, memory, CPU, Python and the load average now: what a figure depends on."""
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kib = next((int(line.split()[1]) for line in _lines("/proc/meminfo")
                       if line.startswith("MemTotal:")), 0)
    one, five, _ = os.getloadavg()
    return (f"{os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB, "
            f"Python {platform.python_version()}, load average {one:.1f} / {five:.1f} (1 / 5 min)")


def postgres_version(dsn: str) -> str:
    import psycopg2
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            return f"PostgreSQL {cur.fetchone()[0]}"
    finally:
        conn.close()


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _commit(root: Path | None = None) -> str:
    """HEAD, and whether the code measured differs from it (the report itself aside): a figure
    measured before its change was committed names the commit it was measured against."""
    root = root or REPORT.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=root, check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                  ".", f":(exclude){REPORT.name}"], capture_output=True,
                                 text=True, cwd=root, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} with uncommitted changes" if changed else head


def record(section: str, title: str, command: str, lines: list[str], *,
           where: str = "", report: Path = REPORT) -> None:
    """Replace (or add) this section of the report with these lines."""
    if section not in ORDER:
        raise ValueError(f"unknown report section {section!r}")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join([
        f"<!-- begin {section} -->",
        f"## {title}",
        "",
        f"Measured {stamp} at commit {_commit()} with `{command}`; {machine()}"
        + (f"; {where}" if where else "") + ".",
        "",
        *lines,
        f"<!-- end {section} -->",
    ])
    sections = _sections(report.read_text() if report.exists() else "")
    sections[section] = body
    text = HEADER + "".join(f"\n{sections[name]}\n" for name in ORDER if name in sections)
    report.write_text(text)


def _sections(text: str) -> dict[str, str]:
    pattern = re.compile(r"<!-- begin (\w+) -->.*?<!-- end \1 -->", re.S)
    return {match.group(1): match.group(0) for match in pattern.finditer(text)}
