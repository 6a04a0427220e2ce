"""Alerts and the escalation policy engine: page level by level until someone acknowledges.

A clinic's policy is ordered levels of recipients (staff ids, or "on_call", "clinicians",
"admins"), each with an acknowledgement timeout per urgency, repeated `repeat_count` times; after
the last level the alert stays open, marked exhausted, and the fallback number is paged.
Routine alerts are not paged: they wait in the care team's queue.
"""

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from messages import inbound, outbox
from messages.outbox import OutboxPolicy
from messages.templates import render
from models import (
    Alert,
    AlertPage,
    AuditEvent,
    Clinic,
    EscalationPolicy,
    Message,
    Patient,
    Staff,
)
from models.errors import Conflict, DomainError
from triage.engine import worst

# PROPOSED defaults (clinical-rules §2.1: urgent callback target 30 minutes).
DEFAULT_POLICY = {
    "levels": [
        {"recipients": ["on_call"], "timeout_minutes": {"emergency": 5, "urgent": 10}},
        {"recipients": ["clinicians"], "timeout_minutes": {"emergency": 5, "urgent": 10}},
        {"recipients": ["admins"], "timeout_minutes": {"emergency": 5, "urgent": 10}},
    ],
    "repeat_count": 1,
    "fallback_phone": None,
}
PAGED = ("urgent", "emergency")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
UNDELIVERABLE = ("failed", "dead", "expired", "opted_out", "undelivered")
ACK = re.compile(r"^\s*ACK\s+([A-Za-z0-9]{4,8})\s*$", re.IGNORECASE)


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


def _new_case_code(session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))
        if session.scalar(select(Alert.id).where(Alert.case_code == code)) is None:
            return code


def _audit(session, alert, action, *, actor: Staff | None = None, detail=None, now):
    session.add(
        AuditEvent(
            occurred_at=now,
            clinic_id=alert.clinic_id,
            actor_type="staff" if actor else "system",
            actor_id=actor.id if actor else None,
            action=action,
            patient_id=alert.patient_id,
            target=f"alert:{alert.id}",
            outcome="success",
            detail=detail,
        )
    )


def raise_alert(
    session,
    patient: Patient,
    *,
    urgency,
    source,
    symptom_codes,
    rule_ids,
    now,
    base_url,
    outbox_policy: OutboxPolicy,
) -> Alert:
    """Join the patient's open alert for the same symptom (no second page), or open a new one
    and page its first level. Pages are queued with `outbox_policy` (the configured one)."""
    for alert in session.scalars(
        select(Alert)
        .where(Alert.patient_id == patient.id, Alert.status != "resolved")
        .with_for_update()
    ):
        if set(alert.symptom_codes) & set(symptom_codes):
            if urgency in PAGED and alert.urgency not in PAGED:
                break  # a routine item turned urgent: that needs a page of its own
            alert.urgency = worst(alert.urgency, urgency)
            alert.rule_ids = sorted(set(alert.rule_ids) | set(rule_ids))
            _audit(session, alert, "alert.joined", detail={"urgency": urgency}, now=now)
            return alert
    policy = current_policy(session, patient.clinic_id)
    alert = Alert(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        case_code=_new_case_code(session),
        urgency=urgency,
        source=source,
        symptom_codes=symptom_codes,
        rule_ids=rule_ids,
        status="open",
        level=0,
        round=0,
        policy_version=policy["version"],
        link_base=base_url,
        created_at=now,
    )
    session.add(alert)
    session.flush()
    _audit(session, alert, "alert.raised", detail={"urgency": urgency, "rules": rule_ids}, now=now)
    if urgency in PAGED:
        _page_level(session, alert, policy, now=now, outbox_policy=outbox_policy)
    return alert


def _recipients(session, clinic_id: int, tokens: list) -> list[Staff]:
    staff = session.scalars(
        select(Staff)
        .where(Staff.clinic_id == clinic_id, Staff.active.is_(True), Staff.phone.is_not(None))
        .order_by(Staff.id)
    ).all()
    chosen = []
    for token in tokens:
        if token == "on_call":
            chosen += [s for s in staff if s.on_call]
        elif token == "clinicians":
            chosen += [s for s in staff if s.role == "clinician"]
        elif token == "admins":
            chosen += [s for s in staff if s.role == "admin"]
        else:
            chosen += [s for s in staff if s.id == token]
    return list(dict.fromkeys(chosen))


def _send_page(session, alert, *, phone, staff_id, key, now, outbox_policy):
    token = secrets.token_urlsafe(16)
    body = render(
        "escalation_page",
        "en",
        urgency=alert.urgency.upper(),
        case=alert.case_code,
        link=f"{alert.link_base}/c/{token}",
    )
    message = outbox.enqueue(
        session,
        purpose="escalation",
        to_phone=phone,
        body=body,
        idempotency_key=key,
        now=now,
        policy=outbox_policy,
        clinic_id=alert.clinic_id,
        recipient_type="staff" if staff_id else "number",
        recipient_id=staff_id,
        ref=f"alert:{alert.id}",
    )
    session.add(
        AlertPage(
            alert_id=alert.id,
            level=alert.level,
            round=alert.round,
            staff_id=staff_id,
            phone=phone,
            message_id=message.id,
            link_token=token,
            paged_at=now,
        )
    )


