"""A throwaway database for one benchmark run, with its own roles, dropped at the end.

Which server: the machine's PostgreSQL on 127.0.0.1:5432 when it answers, else the embedded one
(data under .local/pgdata-bench), as `make test` chooses, minus the URL override."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from typing import Iterator

import psycopg2
import psycopg2.extras
from psycopg2.extensions import make_dsn

from local.database import (LOCAL_DIR, MACHINE_SERVER, Provisioned, drop, provision,
                            server_answers)
from local.environment import settings_environment


def use_database(target: Provisioned) -> None:
    """Point the functions' settings and pool at this database (as tests/conftest.py does)."""
    from shared import db
    from shared.settings import get_settings
    os.environ.update(target.function_settings())
    get_settings.cache_clear()
    db.close_pool()


@contextmanager
def throwaway_database() -> Iterator[tuple[Provisioned, str]]:
    """Yield (the provisioned database, a description of its server); drop it on the way out,
    whatever happened."""
    server = None
    if server_answers(MACHINE_SERVER):
        admin_url, where = MACHINE_SERVER, "the machine's PostgreSQL on 127.0.0.1:5432"
    else:
        from local.database import embedded_server
        server = embedded_server(LOCAL_DIR / "pgdata-bench")
        admin_url, where = server.get_uri(), "the embedded PostgreSQL (.local/pgdata-bench)"
    run = secrets.token_hex(4)
    # Named before provisioning, so a provisioning that fails half-way is cleaned up too.
    target = Provisioned(admin_url, f"snf_bench_{run}", f"snf_bench_owner_{run}",
                         f"snf_bench_app_{run}")
    # The caller's settings again afterwards (a test process goes on with its own database).
    with settings_environment(restoring=target.function_settings()):
        try:
            provision(admin_url, database=target.database, owner_role=target.owner_role,
                      app_role=target.app_role)
            use_database(target)
            yield target, where
        finally:
            from shared import db
            db.close_pool()
            drop(target)
        del server  # the embedded server, if any, stops with its last reference


def admin_sql(target: Provisioned, statement: str, params=None) -> list[dict] | None:
    """Run SQL on the bench database as the server's superuser (no row-level security)."""
    conn = psycopg2.connect(make_dsn(target.admin_dsn, dbname=target.database))
    conn.autocommit = True
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()
