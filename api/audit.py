"""Record audit events for the current request (actor, request id) in the request's transaction."""

import re
import uuid

from flask import g, has_request_context, request
from flask_jwt_extended import current_user

from models import AuditEvent, Patient, Staff, db, utcnow

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def assign_request_id() -> None:
    """Use the caller's X-Request-ID when it is sane, else make one."""
    # Per-request state starts empty even when an app context outlives requests (tests).
    for key in ("durable_audit", "patient_access", "csrf_token"):
        g.pop(key, None)
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex


def _current_actor():
    try:
        return current_user._get_current_object()
    except RuntimeError:  # no verified token in this request
        return None


def audit(
    action: str,
    *,
    patient: Patient | None = None,
    target: str | None = None,
    outcome: str = "success",
    detail: dict | None = None,
    actor: Staff | Patient | None = None,
    clinic_id: int | None = None,
) -> AuditEvent:
    """Add an audit event. Refusals and failures are also kept by the error handler, which
    re-adds them after rolling the request back."""
    actor = actor or (_current_actor() if has_request_context() else None)
    if isinstance(actor, Staff):
        actor_type = "staff"
    elif isinstance(actor, Patient):
        actor_type = "patient"
    else:
        actor_type = "anonymous"
    event = AuditEvent(
        occurred_at=utcnow(),
        clinic_id=clinic_id
        or (actor.clinic_id if actor else None)
        or (patient.clinic_id if patient else None),
        actor_type=actor_type,
        actor_id=actor.id if actor else None,
        action=action,
        patient_id=patient.id if patient else None,
        target=target,
        outcome=outcome,
        request_id=g.get("request_id") if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    if outcome != "success" and has_request_context():
        g.setdefault("durable_audit", []).append(event)
    return event
