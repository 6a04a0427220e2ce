"""What admins read of the outbox: the clinic's messages that did not get through, and which
channel reached a patient."""

from dataclasses import dataclass

from sqlalchemy import select

from models import Message, Notification
from models.vocabulary import UNDELIVERABLE, MessageStatus


def undeliverable(session, clinic_id: int, *, limit: int = 200) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.clinic_id == clinic_id, Message.status.in_(UNDELIVERABLE))
            .order_by(Message.id.desc())
            .limit(limit)
        )
    )


@dataclass
class NoticeView:
    notification: Notification
    messages: list[Message]  # the pushes and the SMS of this notice, in order

    @property
    def reached_by(self) -> str | None:
        """The channel that got through: delivered first, else accepted by the provider."""
        for wanted in (MessageStatus.DELIVERED, MessageStatus.SENT):
            for message in self.messages:
                if message.status == wanted:
                    return message.channel
        return None


def patient_notices(session, patient_id: int, *, limit: int = 20) -> list[NoticeView]:
    """A patient's newest notices, each with every message sent for it (admins' view)."""
    notifications = session.scalars(
        select(Notification)
        .where(Notification.patient_id == patient_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    ).all()
    messages = session.scalars(
        select(Message)
        .where(Message.notification_id.in_([n.id for n in notifications]))
        .order_by(Message.id)
    ).all()
    by_notice: dict[int, list[Message]] = {}
    for message in messages:
        by_notice.setdefault(message.notification_id, []).append(message)
    return [NoticeView(n, by_notice.get(n.id, [])) for n in notifications]
