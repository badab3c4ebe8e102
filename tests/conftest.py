"""Shared fixtures: a real PostgreSQL database with the real migrations and roles for the whole
run, the FunctionApp behind the same router the local host uses, and fixtures over the
factories of tests/factories.py.

Which server: TEST_DATABASE_URL if set, else the machine's PostgreSQL on 127.0.0.1:5432 if it
answers, else an embedded one. The run creates its own database and roles and drops them."""
from __future__ import annotations

import base64
import os
import secrets

import psycopg2
import psycopg2.extras
import pytest
from psycopg2.extensions import make_dsn

from local.database import MACHINE_SERVER, Provisioned, drop, provision, server_answers
from tests.factories import Org, add_user, facility, new_client, new_org


def _admin_url():
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"], None
    if server_answers(MACHINE_SERVER):
        return MACHINE_SERVER, None
    from local.database import LOCAL_DIR, embedded_server
    server = embedded_server(LOCAL_DIR / "pgdata-test")
    return server.get_uri(), server


def use_database(target: Provisioned) -> None:
    """Point the functions' settings and pool at this database."""
    from shared import db
    from shared.settings import get_settings
    os.environ.update(target.function_settings())
    get_settings.cache_clear()
    db.close_pool()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """The run's database, migrated, with its owner and app roles."""
    os.environ["EMAIL_FILE_DIR"] = str(tmp_path_factory.mktemp("mail"))
    # Seals two-factor secrets (a run's own key, as make run generates one into .local/).
    os.environ.setdefault("TOTP_ENCRYPTION_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    admin_url, server = _admin_url()
    run = secrets.token_hex(4)
    target = provision(admin_url, database=f"snf_test_{run}", owner_role=f"snf_test_owner_{run}",
                       app_role=f"snf_test_app_{run}")
    use_database(target)
    yield target
    from shared import db
    db.close_pool()
    drop(target)
    del server


@pytest.fixture
def admin_sql(database):
    """Run SQL on the test database as the server's superuser (no row-level security), for
    setting up states and checking what was stored."""
    conn = psycopg2.connect(make_dsn(database.admin_dsn, dbname=database.database))
    conn.autocommit = True

    def run(query, params=None):
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None

    yield run
    conn.close()


@pytest.fixture(scope="session")
def app():
    from function_app import app
    return app


@pytest.fixture
def client(database, app):
    return new_client(app)


@pytest.fixture
def make_org(client):
    """Sign up a new organization; returns it with the owner's token."""
    def make(name: str = "Lakeside Care", tier: str | None = "enterprise") -> Org:
        return new_org(client, name, tier=tier)
    return make


@pytest.fixture
def org(make_org):
    return make_org("Organization A")


@pytest.fixture
def other_org(make_org):
    return make_org("Organization B")


@pytest.fixture
def make_user(client):
    """Add a user with a role to an organization and sign them in; returns the token."""
    def make(org: Org, role: str) -> str:
        return add_user(client, org, role)
    return make


@pytest.fixture
def make_facility(client):
    def make(org: Org, **fields) -> dict:
        return facility(client, org.token, **fields)
    return make


@pytest.fixture
def live_host(database, app):
    """The local host serving the app on a free port, for callers that speak HTTP (the fake
    Stripe's webhooks)."""
    import threading
    from local.host import make_server
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_fake(live_host):
    """The local fake of Stripe, with the billing settings pointed at it; its webhooks go to
    the live host, signed with the settings' secret. Settings are restored afterwards."""
    from tests.doubles import faked_stripe
    with faked_stripe(f"{live_host}/api/stripe/webhook") as fake:
        yield fake


@pytest.fixture
def one_slot():
    """One hashing slot and a short wait, for this test only (shared.hashing)."""
    from local.environment import settings_environment
    from shared import hashing

    def reset():
        hashing.slot_count.cache_clear()
        hashing._slots.cache_clear()

    with settings_environment({"PASSWORD_HASH_CONCURRENCY": "1",
                               "PASSWORD_HASH_WAIT_SECONDS": "0.2"}):
        reset()
        yield hashing
    reset()
