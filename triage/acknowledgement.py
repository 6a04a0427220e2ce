"""Acknowledging and resolving cases, in the console, through the API, by SMS reply, or by
pressing 1 on a page call.

Nurses reply the way people type: "ACK KY9CM.", "ack: ky9cm", "ACK #KY9CM thanks", "ACKKY9CM",
or a bare "ACK". A reply acknowledges only a case its phone was paged for; a bare ACK from a
phone with exactly one open page takes that one, and with several it lists their codes; any
other text from a paged phone is answered with how to acknowledge.
"""

import re
from datetime import datetime, timedelta

from sqlalchemy import String, cast, literal, select

from messages import notices
from messages.templates import render
from models import Alert, AlertPage, Message, Notification, Patient, Staff
from models.errors import Conflict, NotFound
from models.vocabulary import AlertStatus, Channel, NotificationKind, PageKind, Purpose
from triage.cases import CODE_ALPHABET
from triage.escalation import audit_case, cancel_calls

ACK_WORDS = {"ACK", "ACKED", "ACKNOWLEDGE", "ACKNOWLEDGED", "ACKNOWLEDGING"}
_TOKEN = re.compile(r"[A-Z0-9]+")
_CODE = re.compile(rf"[{CODE_ALPHABET}]{{5}}")


def acknowledge(session, alert: Alert, staff: Staff, *, now: datetime, via: str) -> Alert:
    """Take the case: paging stops. On a case already taken it marks the newest reports seen."""
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("The alert is resolved.")
    if alert.status == AlertStatus.OPEN:
        alert.status, alert.acknowledged_at, alert.acknowledged_by_id = (
            AlertStatus.ACKNOWLEDGED,
            now,
            staff.id,
        )
        alert.next_escalation_at = None
        cancel_calls(session, alert, now=now)
        audit_case(session, alert, "alert.ack", actor=staff, detail={"via": via}, now=now)
    else:
        mark_reviewed(alert, now=now)
    return alert


def acknowledge_by_call(session, *, token: str, call_sid: str, digits: str, now: datetime):
    """A page call's Gather: "1" acknowledges exactly the case that call was about, for exactly
    the staff member it rang (the token is that page's, the CallSid that call's). Returns the
    spoken outcome (done, already, not_ack) and the case code."""
    page = session.scalars(
        select(AlertPage)
        .join(Message, Message.id == AlertPage.message_id)
        .where(AlertPage.link_token == token, Message.channel == Channel.CALL)
    ).one_or_none()
    sid = page and session.get(Message, page.message_id).twilio_sid
    if page is None or page.staff_id is None or (sid is not None and sid != call_sid):
        raise NotFound("No such call.")
    alert, staff = page.alert, session.get(Staff, page.staff_id)
    if digits != "1" or not staff.active or alert.status == AlertStatus.RESOLVED:
        return "not_ack", alert.case_code
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return "already", alert.case_code
    acknowledge(session, alert, staff, now=now, via="call")
    return "done", alert.case_code


SEEN_WINDOW = timedelta(hours=1)  # an acknowledgement older than this is not announced late


