"""Bulk Data export: `Group/[id]/$export` kick-off, the status URL (poll, cancel) and the
NDJSON files, for staff of the clinic that asked."""

import re
from email.utils import format_datetime

from flask import Blueprint, current_app, request, send_file
from flask_jwt_extended import current_user

from api.audit import audit
from api.auth.guards import STAFF, roles_required
from api.fhir.responses import fhir_response, negotiate
from api.fhir.routes import group_of_mine
from api.urls import base_url
from fhir_r4 import bulk
from fhir_r4.bundles import information, outcome
from fhir_r4.errors import Gone, InvalidRequest
from models import FhirExport, db, utcnow
from models.errors import NotFound

JOB = "<string(length=32):job_id>"
JOB_ID = re.compile(r"[0-9a-f]{32}")  # anything else (a NUL byte...) never reaches the database
bp = Blueprint("fhir_bulk", __name__, url_prefix="/fhir/R4")
bp.before_request(negotiate)


def export_of_mine(job_id: str, action: str, *, finished: bool = False) -> FhirExport:
    """The caller's clinic's export: another clinic's, a cancelled and a missing one are the
    same 404 (audited); an expired one is 410."""
    well_formed = JOB_ID.fullmatch(job_id) is not None
    job = db.session.get(FhirExport, job_id) if well_formed else None
    state = bulk.status_of(job, current_user.clinic_id, utcnow())
    if state == "missing" or (finished and state not in ("done", "gone")):
        audit(action, target=f"export:{job_id if well_formed else '?'}", outcome="denied")
        raise NotFound("Export not found.")
    if state == "gone":
        raise Gone("The export has expired and its files are deleted; start a new one.")
    return job


@bp.get("/Group/<int:group_id>/$export")
@roles_required(*STAFF)
def export_group(group_id):
    """Start a Bulk Data export of the clinic's patients (needs Prefer: respond-async)"""
    group_of_mine(group_id, "fhir.export.kickoff")
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise InvalidRequest("Prefer", "$export runs asynchronously: send Prefer: respond-async.")
    now, base = utcnow(), base_url()
    types, since = bulk.parse_kickoff(dict(request.args.lists()), now)
    job = bulk.kick_off(
        db.session,
        clinic_id=current_user.clinic_id,
        staff_id=current_user.id,
        request_url=base + request.full_path.rstrip("?"),
        base_url=base,
        types=types,
        since=since,
        now=now,
    )
    audit("fhir.export.kickoff", target=f"export:{job.id}", detail={"types": types})
    db.session.commit()
    status_url = f"{base}/fhir/R4/bulk-status/{job.id}"
    accepted = information(f"Export accepted; poll {status_url}.")
    return fhir_response(accepted, 202, {"Content-Location": status_url})


@bp.get(f"/bulk-status/{JOB}")
@roles_required(*STAFF)
def export_status(job_id):
    """Poll an export: 202 with X-Progress while it runs, 200 with the manifest when done"""
    job = export_of_mine(job_id, "fhir.export.status")
    state = bulk.status_of(job, current_user.clinic_id, utcnow())
    db.session.commit()
    if state == "failed":
        return fhir_response(
            outcome(500, f"The export failed ({job.error}); start a new one."), 500
        )
    if state == "running":
        headers = {"X-Progress": job.progress or job.status, "Retry-After": "5"}
        return fhir_response(information(f"Export {job.status}."), 202, headers)
    response = current_app.json.response(bulk.manifest(job))
    response.headers["Expires"] = format_datetime(job.expires_at, usegmt=True)
    return response


@bp.delete(f"/bulk-status/{JOB}")
@roles_required(*STAFF)
def cancel_export(job_id):
    """Cancel an export (or delete a finished one's files before they expire)"""
    job = export_of_mine(job_id, "fhir.export.cancel")
    bulk.cancel(job, now=utcnow())
    audit("fhir.export.cancel", target=f"export:{job.id}")
    db.session.commit()
    return fhir_response(information("Export cancelled; its files will be deleted."), 202)


@bp.get(f"/bulk-files/{JOB}/<string(maxlength=40):file_name>")
@roles_required(*STAFF)
def export_file(job_id, file_name):
    """Download one NDJSON file of a finished export"""
    job = export_of_mine(job_id, "fhir.export.download", finished=True)
    resource_type = file_name.removesuffix(".ndjson")
    path = bulk.file_path(job, resource_type, current_app.config["FHIR_EXPORT_DIR"])
    if path is None or not file_name.endswith(".ndjson"):
        raise NotFound("Export file not found.")
    count = next(o["count"] for o in job.output if o["type"] == resource_type)
    detail = {"type": resource_type, "count": count}
    audit("fhir.export.download", target=f"export:{job.id}", detail=detail)
    db.session.commit()
    response = send_file(path, mimetype="application/fhir+ndjson", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
