"""Two-factor sign-in (TOTP, RFC 6238): enrolling, checking a code, recovery codes, turning it
off, and an owner's requirement for the whole organization. The arithmetic is in shared.totp;
secrets are sealed (shared.sealing) under the TOTP_ENCRYPTION_KEY setting."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone

from shared import audit, sealing, totp
from shared.errors import Conflict, ServiceUnavailable, Unprocessable
from shared.models.two_factor import (PasswordAndCodeIn, RecoveryCodes, RequirementIn,
                                      RequirementOut, SecondStep, TwoFactorSetup, TwoFactorStatus)
from shared.repositories import organizations, sessions, sign_in_challenges, two_factor, users
from shared.security import new_session_token, token_hash, verify_password
from shared.services import throttle
from shared.settings import get_settings
from shared.tenancy import Actor, Caller

# Long enough to type a code; an enrollment needs time to install an app.
CHALLENGE_TTL = {"code": timedelta(minutes=5), "enroll": timedelta(minutes=15)}
WRONG_AGAIN = "The password or the code is wrong."
NOT_RIGHT = ("That code is not right. Check that the time on your phone is set automatically, "
             "and enter the newest code.")
log = logging.getLogger(__name__)


def _key() -> bytes:
    key = get_settings().totp_key
    if key is None:
        raise ServiceUnavailable("Two-factor sign-in is not configured on this server "
                                 "(TOTP_ENCRYPTION_KEY).", retry_after_seconds=3600)
    return key


def _bound(organization_id: uuid.UUID, user_id: uuid.UUID) -> bytes:
    """What a sealed secret is bound to: copied into another user's row, it does not open."""
    return f"totp:{organization_id}:{user_id}".encode()


def _secret(credential: dict, organization_id: uuid.UUID) -> str:
    """503 when it does not open: the configured key is not the one it was sealed with (wrong,
    or rotated without re-sealing), which the server's operator fixes, not the user."""
    try:
        return sealing.open_sealed(_key(), bytes(credential["secret_sealed"]),
                                   _bound(organization_id, credential["user_id"])).decode()
    except sealing.DoesNotOpen:
        log.error("a sealed two-factor key did not open: TOTP_ENCRYPTION_KEY is not the key it "
                  "was sealed with (wrong or rotated), or the value was copied from another row")
        raise ServiceUnavailable("Two-factor sign-in is unavailable: this server's "
                                 "TOTP_ENCRYPTION_KEY does not open the stored keys. Try again "
                                 "later.", retry_after_seconds=3600) from None


def enabled(cur, organization_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    credential = two_factor.find(cur, organization_id=organization_id, user_id=user_id)
    return credential is not None and credential["confirmed_at"] is not None


def status(cur, caller: Caller) -> TwoFactorStatus:
    credential = two_factor.find(cur, organization_id=caller.organization_id,
                                 user_id=caller.user_id)
    confirmed_at = credential["confirmed_at"] if credential else None
    organization = organizations.get(cur, organization_id=caller.organization_id)
    return TwoFactorStatus(
        enabled=confirmed_at is not None, confirmed_at=confirmed_at,
        recovery_codes_left=two_factor.recovery_codes_left(
            cur, organization_id=caller.organization_id, user_id=caller.user_id),
        required_by_organization=organization["require_two_factor"])


def start(cur, actor: Actor, user_id: uuid.UUID) -> TwoFactorSetup:
    """A new secret for the user, not in force until a first code confirms it (an earlier
    unconfirmed one is replaced). The secret is shown now and kept only sealed."""
    organization_id = actor.organization_id
    if enabled(cur, organization_id, user_id):
        raise Conflict("Two-factor sign-in is already on. Turn it off first to move it to "
                       "another device.")
    user = users.get(cur, organization_id=organization_id, user_id=user_id)
    organization = organizations.get(cur, organization_id=organization_id)
    secret = totp.new_secret()
    two_factor.put_pending(cur, organization_id=organization_id, user_id=user_id,
                           secret_sealed=sealing.seal(_key(), secret.encode(),
                                                      _bound(organization_id, user_id)))
    audit.record(cur, actor, action="two_factor.enroll", object_type="user", object_id=user_id)
    uri = totp.provisioning_uri(secret, account=user["email"],
                                issuer=f"{totp.ISSUER} ({organization['subdomain']})")
    return TwoFactorSetup(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))


