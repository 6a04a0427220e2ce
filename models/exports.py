"""FHIR Bulk Data export jobs: requested by a clinic's staff, run by a worker, expiring."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)
_STATUSES = ", ".join(f"'{s}'" for s in ExportStatus)


class FhirExport(db.Model):
    """One `Group/[id]/$export`: its files are NDJSON, one per resource type, in
    FHIR_EXPORT_DIR/<id>/, served only to staff of the same clinic until `expires_at`."""

    __tablename__ = "fhir_exports"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        Index("ix_fhir_exports_status", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # opaque, in the status URL
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    request_url: Mapped[str] = mapped_column(String(2000))  # the kick-off URL, for the manifest
    base_url: Mapped[str] = mapped_column(String(200))  # resource URLs and identifier systems
    types: Mapped[list] = mapped_column(JSON)
    since: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.QUEUED)
    progress: Mapped[str | None] = mapped_column(String(64))  # for X-Progress
    output: Mapped[list | None] = mapped_column(JSON)  # [{"type", "count"}] once complete
    error: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    transaction_time: Mapped[datetime | None]  # the export's snapshot instant
    completed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
