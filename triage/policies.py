"""Escalation policies: ordered levels of recipients with acknowledgement timeouts, versioned
per clinic (the newest is in force), the PROPOSED default until an admin sets one."""

from datetime import datetime

from sqlalchemy import func, select

from clinical.parameters import check
from clinical.registry import REGISTRY
from models import EscalationPolicy, Staff
from models.errors import DomainError

# A level's acknowledgement timeout per urgency: its default and limits (clinical.registry).
TIMEOUTS = {
    "urgent": REGISTRY["escalation.urgent_timeout_minutes"],
    "emergency": REGISTRY["escalation.emergency_timeout_minutes"],
}
_DEFAULT_TIMEOUTS = {urgency: spec.default for urgency, spec in TIMEOUTS.items()}
# PROPOSED defaults (clinical-rules §2.1: urgent callback target 30 minutes).
DEFAULT_POLICY = {
    "levels": [
        {"recipients": ["on_call"], "timeout_minutes": _DEFAULT_TIMEOUTS},
        {"recipients": ["clinicians"], "timeout_minutes": _DEFAULT_TIMEOUTS},
        {"recipients": ["admins"], "timeout_minutes": _DEFAULT_TIMEOUTS},
    ],
    "repeat_count": 1,
    "fallback_phone": None,
}


def current_policy(session, clinic_id: int) -> dict:
    row = session.scalars(
        select(EscalationPolicy)
        .where(EscalationPolicy.clinic_id == clinic_id)
        .order_by(EscalationPolicy.version.desc())
    ).first()
    if row is None:
        return DEFAULT_POLICY | {"version": None}
    return {
        "levels": row.levels,
        "repeat_count": row.repeat_count,
        "fallback_phone": row.fallback_phone,
        "version": row.version,
    }


def _check_timeouts(levels: list[dict]) -> None:
    errors = []
    for number, level in enumerate(levels, start=1):
        for urgency, spec in TIMEOUTS.items():
            try:
                check(spec, level["timeout_minutes"].get(urgency))
            except ValueError as exc:
                errors.append(f"Level {number}, {urgency}: {exc}")
    if errors:
        raise DomainError("Some timeouts are outside their limits.", {"levels": errors})


def save_policy(session, clinic_id: int, body: dict, *, staff_id: int, now: datetime) -> dict:
    """A new version of the clinic's policy; every named staff member must be pageable, and no
    level may wait longer than the clinical limits before the next is paged."""
    _check_timeouts(body["levels"])
    ids = {t for level in body["levels"] for t in level["recipients"] if isinstance(t, int)}
    known = set(
        session.scalars(
            select(Staff.id).where(
                Staff.id.in_(ids),
                Staff.clinic_id == clinic_id,
                Staff.active.is_(True),
                Staff.phone.is_not(None),
            )
        )
    )
    if ids - known:
        raise DomainError(
            "Unknown, inactive or phoneless staff in the policy.",
            {"levels": [f"Not pageable: {sorted(ids - known)}"]},
        )
    version = (
        session.scalar(
            select(func.max(EscalationPolicy.version)).where(
                EscalationPolicy.clinic_id == clinic_id
            )
        )
        or 0
    ) + 1
    session.add(
        EscalationPolicy(
            clinic_id=clinic_id, version=version, created_by_id=staff_id, created_at=now, **body
        )
    )
    session.flush()
    return current_policy(session, clinic_id)
