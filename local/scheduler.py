"""Runs the FunctionApp's timer functions on their NCRONTAB schedules, as the Functions host
does (six fields, UTC: second minute hour day month day-of-week)."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from azure.functions.timer import TimerRequest

log = logging.getLogger("snf.timers")
RANGES = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start, end = map(int, part.split("-"))
        else:
            start = end = int(part)
        # The host refuses such a schedule at start-up; so do we, rather than never firing.
        if not low <= start <= end <= high or step < 1:
            raise ValueError(f"{text!r} is outside {low}-{high} or not in order")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse(schedule: str) -> tuple[frozenset[int], ...]:
    fields = schedule.split()
    if len(fields) != 6:
        raise ValueError(f"not a six-field NCRONTAB schedule: {schedule!r}")
    return tuple(_field(f, low, high) for f, (low, high) in zip(fields, RANGES))


def due(schedule: tuple[frozenset[int], ...], at: datetime) -> bool:
    second, minute, hour, day, month, weekday = schedule
    return (at.second in second and at.minute in minute and at.hour in hour
            and at.day in day and at.month in month and (at.isoweekday() % 7) in weekday)


class Scheduler:
    """A thread that checks every second which timers are due and runs each in its own thread
    (a run never overlaps itself, as with the host's singleton lock)."""

    def __init__(self, timers):
        self.timers = [(t, parse(t.schedule)) for t in timers]
        self.stop = threading.Event()
        self.running: set[str] = set()

    def _run(self, timer) -> None:
        try:
            timer.function(TimerRequest(past_due=False))
        except Exception:
            log.exception("timer %s failed", timer.name)
        finally:
            self.running.discard(timer.name)

    def loop(self) -> None:
        last = None
        while not self.stop.wait(0.2):
            now = datetime.now(timezone.utc).replace(microsecond=0)
            if now == last:
                continue
            last = now
            for timer, schedule in self.timers:
                if due(schedule, now) and timer.name not in self.running:
                    self.running.add(timer.name)
                    threading.Thread(target=self._run, args=(timer,), daemon=True).start()

    def start(self) -> None:
        threading.Thread(target=self.loop, daemon=True, name="timers").start()
