"""Notices to patients, push first: a push to each device the patient consented on, else an
SMS. A notice falls back to SMS when every push of it failed (a dead token, FCM refused it), or
when it was not opened in time and the caller asked for that (R-LFT-HSCT). Pushes carry a title
and an opaque id only; the app fetches the content with the id and marks it opened."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from messages import outbox
from messages.devices import working_devices
from messages.templates import render
from models import Message, Notification, Patient
from models.errors import NotFound
from models.vocabulary import UNDELIVERABLE, Channel, NotificationKind

# Per kind: the push's title, the SMS fallback's text (messages.templates).
TEMPLATES = {
    NotificationKind.REMINDER: ("push_reminder", "reminder_notice"),
    NotificationKind.CASE_SEEN: ("push_case_seen", "case_seen_notice"),
}


def silent(patient: Patient, *, kind: str, ref: str, now: datetime) -> Notification:
    """A notice kept without sending anything (no device, no SMS consent): it is not sent
    twice, and the admin's view shows that nothing reached the patient."""
    return Notification(
        public_id=secrets.token_urlsafe(16),
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        kind=kind,
        ref=ref,
        created_at=now,
    )


def notify_patient(
    session,
    patient: Patient,
    *,
    kind: str,
    ref: str,
    key: str,
    purpose: str,
    now: datetime,
    policy,
    sms_fallback_after: timedelta | None = None,
) -> Message | None:
    """Queue the notice; returns its first message (None: no device and no SMS consent)."""
    devices = working_devices(session, patient.id)
    if not devices and not patient.sms_consent:
        return None
    notification = Notification(
        public_id=secrets.token_urlsafe(16),
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        kind=kind,
        ref=ref,
        created_at=now,
        sms_fallback_at=now + sms_fallback_after if devices and sms_fallback_after else None,
    )
    session.add(notification)
    session.flush()
    push_title, sms_text = TEMPLATES[kind]
    common = dict(
        purpose=purpose,
        to_phone=patient.phone,
        now=now,
        policy=policy,
        clinic_id=patient.clinic_id,
        recipient_type="patient",
        recipient_id=patient.id,
        ref=ref,
        notification_id=notification.id,
    )
    if not devices:
        body = render(sms_text, patient.language)
        return outbox.enqueue(session, body=body, idempotency_key=key, **common)
    messages = [
        outbox.enqueue(
            session,
            channel=Channel.PUSH,
            device_id=device.id,
            body=render(push_title, device.language or patient.language),
            idempotency_key=f"{key}:push:{device.id}",
            **common,
        )
        for device in devices
    ]
    return messages[0]


def send_sms_instead(session, notification: Notification, *, now: datetime, policy) -> None:
    """The notice again as SMS, once, if the patient takes texts."""
    if notification.sms_fallback_sent_at is not None or notification.opened_at is not None:
        return
    notification.sms_fallback_sent_at = now
    patient = session.get(Patient, notification.patient_id)
    if not patient.sms_consent:
        return
    first = session.scalars(
        select(Message).where(Message.notification_id == notification.id).order_by(Message.id)
    ).first()
    outbox.enqueue(
        session,
        purpose=first.purpose,
        to_phone=patient.phone,
        body=render(TEMPLATES[notification.kind][1], patient.language),
        idempotency_key=f"notification:{notification.id}:sms",
        now=now,
        policy=policy,
        clinic_id=patient.clinic_id,
        recipient_type="patient",
        recipient_id=patient.id,
        ref=notification.ref,
        notification_id=notification.id,
    )


def push_failed(session, message: Message, now: datetime, policy) -> None:
    """The outbox's failure hook: when no push of the notice can arrive any more, SMS."""
    if message.channel != Channel.PUSH or message.notification_id is None:
        return
    statuses = session.scalars(
        select(Message.status).where(
            Message.notification_id == message.notification_id,
            Message.channel == Channel.PUSH,
            Message.id != message.id,
        )
    ).all()
    if all(status in UNDELIVERABLE for status in statuses):
        notification = session.get(Notification, message.notification_id)
        send_sms_instead(session, notification, now=now, policy=policy)


def fall_back_unopened(session, *, now: datetime, policy, limit: int = 500) -> int:
    """The worker's job: notices whose push was not opened in time go out again as SMS."""
    stmt = (
        select(Notification)
        .where(
            Notification.sms_fallback_at <= now,
            Notification.opened_at.is_(None),
            Notification.sms_fallback_sent_at.is_(None),
        )
        .order_by(Notification.sms_fallback_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    due = session.scalars(stmt).all()
    for notification in due:
        send_sms_instead(session, notification, now=now, policy=policy)
    return len(due)


def my_notification(session, patient: Patient, public_id: str) -> Notification:
    """The patient's own notice; another patient's is the same 404 as a missing one."""
    notification = session.scalars(
        select(Notification).where(Notification.public_id == public_id)
    ).one_or_none()
    if notification is None or notification.patient_id != patient.id:
        raise NotFound("No such notification.")
    return notification


def mark_opened(session, patient: Patient, public_id: str, *, now: datetime) -> Notification:
    """The app opened the notice (the first time counts)."""
    notification = my_notification(session, patient, public_id)
    if notification.opened_at is None:
        notification.opened_at = now
    return notification
