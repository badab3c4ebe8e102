"""Who is calling: the bearer token is read from the Authorization header only, its organization
is a claim until the session is found inside that organization's tenant transaction, and only a
live session of an active user counts."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from shared import db
from shared.errors import Forbidden, Unauthorized
from shared.models.users import Role
from shared.tenancy import (bearer_token, caller_lookup, caller_of, claimed_organization,
                            require_role)
from tests.factories import add_member, new_org


@pytest.mark.parametrize("header, token", [
    ("Bearer abc.def", "abc.def"),
    ("bearer abc.def", "abc.def"),
    ("BEARER   abc.def  ", "abc.def"),
])
def test_the_bearer_token_is_read_from_the_header(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer    ", "Basic abc.def",
                                    "abc.def", "Token abc.def"])
def test_anything_but_a_bearer_token_is_unauthorized(header):
    with pytest.raises(Unauthorized):
        bearer_token(header)


def test_a_malformed_token_claims_no_organization():
    with pytest.raises(Unauthorized) as refused:
        claimed_organization("not-a-token")
    assert refused.value.detail == "The session is not valid. Sign in again."


@pytest.fixture(scope="module")
def org(database):
    from function_app import app
    from tests.factories import new_client
    return new_org(new_client(app), "Tenancy", tier=None)  # a real trial


def _authenticate(organization_id, token):
    """As shared.endpoint finds the caller: the lookup sent with the transaction's settings."""
    with db.tenant_transaction(organization_id, then=caller_lookup(organization_id, token)) as cur:
        return caller_of(cur, organization_id=organization_id, row=cur.fetchone())


def test_a_live_session_is_the_caller_with_its_user_role_and_organization(org):
    member = add_member(org, "coordinator")

    caller = _authenticate(claimed_organization(member.token), member.token)

    assert caller.organization_id == org.id
    assert str(caller.user_id) == member.id
    assert caller.role is Role.coordinator
    assert caller.organization_status == "trialing"
    assert caller.session_expires_at > datetime.now(timezone.utc)


def test_a_token_whose_secret_is_unknown_is_unauthorized(org):
    member = add_member(org, "viewer")
    forged = member.token[:-4] + ("aaaa" if not member.token.endswith("aaaa") else "bbbb")

    with pytest.raises(Unauthorized):
        _authenticate(org.id, forged)


def test_a_session_looked_up_in_another_organization_is_not_found(org):
    member = add_member(org, "admin")

    with pytest.raises(Unauthorized):
        _authenticate(uuid.uuid4(), member.token)


def test_a_revoked_or_expired_session_or_inactive_user_is_unauthorized(org, admin_sql):
    revoked, expired, inactive = (add_member(org, "viewer") for _ in range(3))
    admin_sql("UPDATE sessions SET revoked_at = now() WHERE user_id = %s", (revoked.id,))
    admin_sql("UPDATE sessions SET expires_at = now() - interval '1 second'"
              " WHERE user_id = %s", (expired.id,))
    admin_sql("UPDATE users SET is_active = false WHERE id = %s", (inactive.id,))

    for member in (revoked, expired, inactive):
        with pytest.raises(Unauthorized) as refused:
            _authenticate(org.id, member.token)
        assert refused.value.detail == ("The session has expired or was signed out. "
                                        "Sign in again.")


def test_the_caller_and_actor_cannot_be_changed_once_established(org):
    # Frozen: no handler can turn itself into another user or organization mid-request.
    import dataclasses

    from shared.tenancy import Actor
    caller = _authenticate(org.id, add_member(org, "viewer").token)
    actor = Actor(organization_id=org.id, user_id=caller.user_id, source_address=None,
                  request_id="r")
    for made, name in ((caller, "role"), (caller, "organization_id"), (actor, "user_id")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, name, None)


@pytest.mark.parametrize("role, needed, allowed", [
    (Role.viewer, Role.viewer, True),
    (Role.viewer, Role.coordinator, False),
    (Role.coordinator, Role.coordinator, True),
    (Role.coordinator, Role.admin, False),
    (Role.admin, Role.admin, True),
    (Role.admin, Role.owner, False),
    (Role.owner, Role.owner, True),
    (Role.owner, Role.viewer, True),
])
def test_a_role_passes_for_itself_and_below_and_is_forbidden_above(org, role, needed, allowed):
    member = add_member(org, role.value)
    caller = _authenticate(org.id, member.token)

    if allowed:
        assert require_role(caller, needed) is None
    else:
        with pytest.raises(Forbidden) as refused:
            require_role(caller, needed)
        assert refused.value.detail == (f"This needs the {needed.value} role or higher; "
                                        f"you are {role.value}.")
