"""Twilio status callbacks: SMS delivery applied monotonically, idempotent on (MessageSid,
status); a call's final status once."""

from datetime import datetime

from sqlalchemy import select

from messages.outbox import OutboxPolicy, run_failure_hooks
from models import Message
from models.vocabulary import MessageStatus

# Twilio's statuses by progress. A callback only ever moves a message forward: a late `sent`
# never overwrites `delivered`, and the first final status wins.
RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 3,
}
OURS = {  # Twilio's final statuses as ours
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}
# Never handed to Twilio for good.
CLOSED = (MessageStatus.DEAD, MessageStatus.EXPIRED, MessageStatus.OPTED_OUT)


def apply_status(
    session, *, sid: str, status: str, error_code: str | None, now: datetime, policy: OutboxPolicy
):
    """Return the message (None for an unknown SID) after applying the callback, if it moves
    the message forward. A failure reaches the purpose's failure hook exactly once."""
    message = session.scalars(
        select(Message).where(Message.twilio_sid == sid).with_for_update()
    ).one_or_none()
    if message is None or message.status in CLOSED or status not in RANK:
        return message
    if RANK[status] <= RANK.get(message.status, 0) or status not in OURS:
        return message
    message.status = OURS[status]
    message.updated_at = now
    if message.status == MessageStatus.DELIVERED:
        message.delivered_at = now
    else:
        message.error_code = (error_code or "")[:16] or None
        run_failure_hooks(session, message, now, policy)
    return message


# A call's final statuses (Twilio's default status callback event, `completed`): answered by a
# person is delivered; busy, no answer, failed, cancelled or answered by a machine are not,
# and the page moves on like an undelivered SMS.
CALL_OURS = {
    "completed": MessageStatus.DELIVERED,
    "busy": MessageStatus.UNDELIVERED,
    "no-answer": MessageStatus.UNDELIVERED,
    "canceled": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}


def apply_call_status(
    session,
    *,
    sid: str,
    status: str,
    answered_by: str | None,
    now: datetime,
    policy: OutboxPolicy,
):
    """Record a call's final status once (the first wins); a call that reached nobody runs the
    purpose's failure hook."""
    message = session.scalars(
        select(Message).where(Message.twilio_sid == sid).with_for_update()
    ).one_or_none()
    if message is None or message.status not in (MessageStatus.SENDING, MessageStatus.SENT):
        return message
    if status not in CALL_OURS:
        return message
    ours = CALL_OURS[status]
    if ours == MessageStatus.DELIVERED and (answered_by or "").startswith(("machine", "fax")):
        ours, status = MessageStatus.UNDELIVERED, "machine"
    message.status, message.updated_at = ours, now
    if ours == MessageStatus.DELIVERED:
        message.delivered_at = now
    else:
        message.error_code = status[:16]
        run_failure_hooks(session, message, now, policy)
    return message
