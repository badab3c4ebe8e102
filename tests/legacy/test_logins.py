"""Users moved in from the legacy app sign in with their old passwords: the Werkzeug hash is
verified and replaced by argon2 on the first successful sign-in (audited, not a password change);
a wrong password changes nothing; a hash format we do not take is refused with a log line that
names the format, never the hash."""
from __future__ import annotations

import logging

import pytest

from shared import werkzeug_hashes
from tests.factories import fresh_address

OLD_PASSWORD = "the old flask password 7"


def _set_hash(admin_sql, org, stored):
    admin_sql("UPDATE users SET password_hash = %s WHERE organization_id = %s AND email = %s",
              (stored, org.id, org.email))


def _stored(admin_sql, org):
    return admin_sql("SELECT password_hash, password_changed_at FROM users WHERE "
                     "organization_id = %s AND email = %s", (org.id, org.email))[0]


def _login(client, org, password):
    return client.post("/api/auth/login", headers={"x-forwarded-for": fresh_address()}, json={
        "subdomain": org.subdomain, "email": org.email, "password": password})


@pytest.mark.parametrize("method", ["pbkdf2:sha256:600000", "scrypt:32768:8:1"])
def test_a_legacy_hash_signs_in_and_becomes_argon2(client, org, admin_sql, method):
    _set_hash(admin_sql, org, werkzeug_hashes.generate(OLD_PASSWORD, method))
    changed_before = _stored(admin_sql, org)["password_changed_at"]

    assert _login(client, org, OLD_PASSWORD).status == 200
    after = _stored(admin_sql, org)
    assert after["password_hash"].startswith("$argon2id$")
    assert after["password_changed_at"] == changed_before   # same password, stronger hash
    audit = admin_sql("SELECT changes FROM audit_logs WHERE organization_id = %s AND "
                      "action = 'user.password_rehash'", (org.id,))
    assert [a["changes"] for a in audit] == [{"from": method, "to": "argon2id"}]

    assert _login(client, org, OLD_PASSWORD).status == 200   # now through argon2
    assert len(admin_sql("SELECT 1 FROM audit_logs WHERE organization_id = %s AND "
                         "action = 'user.password_rehash'", (org.id,))) == 1


def test_a_wrong_password_against_a_legacy_hash_is_refused_and_changes_nothing(
        client, org, admin_sql):
    stored = werkzeug_hashes.generate(OLD_PASSWORD, "pbkdf2:sha256:1000")
    _set_hash(admin_sql, org, stored)
    response = _login(client, org, OLD_PASSWORD + "!")
    assert response.status == 401
    assert _stored(admin_sql, org)["password_hash"] == stored


@pytest.mark.parametrize("stored, name", [
    ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "$2b$"),
    ("sha1$Xy7salt$" + "3f" * 20, "sha1"),
])
def test_an_unknown_hash_format_is_refused_with_its_name_logged_never_the_hash(
        client, org, admin_sql, caplog, stored, name):
    _set_hash(admin_sql, org, stored)
    with caplog.at_level(logging.WARNING, logger="shared.security"):
        response = _login(client, org, OLD_PASSWORD)
    assert response.status == 401
    lines = [r.getMessage() for r in caplog.records if r.name == "shared.security"]
    assert lines == [f"password hash format {name!r} is not supported; sign-in refused"]
    assert stored not in caplog.text and stored.split("$")[-1] not in caplog.text
    assert _stored(admin_sql, org)["password_hash"] == stored
