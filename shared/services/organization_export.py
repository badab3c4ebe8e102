"""Everything an organization holds, out: an owner asks, the `build_data_exports` timer builds
a zip in the background (a large organization never holds a request open), an e-mail says it is
ready, and an owner downloads it within 24 hours. Requests and downloads are audited.

The zip: one CSV per table of the organization (formula-safe, shared.csv_export), the
organization itself and the admissions (their evaluations nested) as JSON, and manifest.json
with each file's rows, bytes and sha256. Which tables: every table with an organization_id, read
from the catalog when the export is built, so a table added later is exported too; secrets
(password and token hashes) are left out by column, and the few tables that are not the
organization's data are named in LEFT_OUT with the reason."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

from pydantic_core import to_jsonable_python

from shared import audit, csv_export, db
from shared.errors import Conflict, Gone, NotFound
from shared.models.exports import DataExportList, DataExportPublic
from shared.repositories import data_exports, users
from shared.services import email
from shared.tenancy import Actor, Caller

log = logging.getLogger(__name__)
KEEP_FOR = timedelta(hours=24)
MAX_ATTEMPTS = 3  # a build the host stops at its time limit is not tried for ever
EXPORTS_PATH = "/#settings"
# Columns that are secrets, never exported (hashes of passwords and of single-use tokens).
SECRET_COLUMNS = {"users": {"password_hash"}, "sessions": {"token_hash"},
                  "invitations": {"token_hash"}, "password_resets": {"token_hash"},
                  "two_factor_credentials": {"secret_sealed"}, "recovery_codes": {"code_hash"},
                  "sign_in_challenges": {"token_hash"}}
# Columns in JSON only: an admission's evaluation is nested and can outgrow a spreadsheet's cell.
JSON_ONLY_COLUMNS = {"admissions": {"evaluation"}}
# Tenant tables that are not the organization's data, with why.
LEFT_OUT = {
    "data_exports": "the exports themselves (an export inside the next one)",
    "legacy_id_map": "the legacy move's internal id map; the functions have no access to it",
}


def request(cur, actor: Actor, caller: Caller) -> DataExportPublic:
    if data_exports.find_requested(cur, organization_id=caller.organization_id):
        raise Conflict("An export is already being prepared; it is e-mailed when ready.")
    row = data_exports.insert(cur, organization_id=caller.organization_id,
                              requested_by=caller.user_id)
    audit.record(cur, actor, action="data_export.request", object_type="data_export",
                 object_id=row["id"])
    return DataExportPublic.model_validate(row)


def list_recent(cur, caller: Caller) -> DataExportList:
    rows = data_exports.list_recent(cur, organization_id=caller.organization_id)
    return DataExportList(items=[DataExportPublic.model_validate(row) for row in rows])


def download(cur, actor: Actor, caller: Caller, export_id: uuid.UUID):
    """The zip as a download, audited; 404 for none (or another organization's), 409 while it is
    being prepared, 410 once expired."""
    import azure.functions as func
    row = data_exports.get_content(cur, organization_id=caller.organization_id, id=export_id)
    if row is None:
        raise NotFound("No export with this id.")
    if row["status"] == "requested":
        raise Conflict("This export is still being prepared; it is e-mailed when ready.")
    if row["status"] != "ready" or row["expires_at"] <= datetime.now(timezone.utc):
        raise Gone("This export has expired (or failed). Ask for a new one.")
    audit.record(cur, actor, action="data_export.download", object_type="data_export",
                 object_id=export_id, changes={"sha256": row["sha256"]})
    name = f"export-{row['ready_at']:%Y%m%d-%H%M%S}.zip"
    return func.HttpResponse(bytes(row["content"]), status_code=200, mimetype="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- the timer ----------------------------------------------------------------------------

def build_due(now: datetime | None = None) -> dict[str, int]:
    """Build every requested export, each in its own organization's tenant transaction; a
    failure marks that one failed (the owner asks again) and the others go on."""
    with db.dangerously_cross_tenant_transaction(db.DATA_EXPORT_QUEUE) as cur:
        waiting = data_exports.list_requested(cur)
    counts = {"built": 0, "failed": 0}
    for item in waiting:
        try:
            # Counted in its own transaction first: a build the host stops half-way leaves
            # nothing else behind, but it counts.
            with db.tenant_transaction(item["organization_id"]) as cur:
                attempt = data_exports.begin_attempt(cur, organization_id=item["organization_id"],
                                                     id=item["id"])
            if attempt is None:
                continue  # built, or being built by another run
            if attempt > MAX_ATTEMPTS:
                raise RuntimeError(f"not built in {MAX_ATTEMPTS} attempts")
            with db.tenant_transaction(item["organization_id"]) as cur:
                counts["built"] += _build(cur, item["organization_id"], item["id"], now)
        except Exception:  # noqa: BLE001 - recorded as failed; the owner can ask again
            log.exception("data export %s of organization %s failed", item["id"],
                          item["organization_id"])
            with db.tenant_transaction(item["organization_id"]) as cur:
                data_exports.mark_failed(cur, organization_id=item["organization_id"],
                                         id=item["id"])
            counts["failed"] += 1
    if waiting:
        log.info("data exports: %s", counts)
    return counts


def _build(cur, organization_id: uuid.UUID, export_id: uuid.UUID, now: datetime | None) -> int:
    export = data_exports.lock_requested(cur, organization_id=organization_id, id=export_id)
    if export is None:
        return 0  # another run has it, or had it
    now = now or datetime.now(timezone.utc)
    content = build_zip(cur, organization_id, now)
    digest = hashlib.sha256(content).hexdigest()
    expires_at = now + KEEP_FOR
    data_exports.mark_ready(cur, organization_id=organization_id, id=export_id, content=content,
                            sha256=digest, expires_at=expires_at)
    requester = users.get(cur, organization_id=organization_id, user_id=export["requested_by"])
    if requester and requester["is_active"]:
        email.enqueue(cur, organization_id, "data_export_ready", requester["email"], {
            "link": email.link(EXPORTS_PATH), "size": _size(len(content)),
            "requested_at": f"{export['requested_at']:%B %-d, %Y %H:%M} UTC",
            "expires_at": f"{expires_at:%B %-d, %Y %H:%M} UTC"})
    return 1


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 100_000 else f"{count / 1000:.0f} KB"


class _Archive:
    """The zip being written, with each file's rows, bytes and sha256 for the manifest."""

    def __init__(self):
        self.out = io.BytesIO()
        # The fastest deflate: half the build time for about half again the size (measured on
        # 4,000 admissions), as the build races the host's time limit.
        self.zip = zipfile.ZipFile(self.out, "w", compression=zipfile.ZIP_DEFLATED,
                                   compresslevel=1)
        self.files: list[dict] = []

    def add(self, name: str, content: bytes, rows: int) -> None:
        self.zip.writestr(name, content)
        self.files.append({"name": name, "rows": rows, "bytes": len(content),
                           "sha256": hashlib.sha256(content).hexdigest()})

    def add_json_rows(self, name: str, rows) -> None:
        """A JSON array of rows given as JSON text, streamed into the zip."""
        digest, size, count = hashlib.sha256(), 0, 0
        with self.zip.open(name, "w") as entry:
            def write(part: bytes) -> None:
                nonlocal size
                entry.write(part)
                digest.update(part)
                size += len(part)
            write(b"[")
            for text in rows:
                write((b",\n" if count else b"\n") + text.encode())
                count += 1
            write(b"\n]\n")
        self.files.append({"name": name, "rows": count, "bytes": size,
                           "sha256": digest.hexdigest()})

    def close(self, manifest: dict) -> bytes:
        self.zip.writestr("manifest.json", _json({**manifest, "files": self.files}, indent=1))
        self.zip.close()
        return self.out.getvalue()


def build_zip(cur, organization_id: uuid.UUID, now: datetime) -> bytes:
    archive = _Archive()
    organization = _organization(cur, organization_id)
    logo = organization.pop("logo", None)
    archive.add("organization.json", _json(organization, indent=1), 1)
    archive.add("organization.csv", _csv(list(organization), [organization]), 1)
    if logo is not None:
        extension = (organization.get("logo_content_type") or "").split("/")[-1].split("+")[0]
        archive.add(f"logo.{extension or 'bin'}", bytes(logo), 1)
    for table in data_exports.tenant_tables(cur):
        if table in LEFT_OUT:
            continue
        columns = [c for c in data_exports.columns_of(cur, table)
                   if c not in SECRET_COLUMNS.get(table, set())]
        flat = [c for c in columns if c not in JSON_ONLY_COLUMNS.get(table, set())]
        rows = data_exports.rows_of(cur, organization_id=organization_id, table=table,
                                    columns=flat)
        archive.add(f"{table}.csv", _csv(flat, rows), len(rows))
        if table in JSON_ONLY_COLUMNS:  # nested documents: JSON keeps their shape
            archive.add_json_rows(f"{table}.json", data_exports.rows_as_json(
                cur, organization_id=organization_id, table=table, columns=columns))
    return archive.close({
        "organization_id": str(organization_id), "subdomain": organization["subdomain"],
        "generated_at": now.isoformat(), "format": "One CSV per table (UTF-8, a header row; a "
        "cell a spreadsheet would run as a formula starts with an apostrophe); JSON as "
        "exported. admissions.json holds the admissions with their evaluations, which "
        "admissions.csv leaves out. Secrets (password and token hashes) are never exported.",
        "left_out": LEFT_OUT})


def _organization(cur, organization_id: uuid.UUID) -> dict:
    columns = data_exports.columns_of(cur, "organizations")
    rows = data_exports.rows_of(cur, organization_id=organization_id, table="organizations",
                                columns=columns, key="id")
    return dict(rows[0])


def _csv(columns: list[str], rows) -> bytes:
    return csv_export.render(columns, ([row[c] for c in columns] for row in rows)).encode()


def _json(value, indent: int | None = None) -> bytes:
    # Compact unless asked: an indent makes json use its pure-Python encoder, ten times slower
    # on the admissions' nested evaluations.
    return json.dumps(to_jsonable_python(value, bytes_mode="base64"), indent=indent,
                      default=str).encode()
