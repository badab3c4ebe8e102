"""The cross-tenant scopes of the data layer: only the five named in shared.db.SCOPES exist,
and each admits exactly its own table across organizations, never another's.

Everything runs through the real data layer (shared.db, connected as the functions' app role)
against organizations made by the real signup, so each has its owner, a session, a welcome
e-mail in the outbox, and here a facility made with an Idempotency-Key; one more signup with a
key leaves an anonymous idempotency key."""
from __future__ import annotations

import secrets

import psycopg2.errors
import pytest

from shared import db
from tests.factories import created, new_client, new_org, signup

TABLES = ("organizations", "users", "sessions", "facilities", "audit_logs", "email_outbox",
          "invitations", "password_resets", "business_weights", "admissions",
          "sign_in_throttle", "data_exports", "idempotency_keys")


@pytest.fixture(scope="module")
def two(database, app):
    """Two signed-up organizations, each with a facility (and its idempotency key), a signup's
    anonymous idempotency key, and a failed sign-in counted in the sign-in throttle."""
    client = new_client(app)
    made = (new_org(client, "Organization A"), new_org(client, "Organization B"))
    for org in made:
        created(client.post("/api/facilities", token=org.token,
                            headers={"Idempotency-Key": secrets.token_hex(8)},
                            json={"name": "Keyed facility", "bed_count": 10}))
        assert client.post("/api/organization/exports", token=org.token).status == 202
    created(signup(client, headers={"Idempotency-Key": secrets.token_hex(8)}))
    address = f"198.51.100.{secrets.randbelow(250) + 1}"
    failed = client.post("/api/auth/login", headers={"x-forwarded-for": address}, json={
        "subdomain": made[0].subdomain, "email": made[0].email, "password": "wrong" * 3})
    assert failed.status == 401, failed.body
    return made


def visible(scope: str, table: str, where: str = "", params=None) -> int:
    with db.dangerously_cross_tenant_transaction(scope) as cur:
        cur.execute(f"SELECT count(*) AS n FROM {table} {where}", params)
        return cur.fetchone()["n"]


def ids_of(two) -> list[str]:
    return [str(o.id) for o in two]


def stored(admin_sql, table: str) -> int:
    return admin_sql(f"SELECT count(*) AS n FROM {table}")[0]["n"]


# --- only the named scopes ------------------------------------------------------------------

def test_the_scopes_are_exactly_the_six_policies():
    assert set(db.SCOPES) == {"organization lookup", "sign-in throttle", "email outbox",
                              "timer runs", "data export queue", "idempotent replay"}
    assert (db.ORGANIZATION_LOOKUP, db.SIGN_IN_THROTTLE, db.EMAIL_OUTBOX, db.TIMER_RUNS) == (
        "organization lookup", "sign-in throttle", "email outbox", "timer runs")


@pytest.mark.parametrize("scope", ["public branding", "timer: list organizations",
                                   "password reset lookup", "", "Organization Lookup",
                                   "organization lookup ", "email outbox; DROP TABLE users"])
def test_a_scope_outside_scopes_is_refused_before_any_transaction(database, scope):
    with pytest.raises(ValueError) as refused:
        with db.dangerously_cross_tenant_transaction(scope):
            pytest.fail("a transaction was opened for an unknown scope")
    assert str(refused.value) == f"unknown cross-tenant scope {scope!r}"


# --- organization lookup ----------------------------------------------------------------------

def test_the_organization_lookup_sees_every_organization(two, admin_sql):
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        cur.execute("SELECT id::text, subdomain FROM organizations")
        seen = {r["id"]: r["subdomain"] for r in cur.fetchall()}

    assert len(seen) == stored(admin_sql, "organizations")
    assert {str(o.id): o.subdomain for o in two}.items() <= seen.items()


@pytest.mark.parametrize("table", [t for t in TABLES if t != "organizations"])
def test_the_organization_lookup_sees_no_other_table(two, admin_sql, table):
    if table in ("users", "sessions", "facilities", "email_outbox", "audit_logs",
                 "sign_in_throttle"):
        assert stored(admin_sql, table) > 0  # there is something it could have seen

    assert visible(db.ORGANIZATION_LOOKUP, table) == 0


def test_the_organization_lookup_cannot_change_an_organization(two, admin_sql):
    org, _ = two
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        cur.execute("UPDATE organizations SET name = 'Taken over' WHERE id = %s", (org.id,))
        changed = cur.rowcount

    assert changed == 0
    assert admin_sql("SELECT name FROM organizations WHERE id = %s",
                     (str(org.id),))[0]["name"] == "Organization A"


# --- email outbox -----------------------------------------------------------------------------

def test_the_email_outbox_scope_sees_every_organizations_emails(two, admin_sql):
    with db.dangerously_cross_tenant_transaction(db.EMAIL_OUTBOX) as cur:
        cur.execute("SELECT DISTINCT organization_id::text AS id FROM email_outbox"
                    " WHERE organization_id = ANY(%s::uuid[])", (ids_of(two),))
        seen = {r["id"] for r in cur.fetchall()}

    assert seen == set(ids_of(two))  # each one's welcome e-mail
    assert visible(db.EMAIL_OUTBOX, "email_outbox") == stored(admin_sql, "email_outbox")


@pytest.mark.parametrize("table", [t for t in TABLES if t != "email_outbox"])
def test_the_email_outbox_scope_sees_no_other_table(two, table):
    assert visible(db.EMAIL_OUTBOX, table) == 0


