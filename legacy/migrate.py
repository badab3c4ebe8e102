"""The move: a legacy database into the product's as one new organization.

Order: preflight on the legacy database (nothing written if anything is wrong), the
organization and the import's record in one transaction, then each table of legacy.tables in
ranges of legacy ids (two at a time), each range one transaction that writes the rows and their
id mapping together. An interrupted run is resumed by running the same command again: only the
ranges not fully mapped are copied, and a row already mapped is dropped from its range before
the insert, so nothing is copied twice. The legacy connections are read-only; the product's
are its schema owner's, under row-level security like the functions'."""
from __future__ import annotations

import io
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import psycopg2
from psycopg2.extras import Json

from legacy import preflight
from legacy.connections import (IMPORT_SCOPE, ToolError, close, connect, describe,
                                find_organization, open_import, take_lock, transaction)
from legacy.progress import Step
from legacy.tables import LEGACY_NOTE, TABLES, ZERO_BREAKDOWN
from shared import subdomains
from shared.repositories import configuration_versions
from shared.settings import Settings

TIERS = ("trial", "starter", "professional", "enterprise")
CHUNK = 100_000
WORKERS = 2    # the large tables' ranges in parallel: COPY and the inserts are CPU-bound
TRIAL_DAYS = Settings.model_fields["trial_days"].default


@dataclass(frozen=True)
class Request:
    legacy_dsn: str
    target_dsn: str
    name: str
    subdomain: str
    tier: str
    owner_email: str
    backup: str            # the operator's statement of which backup exists
    operator: str
    chunk: int = CHUNK
    workers: int = WORKERS


@dataclass
class Outcome:
    organization_id: uuid.UUID
    resumed: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _check_request(request: Request) -> str:
    if not request.backup or len(request.backup.strip()) < 3:
        raise ToolError("Refusing to start without --backup-confirmed naming the backup of "
                        "the legacy database taken for this move (e.g. the pg_dump file).", 2)
    if request.tier not in TIERS:
        raise ToolError(f"--tier must be one of {', '.join(TIERS)}.", 2)
    if not 1 <= len(request.name.strip()) <= 120:
        raise ToolError("--name must be 1 to 120 characters.", 2)
    if request.chunk < 1:
        raise ToolError("--chunk must be at least 1.", 2)
    if not 1 <= request.workers <= 16:
        raise ToolError("--workers must be 1 to 16.", 2)
    subdomain = subdomains.normalize(request.subdomain)
    problem = subdomains.problem_with(subdomain)
    if problem:
        raise ToolError(f"The subdomain {subdomain!r} {problem}.", 2)
    return subdomain


def _tier_fits(target, tier: str, legacy_cur) -> None:
    """The legacy deployment's active facilities and users within the plan's limits."""
    with transaction(target) as cur:
        cur.execute("SELECT name, max_facilities, max_users FROM plans WHERE tier = %s", (tier,))
        plan = cur.fetchone()
    legacy_cur.execute("SELECT (SELECT count(*) FROM facilities WHERE is_active),"
                       " (SELECT count(*) FROM users WHERE is_active)")
    facilities, users = legacy_cur.fetchone()
    for what, have, limit in (("facilities", facilities, plan["max_facilities"]),
                              ("users", users, plan["max_users"])):
        if limit is not None and have > limit:
            raise ToolError(f"The legacy deployment has {have} active {what}; {plan['name']} "
                            f"allows {limit}. Choose a larger --tier.", 2)


