"""Progress of a table's copy: rows done of the total, rows a second, and the time left. On a
terminal one line is redrawn as a bar; otherwise (a log, a pipe) a line per chunk."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass


@dataclass
class Step:
    table: str
    done: int
    total: int
    started: float          # perf_counter when this run began the table
    done_at_start: int      # rows already there from an earlier, interrupted run

    @property
    def rate(self) -> float:
        elapsed = time.perf_counter() - self.started
        return (self.done - self.done_at_start) / elapsed if elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 else None


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else \
        f"{minutes}:{secs:02d}"


class Printer:
    """The default progress callback of the command line."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def __call__(self, step: Step) -> None:
        pct = 100 * step.done / step.total if step.total else 100.0
        text = (f"{step.table:<17} {step.done:>11,}/{step.total:<11,} {pct:5.1f}%  "
                f"{step.rate:>9,.0f} rows/s  ETA {_clock(step.eta_seconds)}")
        if self.tty:
            filled = int(pct / 5)
            end = "\n" if step.done >= step.total else ""
            self.stream.write(f"\r[{'#' * filled}{'.' * (20 - filled)}] {text}{end}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
