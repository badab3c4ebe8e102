"""An organization with data in every resource, and the one table that says, for each documented
path with an id parameter, which of its objects fills it. The fuzz test (tests/functions/
test_fuzz.py) aims its cases at these objects so they reach the services' logic; the isolation
matrix (tests/functions/test_isolation_matrix.py) asks another organization for them.

A new path with an id parameter fails the isolation matrix until a line is added to PRODUCERS."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from tests.factories import (ApiClient, Configured, Member, Org, add_member, configured_facility,
                             created, new_org, org_payers, referral)


@dataclass
class World:
    """One organization with an object of every kind, made through the API as its owner."""
    org: Org
    owner_id: str
    place: Configured
    member: Member
    invitation: dict
    admissions: dict[str, dict] = field(default_factory=dict)
    export: dict | None = None       # an export asked for (being prepared)
    other_session: str | None = None  # the id of a second session of the owner's

    @property
    def token(self) -> str:
        return self.org.token


def make_world(client: ApiClient, name: str) -> World:
    org = new_org(client, name)
    place = configured_facility(client, org, org_payers(client, org), name=f"{name} Manor")
    member = add_member(org, "coordinator")
    invitation = created(client.post("/api/invitations", token=org.token, json={
        "email": f"invitee@{org.subdomain}.example", "role": "viewer"}))
    me = client.get("/api/me", token=org.token).json()
    world = World(org, me["user"]["id"], place, member, invitation)
    # One pending (decidable), one decided (reopenable).
    for state in ("pending", "accepted"):
        admission = created(client.post("/api/admissions", token=org.token,
                                         json=referral(place, "medicaid")))
        if state == "accepted":
            answer = client.post(f"/api/admissions/{admission['id']}/decision", token=org.token,
                                 json={"decision": "accepted"})
            assert answer.status == 200, answer.body
        world.admissions[state] = admission
    world.export = client.post("/api/organization/exports", token=org.token).json()
    world.other_session = _other_session_id(world)
    return world


def _other_session_id(world: World) -> str:
    """A second session of the owner's, made through the repository (its id, for the path)."""
    import uuid

    from shared import db
    from shared.repositories import sessions
    from shared.security import new_session_token, token_hash
    with db.tenant_transaction(world.org.id) as cur:
        row = sessions.insert(cur, organization_id=world.org.id,
                              user_id=uuid.UUID(world.owner_id),
                              token_hash=token_hash(new_session_token(world.org.id)),
                              expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    return str(row["id"])


# Documented path -> the id of the world's object it names. One line per path with an id.
PRODUCERS = {
    "/api/admissions/{id}": lambda w: w.admissions["pending"]["id"],
    "/api/admissions/{id}/decision": lambda w: w.admissions["pending"]["id"],
    "/api/admissions/{id}/reopen": lambda w: w.admissions["accepted"]["id"],
    "/api/cost-models/{id}": lambda w: w.place.cost_model["id"],
    "/api/facilities/{id}": lambda w: w.place.id,
    "/api/payers/{id}": lambda w: w.place.payer_id("commercial"),
    "/api/rates/{id}": lambda w: w.place.rates["commercial"]["id"],
    "/api/users/{id}": lambda w: w.member.id,
    "/api/invitations/{id}": lambda w: w.invitation["id"],
    "/api/me/sessions/{id}": lambda w: w.other_session,
    "/api/users/{id}/sessions": lambda w: w.member.id,
    "/api/organization/exports/{id}/download": lambda w: w.export["id"],
}


def session_token(world: World) -> str:
    """A fresh session of the world's owner, made through the repository: a case that signs
    out (POST /api/auth/logout) or changes the password ends only its own session."""
    import uuid

    from shared import db
    from shared.repositories import sessions
    from shared.security import new_session_token, token_hash
    token = new_session_token(world.org.id)
    with db.tenant_transaction(world.org.id) as cur:
        sessions.insert(cur, organization_id=world.org.id, user_id=uuid.UUID(world.owner_id),
                        token_hash=token_hash(token),
                        expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    return token
