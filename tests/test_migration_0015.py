"""Migration 0015 on a database that already holds duplicate unanswered invitations (possible
before it): the newest of each address stays open, the older ones are withdrawn, answered ones
and other organizations' are untouched, and row-level security is FORCEd again afterwards."""
from __future__ import annotations

import shutil
import uuid

from shared.migrate import MIGRATIONS_DIR, migrate
from tests.test_migrate import query, unmigrated  # noqa: F401 - unmigrated is a fixture


def migrations_before_0015(tmp_path):
    directory = tmp_path / "before"
    directory.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if path.name < "0015":
            shutil.copy(path, directory)
    return directory


def add_organization(target) -> tuple[uuid.UUID, uuid.UUID]:
    org, user = uuid.uuid4(), uuid.uuid4()
    query(target, "INSERT INTO organizations (id, name, subdomain) VALUES (%s, 'Org', %s) "
                  "RETURNING id", (str(org), f"org-{org.hex[:8]}"))
    query(target, "INSERT INTO users (organization_id, id, email, password_hash, role) "
                  "VALUES (%s, %s, 'owner@x.example', 'x', 'owner') RETURNING id",
          (str(org), str(user)))
    return org, user


def add_invitation(target, org, user, email, minutes_ago, answered=None) -> str:
    return query(target, f"""
        INSERT INTO invitations (organization_id, email, role, token_hash, invited_by,
                                 expires_at, created_at, accepted_at)
        VALUES (%s, %s, 'viewer', decode(md5(random()::text), 'hex'), %s, now() + interval '7 days',
                now() - %s * interval '1 minute', {'now()' if answered else 'NULL'})
        RETURNING id::text""", (str(org), email, str(user), minutes_ago))[0]["id"]


def open_ids(target) -> set[str]:
    return {r["id"] for r in query(target, "SELECT id::text FROM invitations "
                                           "WHERE revoked_at IS NULL")}


def test_duplicates_keep_only_their_newest_invitation_open(unmigrated, tmp_path):  # noqa: F811
    target = unmigrated
    migrate(target.owner_dsn, app_role=target.app_role, directory=migrations_before_0015(tmp_path))
    org, user = add_organization(target)
    other, other_user = add_organization(target)
    oldest = add_invitation(target, org, user, "dup@x.example", 30)
    older = add_invitation(target, org, user, "DUP@x.example", 20)
    newest = add_invitation(target, org, user, "dup@x.example", 10)
    accepted = add_invitation(target, org, user, "dup@x.example", 40, answered=True)
    single = add_invitation(target, org, user, "single@x.example", 5)
    elsewhere = add_invitation(target, other, other_user, "dup@x.example", 50)

    applied = migrate(target.owner_dsn, app_role=target.app_role)

    assert applied == [p.name[:4] for p in sorted(MIGRATIONS_DIR.glob("*.sql"))
                       if p.name >= "0015"]
    assert open_ids(target) == {newest, accepted, single, elsewhere}
    assert {oldest, older}.isdisjoint(open_ids(target))
    forced = query(target, "SELECT relrowsecurity AND relforcerowsecurity AS forced "
                           "FROM pg_class WHERE relname = 'invitations'")
    assert forced == [{"forced": True}]
