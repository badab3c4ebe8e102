"""Shared fixtures: a real PostgreSQL database with the real migrations and roles for the whole
run, the FunctionApp behind the same router the local host uses, and small factories.

Which server: TEST_DATABASE_URL if set, else the machine's PostgreSQL on 127.0.0.1:5432 if it
answers, else an embedded one. The run creates its own database and roles and drops them."""
from __future__ import annotations

import json as jsonlib
import os
import secrets
import uuid
from dataclasses import dataclass

import psycopg2
import psycopg2.extras
import pytest
from psycopg2.extensions import make_dsn

from local.database import MACHINE_SERVER, Provisioned, drop, provision, server_answers


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


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    mimetype: str | None

    def json(self):
        return jsonlib.loads(self.body)


class ApiClient:
    """Calls the registered functions through the local router, as the Functions host would."""

    def __init__(self, router):
        self.router = router

    def request(self, method, path, *, json=None, body=None, token=None, headers=None):
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        if token:
            headers["authorization"] = f"Bearer {token}"
        if json is not None:
            body = jsonlib.dumps(json).encode()
            headers.setdefault("content-type", "application/json")
        headers.setdefault("x-forwarded-for", "203.0.113.9")
        response = self.router.dispatch(method, path, headers, body)
        return Response(response.status_code, dict(response.headers), response.get_body(),
                        response.mimetype)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture(scope="session")
def app():
    from function_app import app
    return app


@pytest.fixture
def client(database, app):
    from local.router import Router
    return ApiClient(Router(app))


@dataclass
class Org:
    """An organization made through the real signup, with its owner signed in."""
    id: uuid.UUID
    subdomain: str
    email: str
    password: str
    token: str


PASSWORD = "correct horse battery staple"


def unique_subdomain(prefix: str = "org") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


@pytest.fixture
def make_org(client):
    """Sign up a new organization; returns it with the owner's token."""
    def make(name: str = "Lakeside Care") -> Org:
        subdomain = unique_subdomain()
        email = f"owner@{subdomain}.example"
        response = client.post("/api/signup", json={
            "organization_name": name, "subdomain": subdomain, "email": email,
            "password": PASSWORD})
        assert response.status == 201, response.body
        data = response.json()
        return Org(uuid.UUID(data["organization"]["id"]), subdomain, email, PASSWORD,
                   data["token"])
    return make


@pytest.fixture
def org(make_org):
    return make_org("Organization A")


@pytest.fixture
def other_org(make_org):
    return make_org("Organization B")


@pytest.fixture
def make_user(client):
    """Add a user with a role to an organization (through the repository, in a tenant
    transaction: the users endpoints come later) and sign them in; returns the token."""
    def make(org: Org, role: str) -> str:
        from shared import db
        from shared.repositories import users
        from shared.security import hash_password
        email = f"{role}-{secrets.token_hex(3)}@{org.subdomain}.example"
        with db.tenant_transaction(org.id) as cur:
            users.insert(cur, organization_id=org.id, email=email,
                         password_hash=hash_password(PASSWORD), role=role)
        response = client.post("/api/auth/login", json={
            "subdomain": org.subdomain, "email": email, "password": PASSWORD})
        assert response.status == 200, response.body
        return response.json()["token"]
    return make


@pytest.fixture
def make_facility(client):
    def make(org: Org, **fields) -> dict:
        body = {"name": f"Facility {secrets.token_hex(3)}", "bed_count": 100, **fields}
        response = client.post("/api/facilities", json=body, token=org.token)
        assert response.status == 201, response.body
        return response.json()
    return make
