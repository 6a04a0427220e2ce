"""The outbox: enqueue in the caller's transaction, claim with a lease, record what happened.

Nothing here commits or sends; `messages.dispatch` drives the claim -> commit -> send -> record
cycle, and each purpose may register a failure hook (the escalation engine moves to the next
person when a page cannot be delivered).
"""

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from models import Message, SmsOptOut
from models.errors import Conflict

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


def run_failure_hooks(session, message: Message, now: datetime, policy: "OutboxPolicy") -> None:
    for hook in _failure_hooks.get(message.purpose, ()):
        hook(session, message, now, policy)


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = 8
    backoff_base_seconds: float = 5.0
    backoff_cap_seconds: float = 900.0
    lease_seconds: int = 60
    max_age: dict = field(
        default_factory=lambda: {
            "reminder": timedelta(hours=24),
            "escalation": timedelta(hours=2),
            "system": timedelta(hours=24),
        }
    )

    @classmethod
    def from_config(cls, config: dict) -> "OutboxPolicy":
        return cls(
            max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
            backoff_base_seconds=config["OUTBOX_BACKOFF_BASE_SECONDS"],
            backoff_cap_seconds=config["OUTBOX_BACKOFF_CAP_SECONDS"],
            lease_seconds=config["OUTBOX_LEASE_SECONDS"],
            max_age={k: timedelta(minutes=v) for k, v in config["SMS_MAX_AGE_MINUTES"].items()},
        )

    def backoff(self, attempts: int) -> timedelta:
        """Capped exponential backoff with full jitter."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (attempts - 1))
        return timedelta(seconds=random.uniform(0, ceiling))


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
) -> Message:
    """Queue an SMS; the same idempotency key always yields the same single message."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = dict(
        clinic_id=clinic_id,
        purpose=purpose,
        recipient_type=recipient_type,
        recipient_id=recipient_id,
        to_phone=to_phone,
        body=body,
        idempotency_key=idempotency_key,
        ref=ref,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        expires_at=now + policy.max_age[purpose],
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
            select(Message).where(Message.status == "queued", Message.expires_at <= now).limit(500),
        )
    ).all()
    for message in stale:
        _finish(session, message, "expired", now, policy, code="expired")
    return stale


def claim_due(session, *, now: datetime, limit: int, worker_id: str, policy: OutboxPolicy):
    """Lease due messages (and ones whose lease ran out) to this worker; the caller commits
    before sending. Messages to opted-out numbers are closed here instead."""
    due = or_(
        and_(Message.status == "queued", Message.next_attempt_at <= now),
        and_(Message.status == "sending", Message.lease_expires_at < now),
    )
    stmt = select(Message).where(due).order_by(Message.next_attempt_at, Message.id).limit(limit)
    rows = session.scalars(_lock(session, stmt)).all()
    opted_out = set(
        session.scalars(
            select(SmsOptOut.phone).where(SmsOptOut.phone.in_({m.to_phone for m in rows}))
        )
    )
    claimed = []
    for message in rows:
        if message.to_phone in opted_out:
            _finish(session, message, "opted_out", now, policy, code="opted_out")
            continue
        message.status = "sending"
        message.leased_by = worker_id
        message.lease_expires_at = now + timedelta(seconds=policy.lease_seconds)
        message.attempts += 1
        message.updated_at = now
        claimed.append(message)
    return claimed


def _lock(session, stmt):
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt  # SQLite: one dispatcher, and SQLite serialises writers


def _leased(session, message_id: int, worker_id: str) -> Message | None:
    """The message, if this worker still holds its lease."""
    message = session.get(Message, message_id, with_for_update=True)
    if message is None or message.status != "sending" or message.leased_by != worker_id:
        return None
    return message


def _finish(session, message, status, now, policy, *, code=None, error=None):
    message.status = status
    message.error_code, message.error_message = code, (error or "")[:200] or None
    message.leased_by = message.lease_expires_at = None
    message.updated_at = now
    if status != "sent":
        run_failure_hooks(session, message, now, policy)


def record_sent(session, message_id: int, *, worker_id: str, sid: str, now: datetime) -> bool:
    """One UPDATE guarded by the lease (the hot path: no read first)."""
    result = session.execute(
        update(Message)
        .where(
            Message.id == message_id, Message.status == "sending", Message.leased_by == worker_id
        )
        .values(
            status="sent",
            twilio_sid=sid,
            sent_at=now,
            updated_at=now,
            error_code=None,
            error_message=None,
            leased_by=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record_retry(session, message_id, *, worker_id, code, error, now, policy) -> str | None:
    """A transient failure: retry later with backoff, or dead-letter when attempts run out."""
    message = _leased(session, message_id, worker_id)
    if message is None:
        return None
    if message.attempts >= policy.max_attempts:
        _finish(session, message, "dead", now, policy, code=code, error=error)
        return "dead"
    message.status = "queued"
    message.error_code, message.error_message = code, error[:200]
    message.next_attempt_at = now + policy.backoff(message.attempts)
    message.leased_by = message.lease_expires_at = None
    message.updated_at = now
    return "queued"


def record_failure(session, message_id, *, worker_id, code, error, now, policy) -> bool:
    """A permanent failure: the row keeps its reason and the purpose's hook runs."""
    message = _leased(session, message_id, worker_id)
    if message is None:
        return False
    if code == "21610":  # Twilio: the recipient has unsubscribed (replied STOP)
        record_opt_out(session, message.to_phone, now=now, source="twilio_21610")
    _finish(session, message, "failed", now, policy, code=code, error=error)
    return True


def release(session, message_ids, *, worker_id: str, now: datetime) -> None:
    """Give back leases not yet used (shutdown): the attempt did not happen."""
    for message_id in message_ids:
        message = _leased(session, message_id, worker_id)
        if message is not None:
            message.status, message.attempts = "queued", message.attempts - 1
            message.leased_by = message.lease_expires_at = None
            message.updated_at = now


def record_opt_out(session, phone: str, *, now: datetime, source: str) -> None:
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, opted_out_at=now, source=source))


def requeue(message: Message, *, now: datetime) -> None:
    """An admin's retry of a dead, failed or expired message: a fresh start, with as long to
    live as it had at first."""
    if message.status not in ("dead", "failed", "expired"):
        raise Conflict(f"Only dead, failed or expired messages are retried, not {message.status}.")
    lifetime = message.expires_at - message.created_at
    message.status, message.attempts, message.next_attempt_at = "queued", 0, now
    message.expires_at = max(message.expires_at, now + lifetime)
    message.error_code = message.error_message = None
    message.updated_at = now
