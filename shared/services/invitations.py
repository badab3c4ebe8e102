"""Invitations: an owner or admin invites by e-mail with a role; the invitee chooses a password
through a single-use link that expires, and is signed in."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shared import audit, db, passwords
from shared.errors import Conflict, NotFound, Unauthorized, Unprocessable
from shared.models.auth import (InvitationAcceptIn, InvitationIn, InvitationList,
                                InvitationPreview, InvitationPreviewIn, InvitationPublic)
from shared.models.organization_profile import Branding
from shared.models.two_factor import LoginOut
from shared.repositories import invitations, organizations, users
from shared.security import hash_password, new_session_token, organization_of_token, token_hash
from shared.services import auth, email, limits
from shared.services.organization import logo_path
from shared.services.users import check_can_grant
from shared.tenancy import Actor, Caller

VALID_FOR = timedelta(days=7)
INVALID_LINK = "This link is not valid any more. Ask for a new invitation."


def invite(cur, actor: Actor, caller: Caller, data: InvitationIn) -> InvitationPublic:
    """Invite by e-mail; an address with an unanswered invitation has it renewed instead: a new
    link (the old one stops working), the new role, seven more days."""
    check_can_grant(caller, data.role)
    if users.find_by_email(cur, organization_id=actor.organization_id, email=data.email):
        raise Conflict("Someone in this organization already has this e-mail address.")
    unanswered = invitations.find_unanswered(cur, organization_id=actor.organization_id,
                                             email=data.email)
    now = datetime.now(timezone.utc)
    if unanswered is None or unanswered["expires_at"] <= now:
        # An open invitation already holds its place; an expired one holds none any more.
        limits.make_room(cur, actor.organization_id, "users", count_invitations=True)
    token = new_session_token(actor.organization_id)
    fields = {"organization_id": actor.organization_id, "role": data.role.value,
              "token_hash": token_hash(token), "invited_by": actor.user_id,
              "expires_at": now + VALID_FOR}
    if unanswered is None:
        row = invitations.insert(cur, email=data.email, **fields)
        action = "invitation.create"
    else:
        row = invitations.renew(cur, id=unanswered["id"], **fields)
        action = "invitation.renew"
    inviter = users.get(cur, organization_id=actor.organization_id, user_id=actor.user_id)
    email.enqueue(cur, actor.organization_id, "invitation", row["email"], {
        "inviter": inviter["email"], "role": data.role.value,
        "expires": f"{row['expires_at']:%B %d, %Y %H:%M} UTC",
        "link": email.link(f"/#accept-invitation={token}")})
    audit.record(cur, actor, action=action, object_type="invitation",
                 object_id=row["id"], changes={"role": data.role.value})
    return InvitationPublic.model_validate(row)


def list_open(cur, organization_id: uuid.UUID) -> InvitationList:
    return InvitationList(items=invitations.list_open(cur, organization_id=organization_id))


def revoke(cur, actor: Actor, invitation_id: uuid.UUID) -> None:
    if invitations.get(cur, organization_id=actor.organization_id, id=invitation_id) is None:
        raise NotFound("No invitation with this id.")
    if invitations.revoke(cur, organization_id=actor.organization_id, id=invitation_id):
        audit.record(cur, actor, action="invitation.revoke", object_type="invitation",
                     object_id=invitation_id)


def preview(data: InvitationPreviewIn) -> InvitationPreview:
    """The organization, address and role of an open invitation, for the page that accepts it;
    the token is the proof, and nothing is changed."""
    organization_id = organization_of_token(data.token)
    if organization_id is None:
        raise Unauthorized(INVALID_LINK)
    with db.tenant_transaction(organization_id) as cur:
        invitation = invitations.find_open(cur, organization_id=organization_id,
                                           token_hash=token_hash(data.token))
        if invitation is None:
            raise Unauthorized(INVALID_LINK)
        organization = organizations.get(cur, organization_id=organization_id)
    return InvitationPreview(
        organization=Branding(name=organization["name"], subdomain=organization["subdomain"],
                              primary_color=organization["primary_color"],
                              logo_url=logo_path(organization)),
        email=invitation["email"], role=invitation["role"], expires_at=invitation["expires_at"])


def accept(data: InvitationAcceptIn, *, source_address: str | None, request_id: str,
           user_agent: str | None = None, keep_answer=None) -> LoginOut:
    """Create the invited user with the chosen password and sign them in (or, when the
    organization requires two-factor sign-in, answer with the enrollment step). The token names its
    organization; the lookup of its hash in that organization's transaction proves it.
    keep_answer (an Idempotency-Key's, see shared.endpoint) stores the answer in the same
    transaction."""
    organization_id = organization_of_token(data.token)
    if organization_id is None:
        raise Unauthorized(INVALID_LINK)
    password_hash = hash_password(data.password)
    with db.tenant_transaction(organization_id) as cur:
        invitation = invitations.take_open(cur, organization_id=organization_id,
                                           token_hash=token_hash(data.token))
        if invitation is None:
            raise Unauthorized(INVALID_LINK)
        organization = organizations.get(cur, organization_id=organization_id)
        found = passwords.all_problems(data.password, email=invitation["email"],
                                            subdomain=organization["subdomain"])
        if found:
            raise Unprocessable.for_fields({"password": found})
        if users.find_by_email(cur, organization_id=organization_id, email=invitation["email"]):
            raise Conflict("Someone in this organization already has this e-mail address.")
        limits.make_room(cur, organization_id, "users")
        user = users.insert(cur, organization_id=organization_id, email=invitation["email"],
                            password_hash=password_hash, role=invitation["role"])
        actor = Actor(organization_id, user["id"], source_address, request_id, user_agent)
        audit.record(cur, actor, action="invitation.accept", object_type="invitation",
                     object_id=invitation["id"], changes={"role": invitation["role"]})
        audit.record(cur, actor, action="user.create", object_type="user", object_id=user["id"],
                     changes={"role": invitation["role"]})
        # An organization that requires two-factor sign-in has the new user enroll first.
        session = auth.session_or_second_step(cur, actor, organization, user)
        if keep_answer:
            keep_answer(cur, organization_id, session)
        return session