def notify_patients_seen(session, *, now: datetime, outbox_policy, limit: int = 200) -> int:
    """The worker's job: a patient whose case the care team has just acknowledged is told so,
    once per acknowledgement, by push (SMS when there is no device; messages.notices). However
    the case was taken (console, API, SMS, call), the notice goes out within one poll."""
    seen = (
        select(Notification.id)
        .where(
            Notification.kind == NotificationKind.CASE_SEEN,
            Notification.ref
            == literal("alert:") + cast(Alert.id, String) + ":e" + cast(Alert.epoch, String),
        )
        .exists()
    )
    stmt = (
        select(Alert)
        .where(
            Alert.status == AlertStatus.ACKNOWLEDGED,
            Alert.acknowledged_at >= now - SEEN_WINDOW,
            ~seen,
        )
        .order_by(Alert.acknowledged_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Alert, skip_locked=True)
    alerts = session.scalars(stmt).all()
    for alert in alerts:
        patient = session.get(Patient, alert.patient_id)
        ref = f"alert:{alert.id}:e{alert.epoch}"
        sent = notices.notify_patient(
            session,
            patient,
            kind=NotificationKind.CASE_SEEN,
            ref=ref,
            key=f"case_seen:{ref}",
            purpose=Purpose.SYSTEM,
            now=now,
            policy=outbox_policy,
        )
        if sent is None:  # no device, no SMS consent: the app shows it (GET /me/alerts)
            session.add(notices.silent(patient, kind=NotificationKind.CASE_SEEN, ref=ref, now=now))
    return len(alerts)


def mark_reviewed(alert: Alert, *, now: datetime) -> None:
    """A staff member opened the case: its reports so far count as seen (E-JOIN-1)."""
    if alert.status == AlertStatus.ACKNOWLEDGED:
        alert.reviewed_at = now


def resolve(session, alert: Alert, staff: Staff, note: str, *, now: datetime) -> Alert:
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("The alert is already resolved.")
    if alert.status == AlertStatus.OPEN:
        acknowledge(session, alert, staff, now=now, via="resolve")
    alert.status, alert.resolved_at, alert.resolved_by_id = AlertStatus.RESOLVED, now, staff.id
    alert.resolution_note, alert.next_escalation_at = note, None
    audit_case(session, alert, "alert.resolve", actor=staff, now=now)
    return alert


def parse_ack(body: str) -> tuple[bool, list[str]]:
    """(is this an acknowledgement, the case codes in it, in order)."""
    is_ack, codes = False, []
    for token in _TOKEN.findall(body.upper()):
        if token in ACK_WORDS:
            is_ack = True
        elif token.startswith("ACK") and _CODE.fullmatch(token[3:]):
            is_ack = True
            codes.append(token[3:])
        elif _CODE.fullmatch(token):
            codes.append(token)
    return is_ack, list(dict.fromkeys(codes))


def _open_cases_paged(session, phone: str) -> list[Alert]:
    paged = select(AlertPage.alert_id).where(
        AlertPage.phone == phone, AlertPage.staff_id.is_not(None), AlertPage.kind == PageKind.PAGE
    )
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.id.in_(paged), Alert.status == AlertStatus.OPEN)
            .order_by(Alert.id)
        )
    )


def _ever_paged(session, phone: str) -> bool:
    return session.scalar(select(AlertPage.id).where(AlertPage.phone == phone).limit(1)) is not None


def _ack_by_sms(session, alert: Alert | None, code: str, phone: str, now: datetime):
    """(the reply, whether the case is now taken) for one code. A code of no case, of a resolved
    case or of a case this phone was not paged for gets the same reply: a phone learns nothing of
    cases that are not its own."""
    staff = _paged_staff(session, alert, phone) if alert is not None else None
    if staff is None or alert.status == AlertStatus.RESOLVED:
        return render("ack_unknown", case=code), False
    if alert.status == AlertStatus.ACKNOWLEDGED:
        mark_reviewed(alert, now=now)
        return render("ack_already", case=alert.case_code), True
    acknowledge(session, alert, staff, now=now, via="sms")
    return render("ack_done", case=alert.case_code), True


def _paged_staff(session, alert: Alert, phone: str) -> Staff | None:
    """The active staff member this phone was paged as for the case, newest page first (staff may
    share a ward phone, and one of them may have left)."""
    for page in reversed(alert.pages):
        if page.kind == PageKind.PAGE and page.phone == phone and page.staff_id:
            staff = session.get(Staff, page.staff_id)
            if staff is not None and staff.active:
                return staff
    return None


def handle_ack_sms(session, from_phone: str, body: str, now: datetime) -> str | None:
    """The reply to a nurse's SMS; None when the text is not for this handler."""
    open_cases = _open_cases_paged(session, from_phone)
    if not open_cases and not _ever_paged(session, from_phone):
        return None  # not a care-team phone: it is told nothing about cases
    is_ack, codes = parse_ack(body)
    if not is_ack:
        return _how(open_cases) if open_cases else None
    if codes:  # each code is taken only if this phone was paged for it; never guess another
        found = {
            a.case_code: a for a in session.scalars(select(Alert).where(Alert.case_code.in_(codes)))
        }
        results = [_ack_by_sms(session, found.get(c), c, from_phone, now) for c in codes]
        replies = [text for text, _ in results]
        if open_cases and not any(taken for _, taken in results):
            replies.append(_how(open_cases))
        return " ".join(replies)
    if len(open_cases) == 1:  # a bare ACK: the one open page of this phone
        return _ack_by_sms(session, open_cases[0], open_cases[0].case_code, from_phone, now)[0]
    if open_cases:
        return _how(open_cases)
    return render("ack_none_open")


def _how(open_cases: list[Alert]) -> str:
    if len(open_cases) == 1:
        return render("ack_how", case=open_cases[0].case_code)
    return render("ack_choose", case=", ".join(a.case_code for a in open_cases))
