"""Users of a role with a live session, made quickly: the user through the repository (as
conftest's make_user does) with one argon2 hash of PASSWORD made once per run, and the session
through the repository too, so no argon2 work per user. The user can also sign in with
PASSWORD like anyone else."""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from tests.conftest import PASSWORD, Org


@dataclass(frozen=True)
class Member:
    token: str
    id: str
    email: str


@lru_cache(maxsize=1)
def _password_hash() -> str:
    from shared.security import hash_password
    return hash_password(PASSWORD)


def add_member(org: Org, role: str, *, email: str | None = None) -> Member:
    from shared import db
    from shared.repositories import sessions, users
    from shared.security import new_session_token, token_hash
    email = email or f"{role}-{secrets.token_hex(3)}@{org.subdomain}.example"
    token = new_session_token(org.id)
    with db.tenant_transaction(org.id) as cur:
        user = users.insert(cur, organization_id=org.id, email=email,
                            password_hash=_password_hash(), role=role)
        sessions.insert(cur, organization_id=org.id, user_id=user["id"],
                        token_hash=token_hash(token),
                        expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    return Member(token=token, id=str(uuid.UUID(str(user["id"]))), email=email)
