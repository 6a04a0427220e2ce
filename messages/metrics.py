"""The outbox in Prometheus text format: messages by status, how long the oldest message not
yet handed to Twilio has waited (per purpose: pages are the ones to page someone about), what is
due now, and the sends each worker holds in flight. Counts, ages and worker ids only: no PHI."""

from datetime import datetime

from sqlalchemy import func, select

from models import Message
from models.messages import PURPOSES, STATUSES
from models.vocabulary import MessageStatus

UNSENT = (MessageStatus.QUEUED, MessageStatus.SENDING)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _gauge(name: str, help_text: str, samples: list[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    return lines + [f"{name}{labels} {value:g}" for labels, value in samples]


def _read(session, now: datetime):
    """Counts by status, oldest unsent per purpose, due per purpose, live leases per worker and
    lapsed leases. All but the first read only unsent rows (the status prefix of
    ix_messages_claim); the count by status reads every row, as it did before."""
    counts = dict(
        session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    )
    oldest = dict(
        session.execute(
            select(Message.purpose, func.min(Message.created_at))
            .where(Message.status.in_(UNSENT))
            .group_by(Message.purpose)
        ).all()
    )
    due = dict(
        session.execute(
            select(Message.purpose, func.count())
            .where(Message.status == MessageStatus.QUEUED, Message.next_attempt_at <= now)
            .group_by(Message.purpose)
        ).all()
    )
    sending = select(Message.leased_by, func.count()).where(Message.status == MessageStatus.SENDING)
    in_flight = session.execute(
        sending.where(Message.lease_expires_at >= now)
        .group_by(Message.leased_by)
        .order_by(Message.leased_by)
    ).all()
    lapsed = session.scalar(
        select(func.count()).where(
            Message.status == MessageStatus.SENDING, Message.lease_expires_at < now
        )
    )
    return counts, oldest, due, in_flight, lapsed


def outbox_metrics(session, *, now: datetime) -> str:
    counts, oldest, due, in_flight, lapsed = _read(session, now)
    lines = _gauge(
        "besponsa_outbox_messages",
        "SMS in the outbox by status.",
        [(f'{{status="{s}"}}', counts.get(s, 0)) for s in STATUSES],
    )
    lines += _gauge(
        "besponsa_outbox_oldest_queued_seconds",
        "Age of the oldest SMS not yet accepted by Twilio (queued or being sent), by purpose; "
        "0 when there is none.",
        [(f'{{purpose="{p}"}}', _age(oldest.get(p), now)) for p in PURPOSES],
    )
    lines += _gauge(
        "besponsa_outbox_due",
        "Queued SMS due to be sent now, by purpose.",
        [(f'{{purpose="{p}"}}', due.get(p, 0)) for p in PURPOSES],
    )
    lines += _gauge(
        "besponsa_outbox_in_flight",
        "SMS leased by a worker and being sent (its lease still live), by worker.",
        [(f'{{worker="{_label(w)}"}}', n) for w, n in in_flight],
    )
    lines += _gauge(
        "besponsa_outbox_lapsed_leases",
        "SMS whose worker's lease ran out before an outcome was recorded (a worker died).",
        [("", lapsed)],
    )
    return "\n".join(lines) + "\n"


def _age(created: datetime | None, now: datetime) -> float:
    return round(max(0.0, (now - created).total_seconds()), 3) if created else 0
