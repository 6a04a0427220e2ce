"""The outbox: enqueue in the caller's transaction, claim with a lease (pages first), expire.

Nothing here commits or sends; `messages.dispatch` drives the claim -> commit -> send -> record
cycle (`messages.outcomes` records what happened), and each purpose may register a failure hook
(the escalation engine moves to the next person when a page cannot be delivered).
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from messages.policy import OutboxPolicy
from models import Device, Message, Notification, SmsOptOut
from models.errors import Conflict
from models.messages import PRIORITY
from models.vocabulary import RETRYABLE, Channel, MessageStatus

__all__ = ["OutboxPolicy", "claim_due", "enqueue", "expire_stale", "on_failure", "requeue"]

# error_code values saying the last attempt's outcome is unknown (Twilio may have accepted it):
# such a message is looked up at Twilio before it is sent again.
OUTCOME_UNKNOWN = ("timeout", "connection_lost", "lease_expired")

FailureHook = Callable[..., None]
_failure_hooks: dict[str, list[FailureHook]] = defaultdict(list)


def on_failure(purpose: str):
    """Register `hook(session, message, now, policy)`: called once when a message of this purpose
    cannot be delivered (permanent error, dead-lettered, expired, opted out, undelivered). The
    policy is the configured one, for whatever the hook queues in turn."""

    def register(hook: FailureHook) -> FailureHook:
        if hook not in _failure_hooks[purpose]:
            _failure_hooks[purpose].append(hook)
        return hook

    return register


def failure_hooks(purpose: str) -> list[FailureHook]:
    return list(_failure_hooks.get(purpose, ()))


def remove_failure_hook(purpose: str, hook: FailureHook) -> None:
    if hook in _failure_hooks[purpose]:
        _failure_hooks[purpose].remove(hook)


def run_failure_hooks(session, message: Message, now: datetime, policy: OutboxPolicy) -> None:
    for hook in _failure_hooks.get(message.purpose, ()):
        hook(session, message, now, policy)


def enqueue(
    session,
    *,
    purpose: str,
    to_phone: str,
    body: str,
    idempotency_key: str,
    now: datetime,
    policy: OutboxPolicy,
    clinic_id: int | None = None,
    recipient_type: str = "number",
    recipient_id: int | None = None,
    ref: str | None = None,
    channel: str = Channel.SMS,
    device_id: int | None = None,
    notification_id: int | None = None,
    not_before: datetime | None = None,
) -> Message:
    """Queue an SMS, push or call (sent from `not_before`, else at once); the same idempotency
    key always yields the same single message."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = dict(
        clinic_id=clinic_id,
        purpose=purpose,
        channel=channel,
        device_id=device_id,
        notification_id=notification_id,
        priority=PRIORITY[purpose],
        recipient_type=recipient_type,
        recipient_id=recipient_id,
        to_phone=to_phone,
        body=body,
        idempotency_key=idempotency_key,
        ref=ref,
        status=MessageStatus.QUEUED,
        attempts=0,
        next_attempt_at=not_before or now,
        expires_at=(not_before or now) + policy.max_age[purpose],
        created_at=now,
        updated_at=now,
    )
    session.execute(
        insert(Message).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    if dialect == "postgresql":
        session.execute(text("NOTIFY outbox"))  # delivered at commit: wakes the dispatchers
    return session.scalars(select(Message).where(Message.idempotency_key == idempotency_key)).one()


def expire_stale(session, *, now: datetime, policy: OutboxPolicy) -> list[Message]:
    """Queued messages past their purpose's maximum age are expired, not sent days late."""
    stale = session.scalars(
        _lock(
            session,
            select(Message)
            .where(Message.status == MessageStatus.QUEUED, Message.expires_at <= now)
            .limit(500),
        )
    ).all()
    for message in stale:
        finish(session, message, MessageStatus.EXPIRED, now, policy, code="expired")
    return stale


def claim_due(
    session,
    *,
    now: datetime,
    limit: int,
    worker_id: str,
    policy: OutboxPolicy,
    max_priority: int | None = None,
) -> list[Message]:
    """Lease due messages (and ones whose lease ran out) to this worker, pages first; the caller
    commits before sending. Messages to opted-out numbers are closed here instead. A message
    taken over from a lapsed lease is marked `lease_expired`: its outcome is unknown."""
    rows = _due(session, now, limit, max_priority)
    sms = {m.to_phone for m in rows if m.channel == Channel.SMS}  # STOP is about texts only
    opted_out = set(session.scalars(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(sms))))
    claimed = []
    for message in rows:
        if message.channel == Channel.SMS and message.to_phone in opted_out:
            finish(session, message, MessageStatus.OPTED_OUT, now, policy, code="opted_out")
            continue
        if message.status == MessageStatus.SENDING:
            message.error_code = "lease_expired"
        message.status = MessageStatus.SENDING
        message.leased_by = worker_id
        message.lease_expires_at = now + timedelta(seconds=policy.lease_seconds)
        message.attempts += 1
        message.updated_at = now
        claimed.append(message)
    return claimed


