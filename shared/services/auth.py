"""Signup, sign-in, sign-out and who-am-I."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shared import audit, db, passwords, subdomains, werkzeug_hashes
from shared.devices import coarse_network
from shared.errors import Conflict, Unauthorized, Unprocessable
from shared.models.auth import (LoginIn, MeOut, PasswordChangeIn, SessionOut, SignupIn,
                                SubdomainAvailability)
from shared.models.organizations import OrganizationPublic
from shared.models.users import Role, UserPublic
from shared.problems import CONFLICTS
from shared.models.two_factor import (ChallengeIn, CodeIn, EnrolledSessionOut, EnrollConfirmIn,
                                      LoginOut, TwoFactorSetup)
from shared.repositories import organizations, plans, sessions, sign_in_challenges, users
from shared.security import (hash_password, needs_rehash, new_session_token,
                             organization_of_token, token_hash, verify_password)
from shared.services import email, throttle, two_factor
from shared.services.organization import profile_of
from shared.services.usage import standing_public
from shared.settings import get_settings
from shared.tenancy import Actor, Caller

WRONG_CREDENTIALS = "The subdomain, e-mail or password is not right."
WRONG_CODE = ("That code is not right, or was used already. Check the time on your phone and "
              "enter the newest code.")
CHALLENGE_GONE = "This sign-in has expired or was completed. Sign in again."


def open_session(cur, actor: Actor, organization: dict, user: dict) -> SessionOut:
    token = new_session_token(actor.organization_id)
    expires_at = datetime.now(timezone.utc) + timedelta(hours=get_settings().session_ttl_hours)
    session = sessions.insert(cur, organization_id=actor.organization_id, user_id=user["id"],
                              token_hash=token_hash(token), expires_at=expires_at,
                              user_agent=actor.user_agent,
                              source_network=coarse_network(actor.source_address))
    audit.record(cur, actor, action="session.create", object_type="session",
                 object_id=session["id"])
    return SessionOut(token=token, expires_at=session["expires_at"],
                      organization=OrganizationPublic.model_validate(organization),
                      user=UserPublic.model_validate(user))


def signup(data: SignupIn, *, source_address: str | None, request_id: str,
           user_agent: str | None = None, keep_answer=None) -> SessionOut:
    """Create the organization in trial with its owner, and sign the owner in.

    The new organization's id is chosen here, so the whole signup runs as an ordinary tenant
    transaction of that organization: row-level security checks every insert. keep_answer (an
    Idempotency-Key's, see shared.endpoint) stores the answer in the same transaction.

    Everything cheap is checked before the argon2 hash (19 MiB, tens of ms): the fields (the
    model), whether the subdomain is taken, the source address's signup count."""
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        if organizations.find_id_by_subdomain(cur, subdomain=data.subdomain) is not None:
            raise Conflict(CONFLICTS["organizations_subdomain_key"])
    throttle.count_signup(source_address)
    organization_id = uuid.uuid4()
    password_hash = hash_password(data.password)  # slow: before the transaction opens
    trial_ends_at = datetime.now(timezone.utc) + timedelta(days=get_settings().trial_days)
    # A subdomain taken since the check fails the unique index: the same 409.
    with db.tenant_transaction(organization_id) as cur:
        organization = organizations.insert(
            cur, organization_id=organization_id, name=data.organization_name,
            subdomain=data.subdomain, trial_ends_at=trial_ends_at)
        owner = users.insert(cur, organization_id=organization_id, email=data.email,
                             password_hash=password_hash, role=Role.owner.value)
        actor = Actor(organization_id, owner["id"], source_address, request_id, user_agent)
        audit.record(cur, actor, action="organization.create", object_type="organization",
                     object_id=organization_id,
                     changes={"name": data.organization_name, "subdomain": data.subdomain})
        audit.record(cur, actor, action="user.create", object_type="user",
                     object_id=owner["id"], changes={"role": Role.owner.value})
        email.enqueue(cur, organization_id, "welcome", data.email, {
            "link": email.link("/"), "trial_days": str(get_settings().trial_days)})
        session = open_session(cur, actor, organization, owner)
        if keep_answer:
            keep_answer(cur, organization_id, session)
        return session


def login(data: LoginIn, *, source_address: str | None, request_id: str,
          user_agent: str | None = None) -> LoginOut:
    """Sign in with subdomain, e-mail and password. Every wrong combination gets the same
    answer after the same work (one argon2 verification, one throttle update), so nothing
    tells which part was wrong or whether an address exists (subdomains are public: the
    branding page names them). Too many failures for the account, or for the source address
    when the account has not signed in from it lately: 429 until the window ends.

    With two-factor sign-in on (or required by the organization and not yet enrolled), the
    right password opens no session: the answer is the second step to take, with a
    single-use challenge. The throttle is cleared only by the code step then, so a known
    password does not reset the count of wrong codes; but the right password takes its own
    attempt back, so signing in and abandoning the code step never locks anyone out."""
    keys = throttle.keys_for(data.subdomain, data.email, source_address)
    throttle.count_sign_in(keys)  # before verifying: parallel guesses count too
    with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
        organization_id = organizations.find_id_by_subdomain(cur, subdomain=data.subdomain)
    user = None
    if organization_id is not None:
        with db.tenant_transaction(organization_id) as cur:
            user = users.find_for_sign_in(cur, organization_id=organization_id, email=data.email)
    if not verify_password(user["password_hash"] if user else None, data.password):
        raise Unauthorized(WRONG_CREDENTIALS)
    # A legacy (Werkzeug) hash is replaced now that the password is known; slow, so hashed
    # before the transaction opens.
    new_hash = hash_password(data.password) if needs_rehash(user["password_hash"]) else None
    with db.tenant_transaction(organization_id) as cur:
        organization = organizations.get(cur, organization_id=organization_id)
        actor = Actor(organization_id, user["id"], source_address, request_id, user_agent)
        if new_hash and users.replace_password_hash(
                cur, organization_id=organization_id, user_id=user["id"],
                old_hash=user["password_hash"], new_hash=new_hash):
            audit.record(cur, actor, action="user.password_rehash", object_type="user",
                         object_id=user["id"], changes={
                             "from": werkzeug_hashes.format_name(user["password_hash"]),
                             "to": "argon2id"})
        answer = session_or_second_step(cur, actor, organization, user)
    if answer.second_step is None or answer.second_step.next == "enroll":
        throttle.record_success(keys)
    else:
        throttle.take_back(keys)
    return answer


def session_or_second_step(cur, actor: Actor, organization: dict, user: dict) -> LoginOut:
    """A session, unless the user has two-factor sign-in on (the code step comes next) or the
    organization requires it and the user has none yet (enrolling comes next)."""
    if two_factor.enabled(cur, actor.organization_id, user["id"]):
        return LoginOut(second_step=two_factor.open_challenge(
            cur, actor.organization_id, user["id"], "code"))
    if organization["require_two_factor"]:
        return LoginOut(second_step=two_factor.open_challenge(
            cur, actor.organization_id, user["id"], "enroll"))
    users.mark_signed_in(cur, organization_id=actor.organization_id, user_id=user["id"])
    return LoginOut.of(open_session(cur, actor, organization, user))


def _signed_in(cur, actor: Actor) -> SessionOut:
    """The second step done (a code, or a first code confirming an enrollment): the actor's
    user signed in, their session opened."""
    users.mark_signed_in(cur, organization_id=actor.organization_id, user_id=actor.user_id)
    return open_session(cur, actor, organizations.get(cur, organization_id=actor.organization_id),
                        users.get(cur, organization_id=actor.organization_id,
                                  user_id=actor.user_id))


def _challenge(token: str, purpose: str, source_address: str | None) -> tuple[uuid.UUID, dict]:
    """The live challenge a second step names, with its user; 401 when there is none such (an
    unknown one counts against the source address, as a wrong password would)."""
    organization_id = organization_of_token(token)
    found = None
    if organization_id is not None:
        with db.tenant_transaction(organization_id) as cur:
            found = sign_in_challenges.find_live(cur, organization_id=organization_id,
                                                 token_hash=token_hash(token), purpose=purpose)
    if found is None:
        throttle.count_attempt([(throttle.address_key(source_address), throttle.ADDRESS_LIMIT)])
        raise Unauthorized(CHALLENGE_GONE)
    return organization_id, found


def login_code(data: CodeIn, *, source_address: str | None, request_id: str,
               user_agent: str | None = None) -> SessionOut:
    """The second step: a TOTP code (each used once) or a recovery code (single use) opens the
    session and spends the challenge. Wrong codes count in the sign-in throttle under the
    account's keys, as wrong passwords do; the challenge stays usable until it expires."""
    organization_id, found = _challenge(data.challenge, "code", source_address)
    keys = throttle.keys_for(found["subdomain"], found["email"], source_address)
    throttle.count_sign_in(keys)
    with db.tenant_transaction(organization_id) as cur:
        actor = Actor(organization_id, found["user_id"], source_address, request_id, user_agent)
        if not two_factor.check(cur, actor, found["user_id"], data.code):
            raise Unauthorized(WRONG_CODE)
        if not sign_in_challenges.use(cur, organization_id=organization_id,
                                      challenge_id=found["id"]):
            raise Unauthorized(CHALLENGE_GONE)  # another request spent it first
        session = _signed_in(cur, actor)
    throttle.record_success(keys)
    return session


def enroll_start(data: ChallengeIn, *, source_address: str | None,
                 request_id: str) -> TwoFactorSetup:
    """Enrolling at sign-in, when the organization requires it: a new secret for the
    challenge's user (nothing else is possible with an enrollment challenge)."""
    organization_id, found = _challenge(data.challenge, "enroll", source_address)
    with db.tenant_transaction(organization_id) as cur:
        actor = Actor(organization_id, found["user_id"], source_address, request_id)
        return two_factor.start(cur, actor, found["user_id"])


def enroll_confirm(data: EnrollConfirmIn, *, source_address: str | None, request_id: str,
                   user_agent: str | None = None) -> EnrolledSessionOut:
    """The first code confirms the secret: two-factor sign-in is on, the challenge is spent,
    and the session opens, with the recovery codes shown once."""
    organization_id, found = _challenge(data.challenge, "enroll", source_address)
    with db.tenant_transaction(organization_id) as cur:
        if not sign_in_challenges.find_live(cur, organization_id=organization_id,
                                            token_hash=token_hash(data.challenge),
                                            purpose="enroll", lock=True):
            raise Unauthorized(CHALLENGE_GONE)  # spent since
        actor = Actor(organization_id, found["user_id"], source_address, request_id, user_agent)
        codes = two_factor.confirm(cur, actor, found["user_id"], data.code)
        sign_in_challenges.use(cur, organization_id=organization_id, challenge_id=found["id"])
        session = _signed_in(cur, actor)
        return EnrolledSessionOut(**dict(session), recovery_codes=codes)


def logout(cur, actor: Actor, caller: Caller) -> None:
    """Revoke the caller's session."""
    sessions.revoke(cur, organization_id=caller.organization_id, session_id=caller.session_id)
    audit.record(cur, actor, action="session.revoke", object_type="session",
                 object_id=caller.session_id)


def change_password(cur, actor: Actor, caller: Caller, data: PasswordChangeIn) -> None:
    """Check the current password, set the new one, and sign out every other session."""
    user = users.lock(cur, organization_id=caller.organization_id, user_id=caller.user_id)
    organization = organizations.get(cur, organization_id=caller.organization_id)
    errors: dict[str, str | list[str]] = {}
    if not verify_password(user["password_hash"], data.current_password):
        errors["current_password"] = "is not right"
    found = passwords.all_problems(data.new_password, email=user["email"],
                                   subdomain=organization["subdomain"])
    if found:
        errors["new_password"] = found
    if errors:
        raise Unprocessable.for_fields(errors)
    users.set_password(cur, organization_id=caller.organization_id, user_id=caller.user_id,
                       password_hash=hash_password(data.new_password))
    revoked = sessions.revoke_all(cur, organization_id=caller.organization_id,
                                  user_id=caller.user_id, except_session_id=caller.session_id)
    audit.record(cur, actor, action="user.password_change", object_type="user",
                 object_id=caller.user_id, changes={"other_sessions_revoked": revoked})


def me(cur, caller: Caller) -> MeOut:
    organization = organizations.get(cur, organization_id=caller.organization_id)
    user = users.get(cur, organization_id=caller.organization_id, user_id=caller.user_id)
    account = plans.account(cur, organization_id=caller.organization_id)
    return MeOut(organization=profile_of(organization), user=UserPublic.model_validate(user),
                 session_expires_at=caller.session_expires_at,
                 standing=standing_public(account))


def subdomain_availability(subdomain: str) -> SubdomainAvailability:
    """Whether signup would take this subdomain now (the signup page asks as the user types)."""
    normalized = subdomains.normalize(subdomain)
    problem = subdomains.problem_with(normalized)
    if problem is None:
        with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
            if organizations.find_id_by_subdomain(cur, subdomain=normalized) is not None:
                problem = "is taken"
    return SubdomainAvailability(subdomain=normalized, available=problem is None, reason=problem)
