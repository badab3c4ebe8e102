"""Moving a legacy deployment in: one million legacy admissions (and their audit trail, about
1.2 rows per admission) from a legacy database into the product's, with `python -m legacy`'s
own code, timed; then its verification (every check, a sample of 20 evaluated again), timed.

The legacy database is made on the same server (legacy/schema.sql, filled by the generator,
not timed) and dropped at the end; the product's is the benchmark's throwaway database, written
as its schema owner through row-level security, every index, check and foreign key in place.
The figures are for this machine as it is while the bench runs (other work shares its cores:
the load average is printed with them).

`--legacy-admissions N` or BENCH_LEGACY_ADMISSIONS=N moves N admissions instead."""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from legacy import generate
from legacy.migrate import Request, migrate
from legacy.progress import Printer
from legacy.verify import verify
from local.database import Provisioned, admin_execute

ADMISSIONS = 1_000_000
GOAL_SECONDS = 300


@dataclass
class Result:
    admissions: int
    rows: int                 # every row moved, all tables
    generate_seconds: float
    migrate_seconds: float
    admissions_seconds: float
    verify_seconds: float
    verified: bool

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.migrate_seconds


def admissions_wanted(argument: int | None = None) -> int:
    if argument is not None:
        return argument
    return int(os.environ.get("BENCH_LEGACY_ADMISSIONS", ADMISSIONS))



class _Timer:
    """The progress callback: prints as the command line does and notes when the admissions
    table starts and ends."""

    def __init__(self):
        self.printer = Printer()
        self.marks: dict[str, float] = {}

    def __call__(self, step) -> None:
        self.printer(step)
        if step.table == "admissions":
            self.marks.setdefault("start", time.perf_counter())
            if step.done >= step.total:
                self.marks["end"] = time.perf_counter()


def run(target: Provisioned, admissions: int) -> Result:
    name = f"snf_bench_legacy_{secrets.token_hex(4)}"
    admin_execute(target.admin_dsn, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    legacy_dsn = make_dsn(target.admin_dsn, dbname=name)
    try:
        started = time.perf_counter()
        conn = psycopg2.connect(legacy_dsn)
        try:
            with conn, conn.cursor() as cur:
                generate.create_schema(cur)
                counts = generate.fill(cur, generate.Volume(admissions=admissions,
                                                            hashes="fast"))
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
        finally:
            conn.close()
        generated = time.perf_counter() - started
        print(f"legacy database {name}: " + ", ".join(f"{t} {n:,}" for t, n in counts.items())
              + f" (generated in {generated:.0f} s, not timed)")

        timer = _Timer()
        started = time.perf_counter()
        outcome = migrate(Request(
            legacy_dsn=legacy_dsn, target_dsn=target.owner_dsn, name="Bench Legacy Care",
            subdomain="bench-legacy", tier="enterprise", owner_email="admin@legacy-snf.example",
            backup="bench: a throwaway database", operator="bench"), timer)
        moved = time.perf_counter() - started

        started = time.perf_counter()
        checks = verify(legacy_dsn, target.owner_dsn, "bench-legacy", sample=20, seed=1)
        verified = time.perf_counter() - started
        for check in checks:
            print(f"verify: {check.name}: {'passed' if check.passed else 'FAILED'}")
        return Result(admissions, sum(outcome.counts.values()), generated, moved,
                      timer.marks.get("end", 0) - timer.marks.get("start", 0), verified,
                      all(c.passed for c in checks))
    finally:
        admin_execute(target.admin_dsn, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
