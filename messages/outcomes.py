"""What a worker records about a message it holds the lease of: sent, found at Twilio, retry
later, failed for good, or given back unused. Every write is guarded by the lease."""

from datetime import datetime

from sqlalchemy import Integer, String, column, delete, select, update, values

from messages.outbox import finish, record_opt_out
from messages.policy import OutboxPolicy
from models import Device, Message
from models.base import UTCDateTime
from models.vocabulary import Channel, MessageStatus

# FCM's error codes saying a registration token is dead: its device is deleted.
INVALID_TOKEN = {"UNREGISTERED", "NOT_FOUND"}


def _leased(session, message_id: int, worker_id: str) -> Message | None:
    """The message, if this worker still holds its lease."""
    message = session.get(Message, message_id, with_for_update=True)
    if message is None or message.status != MessageStatus.SENDING or message.leased_by != worker_id:
        return None
    return message


def record_sent(session, message_id: int, *, worker_id: str, sid: str, now: datetime) -> bool:
    """One UPDATE guarded by the lease (the hot path: no read first)."""
    result = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.status == MessageStatus.SENDING,
            Message.leased_by == worker_id,
        )
        .values(
            status=MessageStatus.SENT,
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


def record_sent_many(session, sent: list[tuple], *, worker_id: str) -> list[int]:
    """`(message_id, sid, sent_at)` outcomes in one UPDATE ... FROM (VALUES ...), guarded by
    the lease; returns the ids recorded (one statement per commit, not per message: the
    dispatcher's thread is the one that waits on the database)."""
    if session.get_bind().dialect.name != "postgresql":  # SQLite has no VALUES column aliases
        return [
            message_id
            for message_id, sid, at in sent
            if record_sent(session, message_id, worker_id=worker_id, sid=sid, now=at)
        ]
    if not sent:
        return []
    rows = values(
        column("id", Integer),
        column("sid", String),
        column("at", UTCDateTime()),
        name=MessageStatus.SENT,
    ).data(sent)
    result = session.execute(
        update(Message)
        .where(
            Message.id == rows.c.id,
            Message.status == MessageStatus.SENDING,
            Message.leased_by == worker_id,
        )
        .values(
            status=MessageStatus.SENT,
            twilio_sid=rows.c.sid,
            sent_at=rows.c.at,
            updated_at=rows.c.at,
            error_code=None,
            error_message=None,
            leased_by=None,
            lease_expires_at=None,
        )
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


def record_found(session, message_id: int, *, worker_id: str, sids: list[str], now) -> str | None:
    """A message whose last attempt's outcome was unknown was found at Twilio: record the
    earliest of `sids` (newest first) that no other message holds, instead of sending again.
    None when every candidate belongs to another message (identical reminder texts)."""
    taken = set(session.scalars(select(Message.twilio_sid).where(Message.twilio_sid.in_(sids))))
    free = [sid for sid in sids if sid not in taken]
    if not free or not record_sent(session, message_id, worker_id=worker_id, sid=free[-1], now=now):
        return None
    return free[-1]


def record_retry(
    session, message_id, *, worker_id, code, error, now, policy: OutboxPolicy
) -> str | None:
    """A transient failure: retry later with the purpose's backoff, or dead-letter when its
    attempts run out."""
    message = _leased(session, message_id, worker_id)
    if message is None:
        return None
    if message.attempts >= policy.attempts_allowed(message.purpose):
        finish(session, message, MessageStatus.DEAD, now, policy, code=code, error=error)
        return MessageStatus.DEAD
    message.status = MessageStatus.QUEUED
    message.error_code, message.error_message = code, error[:200]
    message.next_attempt_at = now + policy.backoff(message.attempts, message.purpose)
    message.leased_by = message.lease_expires_at = None
    message.updated_at = now
    return MessageStatus.QUEUED


def record_failure(session, message_id, *, worker_id, code, error, now, policy) -> bool:
    """A permanent failure: the row keeps its reason and the purpose's hook runs."""
    message = _leased(session, message_id, worker_id)
    if message is None:
        return False
    if code == "21610" and message.channel == Channel.SMS:  # the recipient replied STOP
        record_opt_out(session, message.to_phone, now=now, source="twilio_21610")
    if code in INVALID_TOKEN and message.device_id is not None:  # FCM: the token is dead
        session.execute(delete(Device).where(Device.id == message.device_id))
        message.device_id = None
    finish(session, message, MessageStatus.FAILED, now, policy, code=code, error=error)
    return True


def release(session, message_ids, *, worker_id: str, now: datetime) -> None:
    """Give back leases not used (shutdown, a lease too short to send in, a throttled worker):
    the attempt did not happen. An unknown outcome stays marked, to be looked up next time."""
    for message_id in message_ids:
        message = _leased(session, message_id, worker_id)
        if message is not None:
            message.status, message.attempts = MessageStatus.QUEUED, message.attempts - 1
            message.leased_by = message.lease_expires_at = None
            message.updated_at = now
