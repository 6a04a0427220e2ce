"""The escalation engine: page a case level by level until someone acknowledges it.

A clinic's policy (triage.policies) is ordered levels of recipients, each with an
acknowledgement timeout per urgency, repeated `repeat_count` times; after the last level the
case stays open, marked exhausted, and the fallback number is paged. Routine cases are not
paged: they wait in the care team's queue. A rise in urgency (E-JOIN-2) starts a new epoch of
pages with the new urgency; a report joining an acknowledged case (E-JOIN-1) sends one notice to
whoever acknowledged it.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from messages import outbox, voice
from messages.templates import render
from models import Alert, AlertPage, AuditEvent, Clinic, Message, Staff
from models.vocabulary import UNDELIVERABLE, AlertStatus, Channel, MessageStatus, PageKind, Purpose
from triage.policies import current_policy


def audit_case(session, alert, action, *, actor: Staff | None = None, detail=None, now):
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
    by_phone = {}  # staff sharing a ward phone: one page to the phone, not one each
    for person in chosen:
        by_phone.setdefault(person.phone, person)
    return list(by_phone.values())


def _record_page(session, alert, kind, staff_id, phone, message, token, now) -> None:
    """The case's record of one SMS or call about it, at the case's current epoch and level."""
    session.add(
        AlertPage(
            alert_id=alert.id,
            kind=kind,
            urgency=alert.urgency,
            epoch=alert.epoch,
            level=alert.level,
            round=alert.round,
            staff_id=staff_id,
            phone=phone,
            message_id=message.id,
            link_token=token,
            paged_at=now,
        )
    )


def _send(
    session, alert, *, template, phone, staff_id, key, now, outbox_policy, kind=PageKind.PAGE
):
    """Queue one SMS about the case (urgency, opaque case code and console link only)."""
    token = secrets.token_urlsafe(16)
    body = render(
        template,
        "en",
        urgency=alert.urgency.upper(),
        case=alert.case_code,
        link=f"{alert.link_base}/c/{token}",
    )
    message = outbox.enqueue(
        session,
        purpose=Purpose.ESCALATION,
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
    _record_page(session, alert, kind, staff_id, phone, message, token, now)


def _call(session, alert, person, *, key, now, outbox_policy, not_before=None):
    """Queue a voice call about the case: its urgency and case code are spoken, "press 1"
    acknowledges it (the Gather posts to a URL carrying only an opaque token)."""
    token = secrets.token_urlsafe(16)
    twiml = voice.page_twiml(
        urgency=alert.urgency,
        case=alert.case_code,
        action_url=f"{alert.link_base}/webhooks/twilio/voice/{token}",
    )
    message = outbox.enqueue(
        session,
        purpose=Purpose.ESCALATION,
        channel=Channel.CALL,
        to_phone=person.phone,
        body=twiml,
        idempotency_key=key,
        now=now,
        not_before=not_before,
        policy=outbox_policy,
        clinic_id=alert.clinic_id,
        recipient_type="staff",
        recipient_id=person.id,
        ref=f"alert:{alert.id}",
    )
    _record_page(session, alert, PageKind.PAGE, person.id, person.phone, message, token, now)


def _page_people(session, alert, people, *, template, now, outbox_policy, level=None) -> None:
    """Page each person the level's way: SMS, a call, or SMS then a call N minutes later
    (cancelled if the case is acknowledged before, `cancel_calls`)."""
    channel = (level or {}).get("channel", Channel.SMS)
    after = (level or {}).get("sms_then_call_after_minutes")
    for person in people:
        key = f"alert:{alert.id}:e{alert.epoch}:r{alert.round}:l{alert.level}:s{person.id}"
        if channel != Channel.CALL:
            _send(
                session,
                alert,
                template=template,
                phone=person.phone,
                staff_id=person.id,
                key=key,
                now=now,
                outbox_policy=outbox_policy,
            )
        if channel == Channel.CALL or after:
            later = now + timedelta(minutes=after) if channel != Channel.CALL else None
            _call(
                session,
                alert,
                person,
                key=f"{key}:call",
                now=now,
                outbox_policy=outbox_policy,
                not_before=later,
            )


def cancel_calls(session, alert, *, now: datetime) -> None:
    """The case was acknowledged: calls still waiting for their time are not placed (closed as
    expired, code `acknowledged`; nothing else needs to know)."""
    waiting = session.scalars(
        select(Message)
        .join(AlertPage, AlertPage.message_id == Message.id)
        .where(
            AlertPage.alert_id == alert.id,
            Message.channel == Channel.CALL,
            Message.status == MessageStatus.QUEUED,
        )
    ).all()
    for message in waiting:
        message.status, message.error_code, message.updated_at = (
            MessageStatus.EXPIRED,
            "acknowledged",
            now,
        )


def page_level(
    session, alert, policy, *, now, outbox_policy, template="escalation_page"
) -> list[Staff]:
    """Page everyone of the case's current level; a level with nobody to page is skipped.
    Returns who was paged (nobody when every level is used up)."""
    levels = policy["levels"]
    while True:
        level = levels[alert.level]
        people = _recipients(session, alert.clinic_id, level["recipients"])
        if people:
            _page_people(
                session,
                alert,
                people,
                template=template,
                now=now,
                outbox_policy=outbox_policy,
                level=level,
            )
            minutes = level["timeout_minutes"].get(alert.urgency, 15)
            alert.next_escalation_at = now + timedelta(minutes=minutes)
            detail = {"level": alert.level, "round": alert.round, "epoch": alert.epoch}
            detail["staff"] = [p.id for p in people]
            audit_case(session, alert, "alert.paged", detail=detail, now=now)
            return people
        if not _advance(alert, policy):
            _exhaust(session, alert, policy, now=now, outbox_policy=outbox_policy)
            return []


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
    audit_case(session, alert, "alert.exhausted", now=now)
    fallback = policy.get("fallback_phone") or session.get(Clinic, alert.clinic_id).care_team_phone
    if fallback:
        _send(
            session,
            alert,
            template="escalation_page",
            phone=fallback,
            staff_id=None,
            key=f"alert:{alert.id}:e{alert.epoch}:fallback",
            now=now,
            outbox_policy=outbox_policy,
        )


def repage(session, alert: Alert, *, now: datetime, outbox_policy) -> None:
    """E-JOIN-2, open case: page its current level now with the raised urgency; the deadline
    becomes the new urgency's timeout if that is sooner. A case that had used up every level
    (exhausted) starts again from level 1."""
    policy = current_policy(session, alert.clinic_id)
    deadline = alert.next_escalation_at
    alert.epoch += 1
    if alert.exhausted_at is not None:
        alert.level, alert.round, alert.exhausted_at, deadline = 0, 0, None, None
    page_level(
        session, alert, policy, now=now, outbox_policy=outbox_policy, template="escalation_raised"
    )
    if deadline is not None and alert.next_escalation_at is not None:
        alert.next_escalation_at = min(deadline, alert.next_escalation_at)


def reopen(session, alert: Alert, *, now: datetime, outbox_policy) -> None:
    """E-JOIN-2, acknowledged case: open again and page from level 1 with the raised urgency's
    timeouts; whoever acknowledged it is paged too (they hold the case)."""
    holder = session.get(Staff, alert.acknowledged_by_id) if alert.acknowledged_by_id else None
    alert.status, alert.acknowledged_at, alert.acknowledged_by_id = AlertStatus.OPEN, None, None
    alert.epoch += 1
    alert.level, alert.round, alert.exhausted_at = 0, 0, None
    audit_case(session, alert, "alert.reopened", detail={"urgency": alert.urgency}, now=now)
    policy = current_policy(session, alert.clinic_id)
    paged = page_level(
        session, alert, policy, now=now, outbox_policy=outbox_policy, template="escalation_raised"
    )
    if holder is not None and holder.active and holder.phone and holder not in paged:
        _page_people(
            session,
            alert,
            [holder],
            template="escalation_raised",
            now=now,
            outbox_policy=outbox_policy,
        )


def notify_holder(session, alert: Alert, *, now: datetime, outbox_policy) -> None:
    """E-JOIN-1, acknowledged case: one notice of the new report to whoever acknowledged it;
    no second notice while the first is unread (they have not opened the case since)."""
    if alert.notified_at is not None and alert.notified_at > alert.seen_at:
        return
    holder = session.get(Staff, alert.acknowledged_by_id)
    if holder is None or not holder.active or not holder.phone:
        return
    alert.notified_at = now
    _send(
        session,
        alert,
        template="case_update",
        phone=holder.phone,
        staff_id=holder.id,
        key=f"alert:{alert.id}:notice:{secrets.token_hex(8)}",
        now=now,
        outbox_policy=outbox_policy,
        kind=PageKind.NOTICE,
    )
    audit_case(session, alert, "alert.notice", detail={"staff": holder.id}, now=now)


def escalate(session, alert: Alert, *, now: datetime, outbox_policy) -> None:
    policy = current_policy(session, alert.clinic_id)
    if _advance(alert, policy):
        page_level(session, alert, policy, now=now, outbox_policy=outbox_policy)
    else:
        _exhaust(session, alert, policy, now=now, outbox_policy=outbox_policy)


def escalate_due(session, *, now: datetime, outbox_policy, limit: int = 100) -> int:
    """The worker's job: open cases past their acknowledgement deadline go one level on."""
    stmt = (
        select(Alert)
        .where(Alert.status == AlertStatus.OPEN, Alert.next_escalation_at <= now)
        .order_by(Alert.next_escalation_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    alerts = session.scalars(stmt).all()
    for alert in alerts:
        escalate(session, alert, now=now, outbox_policy=outbox_policy)
    return len(alerts)


def page_failed(session, message: Message, now: datetime, policy) -> None:
    """A page could not be delivered: when nobody of the current level can be reached, move on
    at once instead of waiting for the timeout. (A failed notice changes nothing.)"""
    page = session.scalars(select(AlertPage).where(AlertPage.message_id == message.id)).first()
    if page is None or page.kind != PageKind.PAGE:
        return
    alert = page.alert
    if alert.status != AlertStatus.OPEN or alert.exhausted_at is not None:
        return
    step = (alert.epoch, alert.level, alert.round)
    if (page.epoch, page.level, page.round) != step:
        return
    current = [
        p for p in alert.pages if p.kind == PageKind.PAGE and (p.epoch, p.level, p.round) == step
    ]
    statuses = [session.get(Message, p.message_id).status for p in current]
    if all(status in UNDELIVERABLE for status in statuses):
        audit_case(session, alert, "alert.page_failed", detail={"message": message.id}, now=now)
        escalate(session, alert, now=now, outbox_policy=policy)
