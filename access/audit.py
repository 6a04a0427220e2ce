"""Audit events: who did what to which patient, when, and how it ended. Added to the caller's
transaction; refusals and failures are also kept on the call so that the front end's error
handler can store them after it rolls the request back."""

from datetime import datetime

from sqlalchemy import select

from access import context
from models import AuditEvent, Patient, Staff, utcnow

CALLER = object()  # actor=CALLER: whoever the call is for (access.context)


def record(
    session,
    action: str,
    *,
    actor=CALLER,
    patient: Patient | None = None,
    target: str | None = None,
    outcome: str = "success",
    detail: dict | None = None,
    clinic_id: int | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one event; `actor` defaults to the call's (None: anonymous)."""
    call = context.current()
    actor = call.actor if actor is CALLER else actor
    actor_type = (
        "staff" if isinstance(actor, Staff) else "patient" if isinstance(actor, Patient) else None
    )
    event = AuditEvent(
        occurred_at=now or utcnow(),
        clinic_id=clinic_id
        or (actor.clinic_id if actor_type else None)
        or (patient.clinic_id if patient else None),
        actor_type=actor_type or "anonymous",
        actor_id=actor.id if actor_type else None,
        action=action,
        patient_id=patient.id if patient else None,
        target=target,
        outcome=outcome,
        request_id=call.request_id,
        detail=detail,
    )
    session.add(event)
    if outcome != "success":
        call.refusals.append(event)
    return event


def recent(session, clinic_id: int, *, action=None, patient_id=None, limit: int = 200):
    """The clinic's newest audit events, optionally of one action or one patient."""
    stmt = select(AuditEvent).where(AuditEvent.clinic_id == clinic_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action[:64])
    if isinstance(patient_id, int) and 0 < patient_id < 2**31:  # larger ids match nothing
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    return session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit)).all()