def _create_organization(target, request: Request, subdomain: str, legacy_counts: dict
                         ) -> uuid.UUID:
    """The organization, its plan and standing by the operator's rules, the import's record
    and the audit row, in one transaction."""
    organization_id = uuid.uuid4()
    now = datetime.now(timezone.utc)
    trial = request.tier == "trial"
    with transaction(target, organization_id=organization_id, scope=IMPORT_SCOPE) as cur:
        cur.execute("""
            INSERT INTO organizations (id, name, subdomain, tier, status, trial_ends_at)
            VALUES (%(id)s, %(name)s, %(subdomain)s, %(tier)s, %(status)s, %(trial_ends_at)s)
        """, {"id": organization_id, "name": request.name.strip(), "subdomain": subdomain,
              "tier": request.tier, "status": "trialing" if trial else "active",
              "trial_ends_at": now + timedelta(days=TRIAL_DAYS) if trial else None})
        cur.execute("""
            INSERT INTO legacy_imports (imported_organization_id, subdomain, legacy_source,
                                        backup_acknowledged, legacy_counts, started_by)
            VALUES (%s, %s, %s, %s, %s, %s)
        """, (organization_id, subdomain, describe(request.legacy_dsn), request.backup.strip(),
              Json(legacy_counts), request.operator))
        _audit(cur, organization_id, request.operator, "organization.import_start", {
            "name": request.name.strip(), "subdomain": subdomain, "tier": request.tier,
            "legacy_source": describe(request.legacy_dsn), "legacy_counts": legacy_counts})
    return organization_id


def _audit(cur, organization_id: uuid.UUID, operator: str, action: str, changes: dict) -> None:
    cur.execute("""
        INSERT INTO audit_logs (organization_id, action, object_type, object_id, request_id,
                                changes)
        VALUES (%s, %s, 'organization', %s, %s, %s)
    """, (organization_id, action, organization_id, f"operator:{operator}", Json(changes)))


def _plan(legacy, target, organization_id: uuid.UUID, table: str, size: int
          ) -> tuple[list[tuple[int, int]], int]:
    """The table's legacy ids cut into ranges of `size` ids (the unit of work and of commit),
    keeping those not fully moved yet; and the rows already moved by an interrupted run."""
    with legacy.cursor() as cur:
        cur.execute(f"SELECT min(id) FROM {table}")
        low = cur.fetchone()[0]
        cur.execute(f"SELECT (id - %s) / %s AS bucket, count(*) FROM {table} GROUP BY 1",
                    (low or 0, size))
        legacy_buckets = dict(cur.fetchall())
    legacy.rollback()
    with transaction(target, organization_id=organization_id) as cur:
        cur.execute("""
            SELECT (legacy_id - %s) / %s AS bucket, count(*) AS n FROM legacy_id_map
             WHERE organization_id = %s AND legacy_table = %s GROUP BY 1
        """, (low or 0, size, organization_id, table))
        moved = {row["bucket"]: row["n"] for row in cur.fetchall()}
    pending = [(low + bucket * size, low + (bucket + 1) * size - 1)
               for bucket, rows in sorted(legacy_buckets.items())
               if moved.get(bucket, 0) < rows]
    return pending, sum(moved.values())


def _copy_range(legacy, target, organization_id, table, low: int, high: int,
                params: dict) -> int:
    """One range: COPY out of the legacy database, COPY into the staging table, then the rows
    and their mapping inserted in one transaction. Returns the rows moved."""
    buffer = io.BytesIO()
    with legacy.cursor() as lcur:
        chunk = lcur.mogrify(f"SELECT {table.select} FROM {table.name} "
                             "WHERE id BETWEEN %s AND %s ORDER BY id", (low, high)).decode()
        lcur.copy_expert(f"COPY ({chunk}) TO STDOUT", buffer)
    legacy.rollback()   # end the read-only transaction: nothing held between chunks
    if not buffer.tell():
        return 0
    buffer.seek(0)
    columns = "legacy_id, " + ", ".join(c.split()[0] for c in table.stage.split(", "))
    with transaction(target, organization_id=organization_id) as cur:
        cur.copy_expert(f"COPY stage_{table.name} ({columns}) FROM STDIN", buffer)
        # Rows an earlier run moved (with another --chunk, ranges overlap): never twice.
        cur.execute(f"""
            DELETE FROM stage_{table.name} s USING legacy_id_map m
             WHERE m.organization_id = %s AND m.legacy_table = %s AND m.legacy_id = s.legacy_id
               AND m.legacy_id BETWEEN %s AND %s""", (organization_id, table.name, low, high))
        # Statistics, so the lookups of the new ids are planned as hash joins.
        cur.execute(f"ANALYZE stage_{table.name}")
        cur.execute(f"SELECT count(*) AS n FROM stage_{table.name}")
        staged = cur.fetchone()["n"]
        for statement in table.inserts:
            cur.execute(statement, params)
        if table.name in configuration_versions.TABLES:
            # Last, so parallel chunks hold the organization's row (its version) only to commit.
            configuration_versions.bump(cur, organization_id=organization_id)
    return staged


