"""Bulk Data export requests (https://hl7.org/fhir/uv/bulkdata/export.html): kick-off
parameters, the job row, its status, cancellation, the manifest and the files. The worker's
side (running and deleting) is fhir_r4/export.py."""

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from fhir_r4 import params
from fhir_r4.common import instant
from fhir_r4.errors import InvalidRequest, TooManyExports
from models import ExportStatus, FhirExport
from models.errors import DomainError
from models.exports import ACTIVE

TYPES = ("Patient", "Observation", "Flag", "Communication")
FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
KICKOFF_PARAMS = ("_type", "_since", "_outputFormat")
MAX_ACTIVE = 3  # queued or running exports per clinic
CLOCK_SKEW = timedelta(minutes=5)


def parse_kickoff(args: dict[str, list[str]], now: datetime) -> tuple[list[str], datetime | None]:
    for name in args:
        if name not in KICKOFF_PARAMS:
            raise InvalidRequest(name, f"$export does not support {name!r}.")
    fmt = (args.get("_outputFormat") or ["application/fhir+ndjson"])[-1]
    if fmt not in FORMATS:
        raise InvalidRequest("_outputFormat", "_outputFormat must be application/fhir+ndjson.")
    types = [t for value in args.get("_type", []) for t in value.split(",")] or list(TYPES)
    unknown = sorted(set(types) - set(TYPES))
    if unknown:
        raise InvalidRequest("_type", f"Not exported: {', '.join(unknown)} (see metadata).")
    since = None
    if args.get("_since"):
        raw = args["_since"][-1]
        if "T" not in raw:
            raise InvalidRequest("_since", "_since must be an instant, e.g. 2026-01-05T00:00:00Z.")
        since = params.date_value("_since", raw, ZoneInfo("UTC")).low
        if since > now + CLOCK_SKEW:
            raise DomainError("_since is in the future: no resource can have changed since.")
    return list(dict.fromkeys(types)), since


def kick_off(session, *, clinic_id, staff_id, request_url, base_url, types, since, now):
    active = session.scalar(
        select(func.count()).where(FhirExport.clinic_id == clinic_id, FhirExport.status.in_(ACTIVE))
    )
    if active >= MAX_ACTIVE:
        raise TooManyExports(f"{active} exports are already running for this clinic.")
    job = FhirExport(
        id=uuid.uuid4().hex,
        clinic_id=clinic_id,
        requested_by_id=staff_id,
        request_url=request_url[:2000],
        base_url=base_url,
        types=types,
        since=since,
        status=ExportStatus.QUEUED,
        progress="queued",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    return job


def status_of(job: FhirExport | None, clinic_id: int, now: datetime) -> str:
    """missing (404: none, another clinic's, cancelled) | gone (410) | failed | running | done."""
    if job is None or job.clinic_id != clinic_id or job.status == ExportStatus.CANCELLED:
        return "missing"
    if job.status == ExportStatus.EXPIRED or (job.expires_at and job.expires_at <= now):
        return "gone"
    if job.status == ExportStatus.FAILED:
        return "failed"
    return "done" if job.status == ExportStatus.COMPLETE else "running"


def cancel(job: FhirExport, *, now: datetime) -> None:
    job.status, job.updated_at, job.leased_by = ExportStatus.CANCELLED, now, None


def manifest(job: FhirExport) -> dict:
    base = f"{job.base_url}/fhir/R4/bulk-files/{job.id}"
    return {
        "transactionTime": instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": o["type"], "url": f"{base}/{o['type']}.ndjson", "count": o["count"]}
            for o in job.output or []
        ],
        "error": [],
    }


def file_path(job: FhirExport, resource_type: str, directory) -> Path | None:
    if resource_type not in {o["type"] for o in job.output or []}:
        return None
    path = Path(directory) / job.id / f"{resource_type}.ndjson"
    return path if path.is_file() else None
