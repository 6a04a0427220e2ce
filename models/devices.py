"""Patients' app installations (push tokens) and the notices sent to them, with when the app
opened each one."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow
from models.vocabulary import DevicePlatform, NotificationKind, one_of


class Device(db.Model):
    """One installation of the patient app: its FCM registration token. The token is never
    returned by the API; a token the provider calls invalid (UNREGISTERED) is deleted."""

    __tablename__ = "devices"
    __table_args__ = (one_of("platform", DevicePlatform),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    platform: Mapped[str] = mapped_column(String(8))
    token: Mapped[str] = mapped_column(String(512), unique=True)
    app_version: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="en")
    notifications_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(db.Model):
    """A notice to a patient (reminders due, the care team saw a report), sent by push and/or
    SMS (the outbox rows point here). `public_id` is the opaque id a push carries; the app
    fetches the content with it and marks it opened."""

    __tablename__ = "notifications"
    __table_args__ = (one_of("kind", NotificationKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(64))  # reminder:<id> | alert:<id>
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    # An unopened push falls back to SMS then (rules that say so, e.g. R-LFT-HSCT); None: never.
    sms_fallback_at: Mapped[datetime | None] = mapped_column(index=True)
    sms_fallback_sent_at: Mapped[datetime | None]
