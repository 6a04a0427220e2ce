"""The worker's release job: due reminders become in-app messages and a minimum-PHI SMS, at a
humane local time; stale ones expire instead of arriving days late."""

from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from messages import outbox
from messages.outbox import OutboxPolicy
from messages.templates import render
from models import Clinic, Message, Patient, Reminder
from models.vocabulary import MessageStatus, PatientStatus, Purpose, ReminderStatus
from schedules.planning import local_to_utc


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # spans midnight, e.g. 21:00-08:00


def next_allowed(now: datetime, zone: str, start: time, end: time) -> datetime:
    """`now` if outside quiet hours, else the end of the quiet hours in the patient's zone."""
    local = now.astimezone(ZoneInfo(zone))
    if not in_quiet_hours(local.time(), start, end):
        return now
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return max(now, local_to_utc(day, end, zone))


def release_due(
    session, *, now: datetime, stale_after: timedelta, policy: OutboxPolicy, limit: int = 500
) -> Counter:
    """Release what is due; the caller commits. Safe with several workers (SKIP LOCKED)."""
    stmt = (
        select(Reminder, Patient, Clinic)
        .join(Patient, Patient.id == Reminder.patient_id)
        .join(Clinic, Clinic.id == Reminder.clinic_id)
        .where(Reminder.status == ReminderStatus.PLANNED, Reminder.due_at <= now)
        .order_by(Reminder.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Reminder, skip_locked=True)
    stats, released = Counter(), {}
    for reminder, patient, clinic in session.execute(stmt).all():
        stats["seen"] += 1
        reminder.updated_at = now
        if patient.status != PatientStatus.ACTIVE:
            reminder.status = ReminderStatus.CANCELLED
        elif now - reminder.planned_at > stale_after:
            reminder.status = ReminderStatus.EXPIRED
        else:
            start = patient.quiet_hours_start or clinic.quiet_hours_start
            end = patient.quiet_hours_end or clinic.quiet_hours_end
            allowed = next_allowed(now, patient.timezone, start, end)
            if allowed > now:
                reminder.due_at = allowed
                stats["deferred"] += 1
                continue
            reminder.status, reminder.released_at = ReminderStatus.RELEASED, now
            released.setdefault(patient, []).append(reminder)
        stats[reminder.status] += 1
    for patient, reminders in released.items():
        _notify(session, patient, reminders, now, policy)
    return stats


def _notify(session, patient, reminders, now, policy):
    """One "new message" SMS per patient per release, however many reminders came due, and
    none while an earlier one still waits in the outbox."""
    if not patient.sms_consent:
        return
    waiting = session.scalars(
        select(Message).where(
            Message.purpose == Purpose.REMINDER,
            Message.recipient_type == "patient",
            Message.recipient_id == patient.id,
            Message.status == MessageStatus.QUEUED,
        )
    ).first()
    message = waiting or outbox.enqueue(
        session,
        purpose=Purpose.REMINDER,
        to_phone=patient.phone,
        body=render("reminder_notice", patient.language),
        idempotency_key=f"reminder:{reminders[0].id}",
        now=now,
        policy=policy,
        clinic_id=patient.clinic_id,
        recipient_type="patient",
        recipient_id=patient.id,
        ref=f"reminder:{reminders[0].id}",
    )
    for reminder in reminders:
        reminder.message_id = message.id