def test_the_email_outbox_scope_cannot_queue_an_email(two, admin_sql):
    org, _ = two
    before = stored(admin_sql, "email_outbox")

    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        with db.dangerously_cross_tenant_transaction(db.EMAIL_OUTBOX) as cur:
            cur.execute("""INSERT INTO email_outbox (organization_id, template, to_address,
                                                     subject, text_body, html_body)
                           VALUES (%s, 'welcome', 'x@example.com', 's', 't', 'h')""",
                        (org.id,))

    assert stored(admin_sql, "email_outbox") == before


# --- sign-in throttle -------------------------------------------------------------------------

def test_the_sign_in_throttle_scope_sees_the_counters(two):
    assert visible(db.SIGN_IN_THROTTLE, "sign_in_throttle") > 0


@pytest.mark.parametrize("table", [t for t in TABLES if t != "sign_in_throttle"])
def test_the_sign_in_throttle_scope_sees_no_other_table(two, admin_sql, table):
    if table in ("organizations", "email_outbox"):
        assert stored(admin_sql, table) > 0

    assert visible(db.SIGN_IN_THROTTLE, table) == 0


# --- data export queue -----------------------------------------------------------------------

def test_the_data_export_queue_sees_every_organizations_requested_exports(two, admin_sql):
    with db.dangerously_cross_tenant_transaction(db.DATA_EXPORT_QUEUE) as cur:
        cur.execute("SELECT DISTINCT organization_id::text AS id FROM data_exports"
                    " WHERE organization_id = ANY(%s::uuid[])", (ids_of(two),))
        seen = {r["id"] for r in cur.fetchall()}

    assert seen == set(ids_of(two))
    assert visible(db.DATA_EXPORT_QUEUE, "data_exports") == stored(admin_sql, "data_exports")


@pytest.mark.parametrize("table", [t for t in TABLES if t != "data_exports"])
def test_the_data_export_queue_sees_no_other_table(two, table):
    assert visible(db.DATA_EXPORT_QUEUE, table) == 0


def test_the_data_export_queue_can_neither_add_nor_change_an_export(two, admin_sql):
    org, _ = two
    with db.dangerously_cross_tenant_transaction(db.DATA_EXPORT_QUEUE) as cur:
        cur.execute("UPDATE data_exports SET status = 'failed' WHERE organization_id = %s",
                    (org.id,))
        assert cur.rowcount == 0
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        with db.dangerously_cross_tenant_transaction(db.DATA_EXPORT_QUEUE) as cur:
            cur.execute("SELECT requested_by FROM data_exports WHERE organization_id = %s",
                        (org.id,))
            cur.execute("INSERT INTO data_exports (organization_id, requested_by)"
                        " VALUES (%s, %s)", (org.id, cur.fetchone()["requested_by"]))


# --- idempotent replay --------------------------------------------------------------------------

def test_the_idempotent_replay_scope_sees_only_anonymous_keys(two, admin_sql):
    anonymous = admin_sql("SELECT count(*) AS n FROM idempotency_keys WHERE anonymous")[0]["n"]
    assert anonymous > 0
    assert stored(admin_sql, "idempotency_keys") > anonymous  # the facilities' keys

    assert visible(db.IDEMPOTENT_REPLAY, "idempotency_keys") == anonymous
    assert visible(db.IDEMPOTENT_REPLAY, "idempotency_keys", "WHERE NOT anonymous") == 0


@pytest.mark.parametrize("table", [t for t in TABLES if t != "idempotency_keys"])
def test_the_idempotent_replay_scope_sees_no_other_table(two, admin_sql, table):
    if table in ("organizations", "facilities", "sessions"):
        assert stored(admin_sql, table) > 0

    assert visible(db.IDEMPOTENT_REPLAY, table) == 0


def test_the_idempotent_replay_scope_cannot_write_a_key(two, admin_sql):
    org, _ = two
    before = admin_sql("SELECT organization_id, key_hash, status, created_at"
                       " FROM idempotency_keys ORDER BY 1, 2")
    with db.dangerously_cross_tenant_transaction(db.IDEMPOTENT_REPLAY) as cur:
        cur.execute("UPDATE idempotency_keys SET status = 500")
        assert cur.rowcount == 0
        cur.execute("DELETE FROM idempotency_keys")
        assert cur.rowcount == 0
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        with db.dangerously_cross_tenant_transaction(db.IDEMPOTENT_REPLAY) as cur:
            cur.execute("""INSERT INTO idempotency_keys (organization_id, key_hash, anonymous,
                                                         fingerprint)
                           VALUES (%s, %s, true, %s)""", (org.id, b"k" * 32, b"f" * 32))

    assert admin_sql("SELECT organization_id, key_hash, status, created_at"
                     " FROM idempotency_keys ORDER BY 1, 2") == before


# --- and the tenant transaction still sees only its own -------------------------------------

def test_a_tenant_transaction_sees_neither_the_outbox_of_another_nor_the_throttle(two):
    org, other = two
    with db.tenant_transaction(org.id) as cur:
        cur.execute("SELECT DISTINCT organization_id::text AS id FROM email_outbox")
        outbox_orgs = {r["id"] for r in cur.fetchall()}
        cur.execute("SELECT id::text FROM organizations")
        orgs = {r["id"] for r in cur.fetchall()}
        cur.execute("SELECT count(*) AS n FROM sign_in_throttle")
        throttle = cur.fetchone()["n"]

    assert outbox_orgs == orgs == {str(org.id)}
    assert throttle == 0