def _worker(request: Request, organization_id, table, work, results: queue.Queue,
            stop: threading.Event) -> None:
    """A worker thread: its own two connections and staging table, ranges until none is left
    or the run stops; reports rows moved (or its exception), then None."""
    legacy = target = None
    try:
        legacy = connect(request.legacy_dsn, "legacy", read_only=True)
        target = connect(request.target_dsn, "product")
        with target.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE stage_{table.name} (legacy_id bigint, "
                        f"{table.stage}, new_id uuid NOT NULL DEFAULT gen_random_uuid()) "
                        "ON COMMIT DELETE ROWS")
        target.commit()
        params = {"organization_id": organization_id, "owner_email": request.owner_email,
                  "note": LEGACY_NOTE, "breakdown": ZERO_BREAKDOWN}
        while not stop.is_set():
            span = work()
            if span is None:
                break
            results.put(_copy_range(legacy, target, organization_id, table, *span, params))
    except BaseException as exc:  # handed to the main thread, which raises it
        results.put(exc)
    finally:
        for conn in (legacy, target):
            if conn is not None:
                conn.close()
        results.put(None)


def _copy_table(legacy, target, organization_id, table, total: int, request: Request,
                progress) -> int:
    """Move a table's pending ranges with up to request.workers threads. Progress is reported
    from this thread only; if it raises (Ctrl-C) or a worker fails, the workers finish the
    range they are in (committed or rolled back whole) and stop."""
    pending, done = _plan(legacy, target, organization_id, table.name, request.chunk)
    step = Step(table.name, done, total, time.perf_counter(), done)
    progress(step)
    if not pending:
        return step.done
    spans, lock = iter(pending), threading.Lock()

    def work():
        with lock:
            return next(spans, None)

    results: queue.Queue = queue.Queue()
    stop = threading.Event()
    threads = [threading.Thread(target=_worker, daemon=True,
                                args=(request, organization_id, table, work, results, stop))
               for _ in range(min(request.workers, len(pending)))]
    for thread in threads:
        thread.start()
    failure, running = None, len(threads)
    try:
        while running:
            item = results.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                failure = failure or item
                stop.set()
            else:
                step.done += item
                progress(step)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if failure is not None:
        raise failure
    return step.done


def _start_or_resume(legacy, target, request: Request, subdomain: str,
                     legacy_counts: dict) -> tuple[uuid.UUID, bool]:
    """The organization to move into, and whether an interrupted move of it goes on."""
    existing = open_import(target, subdomain)
    if existing is None:
        if find_organization(target, subdomain) is not None:
            raise ToolError(f"The subdomain {subdomain!r} is taken by an organization that was "
                            "not moved in by this tool. Nothing was done.", 2)
        with legacy.cursor() as lcur:
            _tier_fits(target, request.tier, lcur)
        legacy.rollback()
        return _create_organization(target, request, subdomain, legacy_counts), False
    if existing["finished_at"] is not None:
        raise ToolError(f"{subdomain!r} was moved in already (finished "
                        f"{existing['finished_at']:%Y-%m-%d %H:%M} UTC). Verify it, or roll it "
                        "back to move it again.", 2)
    if existing["legacy_counts"] != legacy_counts:
        changed = ", ".join(f"{t} {existing['legacy_counts'].get(t)} -> {n}"
                            for t, n in legacy_counts.items()
                            if existing["legacy_counts"].get(t) != n)
        raise ToolError(f"The legacy database changed since this move began ({changed}): the "
                        "legacy app must stay stopped. Roll back and start again.", 2)
    return existing["imported_organization_id"], True


