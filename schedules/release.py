"""The worker's release job: due reminders become in-app messages and a minimum-PHI SMS, at a
humane local time; stale ones expire instead of arriving days late."""

from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinical.registry import REGISTRY
from clinical.settings import clinic_parameters
from messages import notices
from messages.outbox import OutboxPolicy
from models import Clinic, Message, Patient, Reminder
from models.vocabulary import (
    MessageStatus,
    NotificationKind,
    PatientStatus,
    Purpose,
    ReminderStatus,
)
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
    """One "new message" notice per patient per release, however many reminders came due, and
    none while an earlier one still waits in the outbox: a push to the patient's devices, else
    an SMS (messages.notices). A rule with a `push_fallback_minutes` value (R-LFT-HSCT) has an
    unopened push sent again as SMS after that long."""
    waiting = session.scalars(
        select(Message).where(
            Message.purpose == Purpose.REMINDER,
            Message.recipient_type == "patient",
            Message.recipient_id == patient.id,
            Message.status == MessageStatus.QUEUED,
        )
    ).first()
    message = waiting or notices.notify_patient(
        session,
        patient,
        kind=NotificationKind.REMINDER,
        ref=f"reminder:{reminders[0].id}",
        key=f"reminder:{reminders[0].id}",
        purpose=Purpose.REMINDER,
        now=now,
        policy=policy,
        sms_fallback_after=_fallback_after(session, patient.clinic_id, reminders),
    )
    if message is None:
        return
    for reminder in reminders:
        reminder.message_id = message.id


def _fallback_after(session, clinic_id, reminders) -> timedelta | None:
    names = [f"{r.rule_id}.push_fallback_minutes" for r in reminders]
    if not any(name in REGISTRY for name in names):
        return None
    parameters = clinic_parameters(session, clinic_id)
    return min(timedelta(minutes=parameters[n]) for n in names if n in REGISTRY)
