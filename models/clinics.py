"""Clinics and their staff."""

from datetime import datetime, time

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow

STAFF_ROLES = ("admin", "clinician")


class Clinic(db.Model):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    # Default quiet hours for the clinic's patients (local time), PROPOSED 21:00-08:00.
    quiet_hours_start: Mapped[time] = mapped_column(Time, default=time(21, 0))
    quiet_hours_end: Mapped[time] = mapped_column(Time, default=time(8, 0))
    # What the app tells patients to call (clinical-rules §3): the 24-hour line and emergencies.
    care_team_phone: Mapped[str | None] = mapped_column(String(16))
    emergency_number: Mapped[str] = mapped_column(String(8), default="911")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[list["Staff"]] = relationship(back_populates="clinic")


class Staff(db.Model):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint("role IN ('admin', 'clinician')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    clinic: Mapped[Clinic] = relationship(back_populates="staff")
    opt_out: Mapped["SmsOptOut | None"] = relationship(  # noqa: F821 - resolved by the registry
        primaryjoin="foreign(Staff.phone) == SmsOptOut.phone", viewonly=True, lazy="selectin"
    )

    @property
    def sms_opted_out(self) -> bool:
        return self.opt_out is not None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