def migrate(request: Request, progress=lambda step: None) -> Outcome:
    """Move (or resume moving) the legacy database in; ToolError on any refusal."""
    subdomain = _check_request(request)
    started = time.perf_counter()
    legacy = connect(request.legacy_dsn, "legacy", read_only=True)
    target = connect(request.target_dsn, "product")
    try:
        take_lock(target)
        with legacy.cursor() as lcur:
            found = preflight.problems(lcur, request.owner_email)
            if found:
                raise ToolError("The legacy database has rows the product cannot take; nothing "
                                "was written:\n  " + "\n  ".join(str(p) for p in found)
                                + "\nCorrect them in the legacy database (after its backup), "
                                  "then run the migration again.", 4)
            legacy_counts = preflight.counts(lcur, [t.name for t in TABLES])
        legacy.rollback()
        organization_id, resumed = _start_or_resume(legacy, target, request, subdomain,
                                                    legacy_counts)
        moved = {}
        for table in TABLES:
            try:
                moved[table.name] = _copy_table(legacy, target, organization_id, table,
                                                legacy_counts[table.name], request, progress)
            except psycopg2.Error as exc:
                raise _stopped(table.name, exc) from None
        _finish(target, organization_id, request.operator, moved)
        return Outcome(organization_id, resumed, moved, time.perf_counter() - started)
    finally:
        legacy.close()
        close(target)


def _stopped(table: str, exc: psycopg2.Error) -> ToolError:
    """A failure half-way, said without the row's values (they may hold e-mail addresses): the
    chunk was rolled back, the finished ones stay, the same command resumes."""
    if isinstance(exc, psycopg2.OperationalError):
        return ToolError(f"Lost the connection while moving {table}. Every finished chunk is "
                         "committed: run the same command again to resume.", 1)
    constraint = getattr(exc.diag, "constraint_name", None)
    first = (exc.pgerror or str(exc)).strip().splitlines()[0] if (exc.pgerror or str(exc)) \
        else type(exc).__name__
    return ToolError(f"The product's database refused a row of {table}: {first}"
                     + (f" (constraint {constraint})" if constraint else "") + ". The chunk "
                     "was rolled back and the finished ones are kept: correct the legacy row "
                     "and run the same command again, or roll back.", 1)


def _finish(target, organization_id: uuid.UUID, operator: str, moved: dict) -> None:
    with transaction(target, organization_id=organization_id, scope=IMPORT_SCOPE) as cur:
        _audit(cur, organization_id, operator, "organization.import_finish", {"moved": moved})
        cur.execute("""
            UPDATE legacy_imports SET finished_at = now(), moved_counts = %s
             WHERE imported_organization_id = %s
        """, (Json(moved), organization_id))
        # The moved admissions count in the months they were saved in, as the product's own do
        # (usage history; this month's limit). Set, not added: a resumed finish is the same.
        cur.execute("""
            INSERT INTO usage_periods (organization_id, period_start, admissions)
            SELECT organization_id, date_trunc('month', created_at AT TIME ZONE 'UTC')::date,
                   count(*)
              FROM admissions WHERE organization_id = %(organization_id)s GROUP BY 1, 2
            ON CONFLICT (organization_id, period_start) DO UPDATE
               SET admissions = EXCLUDED.admissions
        """, {"organization_id": organization_id})
    # Fresh statistics for the organization's first queries after a bulk load.
    target.autocommit = True
    with target.cursor() as cur:
        for table in ("admissions", "audit_logs", "legacy_id_map"):
            cur.execute(f"ANALYZE {table}")
    target.autocommit = False
