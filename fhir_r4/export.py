"""FHIR Bulk Data export (https://hl7.org/fhir/uv/bulkdata/export.html), `Group/[id]/$export`
of a clinic's patients: the kick-off stores a job; a worker claims it and writes one NDJSON file
per resource type into FHIR_EXPORT_DIR/<job id>/; the files expire and the worker deletes them.

Unit of work of a run (`run_job`): claim (caller commits) -> per resource type: write its file,
record progress and renew the lease (caller's `commit`; a long file renews it as it goes) ->
complete. Every change after the claim is guarded by `status = 'running' AND leased_by = me`,
so a cancellation or a takeover by another worker (our lease ran out) is never overwritten: the
run stops; a cancelled job's files are removed, a taken-over job's are left to its new owner.
"""

import os
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update

from fhir_r4 import model, params, search
from fhir_r4.common import Context
from models import ExportStatus, FhirExport
from models.exports import ACTIVE

MAX_ATTEMPTS = 3
LEASE = timedelta(minutes=10)
CHUNK = 500
MICROSECOND = timedelta(microseconds=1)


def claim_next(session, *, now: datetime, worker_id: str) -> FhirExport | None:
    """The oldest queued job (or one whose worker's lease ran out), leased to us."""
    while True:
        stmt = (
            select(FhirExport)
            .where(
                or_(
                    FhirExport.status == ExportStatus.QUEUED,
                    and_(
                        FhirExport.status == ExportStatus.RUNNING,
                        FhirExport.lease_expires_at < now,
                    ),
                )
            )
            .order_by(FhirExport.created_at)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        job = session.scalars(stmt).first()
        if job is None:
            return None
        job.attempts += 1
        job.updated_at = now
        if job.attempts > MAX_ATTEMPTS:
            job.status, job.error = ExportStatus.FAILED, f"gave up after {MAX_ATTEMPTS} attempts"
            continue
        job.status, job.leased_by, job.lease_expires_at = (
            ExportStatus.RUNNING,
            worker_id,
            now + LEASE,
        )
        job.transaction_time = job.transaction_time or now
        job.progress = f"0/{len(job.types)} resource types"
        return job


def _guarded(session, job_id: str, worker_id: str, **values) -> bool:
    result = session.execute(
        update(FhirExport)
        .where(
            FhirExport.id == job_id,
            FhirExport.status == ExportStatus.RUNNING,
            FhirExport.leased_by == worker_id,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _write(session, ctx: Context, resource_type: str, parsed: dict, path: Path, heartbeat) -> int:
    keys = search.all_keys(session, ctx, resource_type, parsed)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    with partial.open("w", encoding="utf-8") as out:
        for start in range(0, len(keys), CHUNK):  # itertools.batched needs Python 3.12
            chunk = keys[start : start + CHUNK]
            for resource in search.TYPES[resource_type].load(session, ctx, chunk):
                out.write(model.to_json(resource) + "\n")
            heartbeat()
    os.replace(partial, path)
    return len(keys)


def _discard(session, job_id: str, folder: Path) -> None:
    """Remove the files unless another worker now holds the job (it rewrites them)."""
    status = session.scalar(select(FhirExport.status).where(FhirExport.id == job_id))
    if status != ExportStatus.RUNNING:
        shutil.rmtree(folder, ignore_errors=True)


class _LeaseLost(Exception):
    """Cancelled, or taken over by another worker after our lease ran out."""


class _Stopped(Exception):
    """The worker is shutting down: the job went back to the queue."""


def run_job(
    session, job: FhirExport, *, directory, hours: int, worker_id: str, now_fn, commit, stop=None
):
    """Write the job's files (see the module docstring for the commit points). True when the
    job completed; False when it was cancelled or taken over meanwhile, or `stop` (a
    threading.Event: the worker is shutting down) was set, which queues it again at once."""
    job_id, types, folder = job.id, list(job.types), Path(directory) / job.id
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context(job.base_url, job.clinic_id, ZoneInfo("UTC"))
    snapshot = job.transaction_time  # nothing changed after it is exported
    parsed = {"_lastUpdated": [params.DateValue("le", snapshot, snapshot + MICROSECOND)]}
    if job.since is not None:  # changed after _since (the previous export's transactionTime)
        after = job.since + MICROSECOND
        parsed["_lastUpdated"].append(params.DateValue("ge", after, after))
    renewed = [now_fn()]

    def checkpoint(**values):
        now = now_fn()
        if not _guarded(
            session, job_id, worker_id, updated_at=now, lease_expires_at=now + LEASE, **values
        ):
            raise _LeaseLost
        commit()
        renewed[0] = now

    def heartbeat():  # a long file: keep the lease, or give the job back on shutdown
        if stop is not None and stop.is_set():
            checkpoint(status=ExportStatus.QUEUED, leased_by=None, progress="queued")
            raise _Stopped
        if now_fn() - renewed[0] > LEASE / 2:
            checkpoint()

    output = []
    try:
        for index, resource_type in enumerate(types):
            path = folder / f"{resource_type}.ndjson"
            output.append(
                {
                    "type": resource_type,
                    "count": _write(session, ctx, resource_type, parsed, path, heartbeat),
                }
            )
            checkpoint(progress=f"{index + 1}/{len(types)} resource types")
        now = now_fn()
        checkpoint(
            status=ExportStatus.COMPLETE,
            output=output,
            completed_at=now,
            expires_at=now + timedelta(hours=hours),
            progress="complete",
            leased_by=None,
        )
        return True
    except _Stopped:
        return False
    except _LeaseLost:
        session.rollback()
        _discard(session, job_id, folder)
        return False
    except Exception as exc:
        session.rollback()
        failed = dict(status=ExportStatus.FAILED, error=type(exc).__name__[:200], leased_by=None)
        _guarded(session, job_id, worker_id, updated_at=now_fn(), **failed)
        commit()
        _discard(session, job_id, folder)
        raise


def delete_stale_files(session, *, directory, now: datetime) -> int:
    """Expire completed jobs past their time; delete every folder that is not a live job's."""
    session.execute(
        update(FhirExport)
        .where(FhirExport.status == ExportStatus.COMPLETE, FhirExport.expires_at <= now)
        .values(status=ExportStatus.EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    root = Path(directory)
    if not root.is_dir():
        return 0
    folders = {p.name: p for p in root.iterdir() if p.is_dir()}
    live = set(
        session.scalars(
            select(FhirExport.id).where(
                FhirExport.id.in_(folders),
                FhirExport.status.in_([*ACTIVE, ExportStatus.COMPLETE]),
            )
        )
    )
    for name in set(folders) - live:
        shutil.rmtree(folders[name], ignore_errors=True)
    return len(set(folders) - live)
