"""The SMS outbox, opt-outs and inbound messages."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow
from models.vocabulary import FINAL as FINAL
from models.vocabulary import Channel, MessageStatus, Purpose, one_of

PURPOSES = tuple(Purpose)
# The claim's lanes, lowest first: a page is claimed and sent before anything else is, by every
# worker, whatever is queued (issue 9).
PRIORITY = {Purpose.ESCALATION: 0, Purpose.SYSTEM: 1, Purpose.REMINDER: 2}
STATUSES = tuple(MessageStatus)


class Message(db.Model):
    """One SMS, push or voice call (`channel`). Written in the caller's transaction; sent later
    by a worker. Never deleted."""

    __tablename__ = "messages"
    # Serves the claim: `status = 'queued' AND next_attempt_at <= now ORDER BY priority,
    # next_attempt_at, id`, and the lapsed-lease lookup on the `status` prefix.
    __table_args__ = (
        Index("ix_messages_claim", "status", "priority", "next_attempt_at", "id"),
        one_of("status", MessageStatus),
        one_of("purpose", Purpose),
        one_of("channel", Channel),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger)  # PRIORITY[purpose]
    recipient_type: Mapped[str] = mapped_column(String(8))  # patient | staff | number
    recipient_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(8), default=Channel.SMS)
    # SMS and calls: the number; push: the patient's number too (the SMS fallback's).
    to_phone: Mapped[str] = mapped_column(String(16))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), index=True)
    # SMS: the text; push: the title; call: the TwiML the call plays.
    body: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    ref: Mapped[str | None] = mapped_column(String(64))  # what the purpose's hooks need, opaque
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    leased_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    # The provider's id: a Twilio Message or Call SID, or an FCM message name.
    twilio_sid: Mapped[str | None] = mapped_column(String(128), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class SmsOptOut(db.Model):
    """A number that replied STOP (or that Twilio reports as unsubscribed, error 21610)."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(16), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))  # inbound | twilio_21610


class InboundMessage(db.Model):
    """An SMS received through the inbound webhook; unique on Twilio's MessageSid."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(34), unique=True)
    from_phone: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(String(1600))
    handled_as: Mapped[str] = mapped_column(String(16))  # opt_out | opt_in | help | handler | none
    reply: Mapped[str | None] = mapped_column(String(1600))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
