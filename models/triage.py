"""Symptom reports and their items, alerts, the pages sent for them, escalation policies."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.vocabulary import AlertStatus, PageKind, Urgency, one_of

URGENCIES = tuple(Urgency)
ALERT_STATUSES = tuple(AlertStatus)
CASE_URGENCIES = tuple(u for u in Urgency if u is not Urgency.NONE)  # a case is never "none"


class IdempotencyRecord(db.Model):
    """A patient's Idempotency-Key: claimed before the work, holding the response after."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("patient_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # processing | done
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SymptomReport(db.Model):
    __tablename__ = "symptom_reports"
    __table_args__ = (one_of("urgency", Urgency),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    reported_at: Mapped[datetime]
    onset_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(500))  # patient free text: never in an SMS
    urgency: Mapped[str] = mapped_column(String(16))
    matched_rules: Mapped[list] = mapped_column(JSON)  # [{"rule_id", "label_section", "urgency"}]
    advice: Mapped[list] = mapped_column(JSON)  # the lines the patient was shown
    ruleset_version: Mapped[str] = mapped_column(String(32))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)

    items: Mapped[list["ReportItem"]] = relationship(
        back_populates="report", order_by="ReportItem.id"
    )


class ReportItem(db.Model):
    """One symptom or measurement of a report (PRO-CTCAE-style attributes, 0-4)."""

    __tablename__ = "report_items"
    __table_args__ = (Index("ix_report_items_patient_code", "patient_id", "symptom_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("symptom_reports.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    symptom_code: Mapped[str] = mapped_column(String(32))
    details: Mapped[list] = mapped_column(JSON, default=list)
    presence: Mapped[int | None] = mapped_column(SmallInteger)
    frequency: Mapped[int | None] = mapped_column(SmallInteger)
    severity: Mapped[int | None] = mapped_column(SmallInteger)
    interference: Mapped[int | None] = mapped_column(SmallInteger)
    value: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))  # as entered
    unit: Mapped[str | None] = mapped_column(String(4))
    site: Mapped[str | None] = mapped_column(String(16))
    normalized_value: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))  # °C or kg
    measured_at: Mapped[datetime]

    report: Mapped[SymptomReport] = relationship(back_populates="items")


class Alert(db.Model):
    """An urgent or emergency report (or lab) waiting for the care team; routine ones queue."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_escalation", "status", "next_escalation_at"),
        one_of("status", AlertStatus),
        one_of("urgency", CASE_URGENCIES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    case_code: Mapped[str] = mapped_column(String(8), unique=True)  # opaque, in SMS
    urgency: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))  # report | lab
    symptom_codes: Mapped[list] = mapped_column(JSON)
    rule_ids: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open")
    level: Mapped[int] = mapped_column(SmallInteger, default=0)  # index into the policy's levels
    round: Mapped[int] = mapped_column(SmallInteger, default=0)  # repeats of the whole policy
    policy_version: Mapped[int | None]
    link_base: Mapped[str] = mapped_column(String(200))  # console origin for the SMS links
    next_escalation_at: Mapped[datetime | None]
    exhausted_at: Mapped[datetime | None]  # every level paged, nobody acknowledged
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolution_note: Mapped[str | None] = mapped_column(String(1000))
    # E-JOIN-2: each rise in urgency starts a new paging epoch (its pages have their own keys).
    epoch: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_report_at: Mapped[datetime | None]  # the newest report or lab joined to the case
    reviewed_at: Mapped[datetime | None]  # a staff member last opened the case
    notified_at: Mapped[datetime | None]  # E-JOIN-1: the last "new report" notice was sent

    pages: Mapped[list["AlertPage"]] = relationship(back_populates="alert", order_by="AlertPage.id")

    @property
    def seen_at(self) -> datetime | None:
        """When the care team last took in the case: acknowledged, or opened since."""
        if self.acknowledged_at is None:
            return None
        return max(self.acknowledged_at, self.reviewed_at or self.acknowledged_at)

    @property
    def has_unseen_report(self) -> bool:
        """E-JOIN-1: a report joined the acknowledged case after the care team last saw it."""
        seen = self.seen_at
        return seen is not None and self.last_report_at is not None and self.last_report_at > seen


class AlertPage(db.Model):
    """One SMS to one person for an alert: a page (at one epoch, level and round), or a notice
    of a new report to whoever acknowledged it (E-JOIN-1)."""

    __tablename__ = "alert_pages"
    __table_args__ = (one_of("kind", PageKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="page")  # page | notice
    urgency: Mapped[str | None] = mapped_column(String(16))  # the urgency the SMS gave
    epoch: Mapped[int] = mapped_column(SmallInteger, default=0)
    level: Mapped[int] = mapped_column(SmallInteger)
    round: Mapped[int] = mapped_column(SmallInteger)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # None: fallback number
    phone: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    link_token: Mapped[str] = mapped_column(String(32), unique=True)
    paged_at: Mapped[datetime]

    alert: Mapped[Alert] = relationship(back_populates="pages")


class EscalationPolicy(db.Model):
    """A clinic's escalation policy; every change is a new version, the newest is in force."""

    __tablename__ = "escalation_policies"
    __table_args__ = (UniqueConstraint("clinic_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    version: Mapped[int]
    levels: Mapped[list] = mapped_column(JSON)
    repeat_count: Mapped[int] = mapped_column(SmallInteger)
    fallback_phone: Mapped[str | None] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
