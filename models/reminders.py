"""Planned reminder occurrences, and each clinic's overrides of the reminder rules."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow
from models.vocabulary import ReminderStatus, one_of

REMINDER_STATUSES = tuple(ReminderStatus)


class Reminder(db.Model):
    """One occurrence of a rule for a patient. APScheduler never holds these: they are rows."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_due", "status", "due_at"),
        one_of("status", ReminderStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    rule_id: Mapped[str] = mapped_column(String(32))
    occurrence_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # reminder | window_end
    local_date: Mapped[date] = mapped_column(Date)
    # Window rules: the last day the window covers (D-1), as planned; provisional until the
    # treatment end makes the last dose final.
    ends_on: Mapped[date | None] = mapped_column(Date)
    planned_at: Mapped[datetime]  # when plan() wanted it
    due_at: Mapped[datetime]  # planned_at, or later when quiet hours deferred it
    status: Mapped[str] = mapped_column(String(16), default="planned")
    released_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    acknowledged_at: Mapped[datetime | None]
    ack_kind: Mapped[str | None] = mapped_column(String(8))  # done | read
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def acknowledge(self, kind: str, now: datetime) -> None:
        """The app marks it read or done. It only moves forward (read, then done): a "read"
        after "done", or the same kind again (a retry), changes nothing and keeps the time."""
        rank = {None: 0, "read": 1, "done": 2}
        if rank[kind] > rank[self.ack_kind]:
            self.acknowledged_at, self.ack_kind = now, kind


class ScheduleRuleSetting(db.Model):
    """A clinic's version of a rule (overrides of PROPOSED values, texts, on/off), or a custom
    rule. Every change is a new version; the newest per (clinic, rule) is in force."""

    __tablename__ = "schedule_rule_settings"
    __table_args__ = (UniqueConstraint("clinic_id", "rule_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    rule_id: Mapped[str] = mapped_column(String(32))
    version: Mapped[int]
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    texts: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    custom: Mapped[dict | None] = mapped_column(JSON)  # a custom rule's title and kind
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