def push_targets(session, rows) -> dict[int, tuple[str, dict]]:
    """Push rows' device tokens and data (the notice's opaque id), read in one query; a row
    whose device was removed is missing."""
    ids = [m.id for m in rows if m.channel == Channel.PUSH]
    if not ids:
        return {}
    found = session.execute(
        select(Message.id, Device.token, Notification.public_id, Notification.kind)
        .join(Device, Device.id == Message.device_id)
        .outerjoin(Notification, Notification.id == Message.notification_id)
        .where(Message.id.in_(ids))
    )
    return {
        mid: (token, {"notification_id": public_id or "", "kind": kind or ""})
        for mid, token, public_id, kind in found
    }


def _due(session, now, limit, max_priority) -> list[Message]:
    """Two index range scans on ix_messages_claim (status, priority, next_attempt_at, id): the
    lapsed leases (few), and the queued rows in lane order; then the first `limit` of both."""
    order = (Message.priority, Message.next_attempt_at, Message.id)
    lapsed = select(Message).where(
        Message.status == MessageStatus.SENDING, Message.lease_expires_at < now
    )
    queued = select(Message).where(
        Message.status == MessageStatus.QUEUED, Message.next_attempt_at <= now
    )
    if max_priority is not None:
        lapsed = lapsed.where(Message.priority <= max_priority)
        queued = queued.where(Message.priority <= max_priority)
    rows = list(session.scalars(_lock(session, lapsed.order_by(*order).limit(limit))))
    rows += session.scalars(_lock(session, queued.order_by(*order).limit(limit)))
    rows.sort(key=lambda m: (m.priority, m.next_attempt_at, m.id))
    return rows[:limit]  # any extra rows stay locked only until the caller's commit


def _lock(session, stmt):
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt  # SQLite: one dispatcher, and SQLite serialises writers


def finish(session, message, status, now, policy, *, code=None, error=None):
    """Close a message for good; anything but `sent` runs the purpose's failure hooks."""
    message.status = status
    message.error_code, message.error_message = code, (error or "")[:200] or None
    message.leased_by = message.lease_expires_at = None
    message.updated_at = now
    if status != MessageStatus.SENT:
        run_failure_hooks(session, message, now, policy)


def record_opt_out(session, phone: str, *, now: datetime, source: str) -> None:
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, opted_out_at=now, source=source))


def requeue(message: Message, *, now: datetime) -> None:
    """An admin's retry of a dead, failed or expired message: a fresh start, with as long to
    live as it had at first (and still looked up first if its last attempt's outcome is
    unknown)."""
    if message.status not in RETRYABLE:
        raise Conflict(f"Only dead, failed or expired messages are retried, not {message.status}.")
    lifetime = message.expires_at - message.created_at
    message.status, message.attempts, message.next_attempt_at = MessageStatus.QUEUED, 0, now
    message.expires_at = max(message.expires_at, now + lifetime)
    if message.error_code not in OUTCOME_UNKNOWN:
        message.error_code = message.error_message = None
    message.updated_at = now