def confirm(cur, actor: Actor, user_id: uuid.UUID, code: str) -> list[str]:
    """Turn the enrolled secret on with a first code; the ten recovery codes, shown once."""
    organization_id = actor.organization_id
    credential = two_factor.find(cur, organization_id=organization_id, user_id=user_id,
                                 lock=True)
    if credential is None:
        raise Conflict("Start enrolling first: there is no secret to confirm.")
    if credential["confirmed_at"] is not None:
        raise Conflict("Two-factor sign-in is already on.")
    step = totp.matching_step(_secret(credential, organization_id), code, after=0)
    if step is None:
        raise Unprocessable(NOT_RIGHT, errors=[{"location": "body", "field": "code",
                                                "message": NOT_RIGHT, "type": "value_error"}])
    two_factor.confirm(cur, organization_id=organization_id, user_id=user_id, step=step)
    audit.record(cur, actor, action="two_factor.confirm", object_type="user", object_id=user_id)
    return _new_recovery_codes(cur, organization_id, user_id)


def _new_recovery_codes(cur, organization_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
    codes = totp.new_recovery_codes()
    two_factor.replace_recovery_codes(cur, organization_id=organization_id, user_id=user_id,
                                      code_hashes=[totp.recovery_code_hash(c) for c in codes])
    return codes


def check(cur, actor: Actor, user_id: uuid.UUID, code: str) -> bool:
    """Whether the code is a current TOTP code not used before, or an unused recovery code; a
    right one is spent (its time step remembered, or the recovery code marked used). The
    caller's transaction rolls a spent code back if it then fails for another reason."""
    organization_id = actor.organization_id
    credential = two_factor.find(cur, organization_id=organization_id, user_id=user_id,
                                 lock=True)
    if credential is None or credential["confirmed_at"] is None:
        return False
    if totp.is_totp_code(code):
        step = totp.matching_step(_secret(credential, organization_id), code,
                                  after=credential["last_used_step"])
        return step is not None and two_factor.use_step(
            cur, organization_id=organization_id, user_id=user_id, step=step)
    used = two_factor.use_recovery_code(cur, organization_id=organization_id, user_id=user_id,
                                        code_hash=totp.recovery_code_hash(code))
    if used is None:
        return False
    audit.record(cur, actor, action="two_factor.recovery_code_use", object_type="user",
                 object_id=user_id, changes={"recovery_codes_left": two_factor.recovery_codes_left(
                     cur, organization_id=organization_id, user_id=user_id)})
    return True


def reauthenticate(cur, actor: Actor, caller: Caller, password: str | None,
                   code: str | None) -> dict:
    """The password again, and a code when the user's two-factor sign-in is on, before what a
    stolen session must not do alone (turn it off, new recovery codes, lift the organization's
    requirement, close the organization); the user's row, locked. Each try counts in the
    account's sign-in throttle, as a sign-in does (429 past its limit, a success clears it);
    the code is checked only once the password is right, and one answer says either was wrong,
    so a guess learns nothing about the other factor."""
    organization_id = caller.organization_id
    user = users.lock(cur, organization_id=organization_id, user_id=caller.user_id)
    needs_code = enabled(cur, organization_id, caller.user_id)
    missing = {field: "is required to confirm it is you" for field, absent in
               (("password", not password), ("code", needs_code and not code)) if absent}
    if missing:
        raise Unprocessable.for_fields(missing)
    keys = throttle.keys_for(organizations.get(cur, organization_id=organization_id)["subdomain"],
                             user["email"], actor.source_address)
    throttle.count_sign_in(keys)  # before verifying: parallel guesses count too
    if not (verify_password(user["password_hash"], password)
            and (not needs_code or check(cur, actor, caller.user_id, code))):
        fields = ("password", "code") if needs_code else ("password",)
        raise Unprocessable(WRONG_AGAIN, errors=[
            {"location": "body", "field": field, "message": WRONG_AGAIN, "type": "value_error"}
            for field in fields])
    throttle.record_success(keys)
    return user


def regenerate(cur, actor: Actor, caller: Caller, data: PasswordAndCodeIn) -> RecoveryCodes:
    if not enabled(cur, caller.organization_id, caller.user_id):
        raise Conflict("Two-factor sign-in is off: there are no recovery codes to replace.")
    reauthenticate(cur, actor, caller, data.password, data.code)
    codes = _new_recovery_codes(cur, caller.organization_id, caller.user_id)
    audit.record(cur, actor, action="two_factor.recovery_codes_regenerate", object_type="user",
                 object_id=caller.user_id)
    return RecoveryCodes(recovery_codes=codes)


def disable(cur, actor: Actor, caller: Caller, data: PasswordAndCodeIn) -> None:
    # The organization's row locked first, as set_requirement locks it: a requirement turned
    # on meanwhile is seen here (and refuses), never a user left with a session and no factor.
    organization = organizations.get(cur, organization_id=caller.organization_id, lock=True)
    if not enabled(cur, caller.organization_id, caller.user_id):
        raise Conflict("Two-factor sign-in is already off.")
    if organization["require_two_factor"]:
        raise Conflict("This organization requires two-factor sign-in; an owner can lift the "
                       "requirement.")
    reauthenticate(cur, actor, caller, data.password, data.code)
    two_factor.delete(cur, organization_id=caller.organization_id, user_id=caller.user_id)
    audit.record(cur, actor, action="two_factor.disable", object_type="user",
                 object_id=caller.user_id)


def set_requirement(cur, actor: Actor, caller: Caller, data: RequirementIn) -> RequirementOut:
    """An owner requires two-factor sign-in of everyone (or no longer does). Turned on, the
    sessions of users without it end: their next sign-in asks them to enroll first. Lifting it
    takes the password and a code (a stolen session must not weaken everyone's sign-in);
    turning it on does not: it only asks more of every sign-in, and the owner must have it on.
    The organization's row is locked first, as disable locks it: users who turn theirs off
    meanwhile are counted and signed out here, or refused there."""
    organization_id = caller.organization_id
    organization = organizations.get(cur, organization_id=organization_id, lock=True)
    if not data.required and organization["require_two_factor"]:
        reauthenticate(cur, actor, caller, data.password, data.code)
    if data.required and not enabled(cur, organization_id, caller.user_id):
        raise Conflict("Turn on two-factor sign-in for yourself first (Settings > Two-factor "
                       "sign-in): an owner who requires it must have it.")
    organizations.set_require_two_factor(cur, organization_id=organization_id,
                                         required=data.required)
    without = two_factor.users_without(cur, organization_id=organization_id)
    revoked = 0
    if data.required:
        for user_id in without:
            revoked += sessions.revoke_all(cur, organization_id=organization_id, user_id=user_id)
    audit.record(cur, actor, action="organization.two_factor_requirement",
                 object_type="organization", object_id=organization_id,
                 changes={"required": data.required, "sessions_revoked": revoked})
    return RequirementOut(required=data.required, users_without=len(without))


def open_challenge(cur, organization_id: uuid.UUID, user_id: uuid.UUID,
                   purpose: str) -> SecondStep:
    """The password step's answer when a second step is needed: a single-use token (its hash
    alone kept) that names the organization, as a session token does."""
    token = new_session_token(organization_id)
    row = sign_in_challenges.insert(
        cur, organization_id=organization_id, user_id=user_id, token_hash=token_hash(token),
        purpose=purpose, expires_at=datetime.now(timezone.utc) + CHALLENGE_TTL[purpose])
    return SecondStep(next=purpose, challenge=token, expires_at=row["expires_at"])
