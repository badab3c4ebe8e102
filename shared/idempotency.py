"""Idempotent creates: a create sent again with the same `Idempotency-Key` header and the same
request within 24 hours answers what the first one answered (status, body, Location) and creates
nothing; the same key with another request is a 422. Endpoints opt in with
`@endpoint(..., idempotent=True)`; `shared.endpoint` calls this module, nowhere else does.

The key is stored in the transaction of the create, so both commit or neither does: a 503 after
a commit that went through leaves the key, and the retry replays. A second request with a key
that a first one is still working on waits for it (a transaction-level advisory lock on the
key, taken before the handler runs), then replays the first's answer, or creates if the first
failed: it never creates twice, and the primary key would refuse it if it tried. A signup runs
no transaction before its own: a second one with the key fails on the subdomain the first took,
then finds the first's answer and replays it.

A tenant's keys are its own (primary key organization + key hash, row-level security). A
signup's key is stored under the organization it created, marked anonymous, and found again
through the 'idempotent replay' scope, which reads only anonymous rows. No row is readable
without the key: the database holds its SHA-256, an HMAC of the request keyed by it, and the
answer encrypted (AES-GCM) with a key derived from it, because a signup's answer holds a
session token. A client's key is the secret here: the web app sends a random UUID.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import azure.functions as func

from shared import db, sealing
from shared.errors import BadRequest, Conflict, ServiceUnavailable, Unprocessable
from shared.repositories import idempotency as keys

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"  # "true" on an answer that is a replay
KEEP = timedelta(hours=24)
MAX_LENGTH = 255
PATTERN = r"^[\x21-\x7E]{1,255}$"  # visible ASCII: a UUID, a ULID, any token a client makes
_VALID = re.compile(PATTERN)
_KEPT_HEADERS = ("location", "content-location")


@dataclass(frozen=True)
class Key:
    """What the server keeps of a client's key and request: never the key itself."""
    key_hash: bytes       # finds the row
    fingerprint: bytes    # the request it was first used with (endpoint, body)
    cipher_key: bytes     # encrypts the stored answer
    anonymous: bool


def key_of(req: func.HttpRequest, *, operation: str, body: bytes,
           anonymous: bool) -> Key | None:
    """The request's key, None without the header; a malformed one is a 400."""
    raw = req.headers.get(HEADER.lower())
    if raw is None:
        return None
    if not _VALID.fullmatch(raw):
        raise BadRequest(f"The {HEADER} header must be 1 to {MAX_LENGTH} visible ASCII "
                         "characters (a UUID is ideal).")
    secret = raw.encode("ascii")
    scope = b"anonymous" if anonymous else b"organization"
    return Key(
        key_hash=hashlib.sha256(b"idempotency-key\0" + scope + b"\0" + secret).digest(),
        fingerprint=hmac.new(secret, operation.encode() + b"\0" + body, hashlib.sha256).digest(),
        cipher_key=hmac.new(secret, b"idempotent answer", hashlib.sha256).digest(),
        anonymous=anonymous)


def replay_or_hold(cur, organization_id: uuid.UUID, key: Key) -> func.HttpResponse | None:
    """In the tenant transaction, before the create: the first answer when the key was used
    (a 422 if with another request), else None, the key now held by this transaction."""
    keys.lock(cur, key_hash=key.key_hash)
    row = keys.find(cur, organization_id=organization_id, key_hash=key.key_hash, keep=KEEP)
    return _replay(row, key) if row else None


def remember(cur, organization_id: uuid.UUID, key: Key, response: func.HttpResponse) -> None:
    """Store the answer with the key, in the create's transaction."""
    if not keys.insert(cur, organization_id=organization_id, key_hash=key.key_hash,
                       anonymous=key.anonymous, fingerprint=key.fingerprint,
                       status=response.status_code, response=_seal(key, response), keep=KEEP):
        raise Conflict(f"Another request with this {HEADER} has just created this. Send the "
                       "request again for its answer.")


def replay_anonymous(key: Key) -> func.HttpResponse | None:
    """The first answer to an anonymous create with this key, in whichever organization it
    created; None when there is none."""
    with db.dangerously_cross_tenant_transaction(db.IDEMPOTENT_REPLAY) as cur:
        rows = keys.find_anonymous(cur, key_hash=key.key_hash, keep=KEEP)
    if not rows:
        return None
    same = [row for row in rows if hmac.compare_digest(bytes(row["fingerprint"]),
                                                       key.fingerprint)]
    return _replay(same[0] if same else rows[0], key)


def _replay(row: dict, key: Key) -> func.HttpResponse:
    if not hmac.compare_digest(bytes(row["fingerprint"]), key.fingerprint):
        raise Unprocessable(
            f"This {HEADER} was used with another request in the last 24 hours. Send a new "
            "key with a new request.",
            errors=[{"location": "header", "field": HEADER, "type": "value_error",
                     "message": "was used with another request"}])
    stored = _open(key, bytes(row["response"]))
    return func.HttpResponse(stored["body"], status_code=row["status"],
                             headers={**stored["headers"], REPLAYED: "true"},
                             mimetype=stored["mimetype"])


def _seal(key: Key, response: func.HttpResponse) -> bytes:
    plain = json.dumps({
        "mimetype": response.mimetype,
        "headers": {name: value for name, value in response.headers.items()
                    if name.lower() in _KEPT_HEADERS},
        "body": (response.get_body() or b"").decode("utf-8"),
    }).encode()
    return sealing.seal(key.cipher_key, plain, key.key_hash)


def _open(key: Key, sealed: bytes) -> dict:
    """The stored answer. It opens only with the key the client sent, bound to its row: failing,
    the row was changed behind the application's back, and the request is not replayed."""
    try:
        return json.loads(sealing.open_sealed(key.cipher_key, sealed, key.key_hash))
    except sealing.DoesNotOpen:
        log.error("a stored idempotent answer did not open: its row was changed")
        raise ServiceUnavailable(f"The answer stored for this {HEADER} cannot be read. Send the "
                                 "request again with a new key.", retry_after_seconds=1) from None
