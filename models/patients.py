"""Patients and the clinical facts the reminder and triage rules read."""

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.vocabulary import PatientStatus

SEXES = ("female", "male")
LANGUAGES = ("en", "es")
WEIGHT_UNITS = ("kg", "lb")
PATIENT_STATUSES = tuple(PatientStatus)
LAB_UNITS = {
    "bilirubin": ("mg/dL", "umol/L"),
    "ast": ("U/L",),
    "alt": ("U/L",),
    "alp": ("U/L",),
    "qtc": ("ms",),
}


class Patient(db.Model):
    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint("sex IN ('female', 'male')", name="sex"),
        CheckConstraint("status IN ('active', 'unenrolled')", name="status"),
        CheckConstraint("baseline_weight_unit IN ('kg', 'lb')", name="weight_unit"),
        CheckConstraint("baseline_weight_hsct_unit IN ('kg', 'lb')", name="hsct_weight_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(64))  # name or initials, never shown in SMS
    phone: Mapped[str] = mapped_column(String(16))  # E.164
    timezone: Mapped[str] = mapped_column(String(64))  # IANA
    language: Mapped[str] = mapped_column(String(8), default="en")
    sex: Mapped[str] = mapped_column(String(8))
    reproductive_potential: Mapped[bool] = mapped_column(Boolean, default=False)
    partner_reproductive_potential: Mapped[bool] = mapped_column(Boolean, default=False)
    breastfeeding: Mapped[bool] = mapped_column(Boolean, default=False)
    baseline_weight: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    baseline_weight_unit: Mapped[str] = mapped_column(String(2), default="kg")
    baseline_weight_hsct: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    baseline_weight_hsct_unit: Mapped[str] = mapped_column(String(2), default="kg")
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_consent_at: Mapped[datetime | None]
    quiet_hours_start: Mapped[time | None] = mapped_column(Time)  # None: the clinic's default
    quiet_hours_end: Mapped[time | None] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(16), default="active")
    hsct_date: Mapped[date | None] = mapped_column(Date)  # HSCT day 0
    treatment_ended_on: Mapped[date | None] = mapped_column(Date)  # makes last_dose final
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    clinic: Mapped["Clinic"] = relationship()  # noqa: F821 - resolved by the registry
    doses: Mapped[list["Dose"]] = relationship(
        back_populates="patient", order_by="Dose.administered_on"
    )


class Dose(db.Model):
    """One infusion actually given (anchor `dose_administered[i]`, clinical-rules §1.1)."""

    __tablename__ = "doses"
    __table_args__ = (
        UniqueConstraint("patient_id", "cycle", "cycle_day"),
        CheckConstraint("cycle BETWEEN 1 AND 6", name="cycle"),
        CheckConstraint("cycle_day IN (1, 8, 15)", name="cycle_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    administered_on: Mapped[date] = mapped_column(Date)  # the patient's local calendar date
    infusion_started_at: Mapped[datetime]
    infusion_ended_at: Mapped[datetime | None]
    cycle: Mapped[int] = mapped_column(SmallInteger)
    cycle_day: Mapped[int] = mapped_column(SmallInteger)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="doses")


class LabResult(db.Model):
    """A clinician-entered lab value read by the L-* rules (clinical-rules §2.4)."""

    __tablename__ = "lab_results"
    __table_args__ = (
        CheckConstraint("kind IN ('bilirubin', 'ast', 'alt', 'alp', 'qtc')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    unit: Mapped[str] = mapped_column(String(8))
    upper_limit_normal: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    collected_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