def _page_level(session, alert, policy, *, now, outbox_policy) -> None:
    """Page everyone of the alert's current level; a level with nobody to page is skipped."""
    levels = policy["levels"]
    while True:
        level = levels[alert.level]
        people = _recipients(session, alert.clinic_id, level["recipients"])
        if people:
            for person in people:
                key = f"alert:{alert.id}:r{alert.round}:l{alert.level}:s{person.id}"
                _send_page(
                    session,
                    alert,
                    phone=person.phone,
                    staff_id=person.id,
                    key=key,
                    now=now,
                    outbox_policy=outbox_policy,
                )
            minutes = level["timeout_minutes"].get(alert.urgency, 15)
            alert.next_escalation_at = now + timedelta(minutes=minutes)
            _audit(
                session,
                alert,
                "alert.paged",
                detail={
                    "level": alert.level,
                    "round": alert.round,
                    "staff": [p.id for p in people],
                },
                now=now,
            )
            return
        if not _advance(alert, policy):
            _exhaust(session, alert, policy, now=now, outbox_policy=outbox_policy)
            return


def _advance(alert, policy) -> bool:
    """Move to the next level (or the next round); False when every round is used."""
    if alert.level + 1 < len(policy["levels"]):
        alert.level += 1
        return True
    if alert.round < policy["repeat_count"]:
        alert.round, alert.level = alert.round + 1, 0
        return True
    return False


def _exhaust(session, alert, policy, *, now, outbox_policy):
    alert.exhausted_at, alert.next_escalation_at = now, None
    _audit(session, alert, "alert.exhausted", now=now)
    fallback = policy.get("fallback_phone") or _clinic_phone(session, alert)
    if fallback:
        _send_page(
            session,
            alert,
            phone=fallback,
            staff_id=None,
            key=f"alert:{alert.id}:fallback",
            now=now,
            outbox_policy=outbox_policy,
        )


def _clinic_phone(session, alert) -> str | None:
    return session.get(Clinic, alert.clinic_id).care_team_phone


def escalate(session, alert: Alert, *, now: datetime, outbox_policy: OutboxPolicy) -> None:
    policy = current_policy(session, alert.clinic_id)
    if _advance(alert, policy):
        _page_level(session, alert, policy, now=now, outbox_policy=outbox_policy)
    else:
        _exhaust(session, alert, policy, now=now, outbox_policy=outbox_policy)


def escalate_due(session, *, now: datetime, outbox_policy: OutboxPolicy, limit: int = 100) -> int:
    """The worker's job: open alerts past their acknowledgement deadline go one level on."""
    stmt = (
        select(Alert)
        .where(Alert.status == "open", Alert.next_escalation_at <= now)
        .order_by(Alert.next_escalation_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    alerts = session.scalars(stmt).all()
    for alert in alerts:
        escalate(session, alert, now=now, outbox_policy=outbox_policy)
    return len(alerts)


@outbox.on_failure("escalation")
def page_failed(session, message: Message, now: datetime, policy: OutboxPolicy) -> None:
    """A page could not be delivered: when nobody of the current level can be reached, move on
    at once instead of waiting for the timeout."""
    page = session.scalars(select(AlertPage).where(AlertPage.message_id == message.id)).first()
    if page is None or page.alert.status != "open" or page.alert.exhausted_at is not None:
        return
    alert = page.alert
    if (page.level, page.round) != (alert.level, alert.round):
        return
    current = [p for p in alert.pages if (p.level, p.round) == (alert.level, alert.round)]
    statuses = [session.get(Message, p.message_id).status for p in current]
    if all(status in UNDELIVERABLE for status in statuses):
        _audit(session, alert, "alert.page_failed", detail={"message": message.id}, now=now)
        escalate(session, alert, now=now, outbox_policy=policy)


def acknowledge(session, alert: Alert, staff: Staff, *, now: datetime, via: str) -> Alert:
    if alert.status == "resolved":
        raise Conflict("The alert is resolved.")
    if alert.status == "open":
        alert.status, alert.acknowledged_at, alert.acknowledged_by_id = (
            "acknowledged",
            now,
            staff.id,
        )
        alert.next_escalation_at = None
        _audit(session, alert, "alert.ack", actor=staff, detail={"via": via}, now=now)
    return alert


def resolve(session, alert: Alert, staff: Staff, note: str, *, now: datetime) -> Alert:
    if alert.status == "resolved":
        raise Conflict("The alert is already resolved.")
    if alert.status == "open":
        acknowledge(session, alert, staff, now=now, via="resolve")
    alert.status, alert.resolved_at, alert.resolved_by_id = "resolved", now, staff.id
    alert.resolution_note, alert.next_escalation_at = note, None
    _audit(session, alert, "alert.resolve", actor=staff, now=now)
    return alert


def handle_ack_sms(session, from_phone: str, body: str, now: datetime) -> str | None:
    """`ACK <case>` from a phone that was paged for that case acknowledges it."""
    match = ACK.match(body)
    if match is None:
        return None
    code = match.group(1).upper()
    alert = session.scalars(select(Alert).where(Alert.case_code == code)).first()
    if alert is None or alert.status == "resolved":
        return render("ack_unknown", case=code)
    paged = [p for p in alert.pages if p.phone == from_phone and p.staff_id is not None]
    if not paged:
        return render("ack_not_paged", case=code)
    if alert.status == "acknowledged":
        return render("ack_already", case=code)
    acknowledge(session, alert, session.get(Staff, paged[0].staff_id), now=now, via="sms")
    return render("ack_done", case=code)


inbound.register_handler(handle_ack_sms)


def save_policy(session, clinic_id: int, body: dict, *, staff_id: int, now: datetime) -> dict:
    """A new version of the clinic's policy; every named staff member must be pageable."""
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
