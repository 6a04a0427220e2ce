"""Escalation policies: ordered levels of recipients with acknowledgement timeouts, versioned
per clinic (the newest is in force), the PROPOSED default until an admin sets one."""

from datetime import datetime

from sqlalchemy import func, select

from clinical.parameters import check
from clinical.registry import REGISTRY
from messages.phones import e164
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


NAMED = ("on_call", "clinicians", "admins")
LEVEL_KEYS = {"recipients", "timeout_minutes"}
OPTIONAL_KEYS = {"channel", "sms_then_call_after_minutes"}
CHANNELS = ("sms", "call")  # a level pages by SMS (the default) or by a voice call


def _check_channel(number: int, level: dict) -> list[str]:
    """`channel: call` rings the phone; `sms_then_call_after_minutes: N` sends the SMS and
    calls if the case is still unacknowledged N minutes later (before the level times out)."""
    channel, after = level.get("channel", "sms"), level.get("sms_then_call_after_minutes")
    if channel not in CHANNELS:
        return [f"Level {number}: channel is sms or call."]
    if after is None:
        return []
    if channel != "sms":
        return [f"Level {number}: sms_then_call_after_minutes needs channel sms."]
    if isinstance(after, bool) or not isinstance(after, int) or after < 1:
        return [f"Level {number}: sms_then_call_after_minutes is a whole number of minutes."]
    timeouts = level["timeout_minutes"]
    if any(isinstance(t, int) and after >= t for t in timeouts.values()):
        return [f"Level {number}: call before the level times out (under every timeout)."]
    return []


def _check_level(number: int, level) -> list[str]:
    if (
        not isinstance(level, dict)
        or not LEVEL_KEYS <= set(level)
        or set(level) - LEVEL_KEYS - OPTIONAL_KEYS
    ):
        return [
            f"Level {number}: give recipients and timeout_minutes (and optionally channel, "
            "sms_then_call_after_minutes), nothing else."
        ]
    errors, recipients, timeouts = [], level["recipients"], level["timeout_minutes"]
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= 20:
        errors.append(f"Level {number}: 1 to 20 recipients.")
    else:
        for token in recipients:
            staff_id = isinstance(token, int) and not isinstance(token, bool)
            if token not in NAMED and not (staff_id and 0 < token < 2**31):
                errors.append(f"Level {number}: use staff ids or on_call, clinicians, admins.")
    if not isinstance(timeouts, dict) or set(timeouts) != set(TIMEOUTS):
        return errors + [f"Level {number}: give a timeout for urgent and for emergency."]
    for urgency, spec in TIMEOUTS.items():
        try:
            check(spec, timeouts[urgency])
        except ValueError as exc:
            errors.append(f"Level {number}, {urgency}: {exc}")
    return errors + _check_channel(number, level)


def check_policy(raw) -> dict:
    """A policy as both front ends receive it, checked whole: the levels (recipients, and
    timeouts within the clinical limits), the repeats, the fallback number in E.164."""
    if not isinstance(raw, dict):
        raise DomainError("A policy is an object.", {"levels": ["Missing."]})
    errors: dict[str, list] = {}
    levels = raw.get("levels")
    if not isinstance(levels, list) or not 1 <= len(levels) <= 8:
        errors["levels"] = ["1 to 8 levels."]
    else:
        found = [e for n, level in enumerate(levels, start=1) for e in _check_level(n, level)]
        if found:
            errors["levels"] = found
    repeats = raw.get("repeat_count")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 0 <= repeats <= 5:
        errors["repeat_count"] = ["A whole number from 0 to 5."]
    fallback = raw.get("fallback_phone")
    if fallback is not None:
        try:
            fallback = e164(fallback)
        except ValueError as exc:
            errors["fallback_phone"] = [str(exc)]
    if errors:
        raise DomainError("The escalation policy is not valid.", errors)
    return {"levels": levels, "repeat_count": repeats, "fallback_phone": fallback}


def save_policy(session, clinic_id: int, body: dict, *, staff_id: int, now: datetime) -> dict:
    """A new version of the clinic's policy; every named staff member must be pageable, and no
    level may wait longer than the clinical limits before the next is paged."""
    body = check_policy(body)
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
