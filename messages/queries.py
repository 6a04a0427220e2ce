"""What admins read of the outbox: the clinic's messages that did not get through."""

from sqlalchemy import select

from models import Message
from models.vocabulary import UNDELIVERABLE


def undeliverable(session, clinic_id: int, *, limit: int = 200) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.clinic_id == clinic_id, Message.status.in_(UNDELIVERABLE))
            .order_by(Message.id.desc())
            .limit(limit)
        )
    )
