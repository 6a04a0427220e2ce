"""Pages and reminders sent, as Communications: `page-<n>` for each SMS about an alert (a page
or a notice), `reminder-<n>` for each released reminder. The payload is only what the SMS
carried (minimum PHI by design), less the console link's one-time token; the in-app reminder
text is not included."""

import re

from sqlalchemy import String, literal, or_, select, union_all

from fhir_r4 import params
from fhir_r4.common import Context, coding, instant, latest, local, meta, ref, staff_reference
from models import Alert, AlertPage, Message, Reminder, Staff
from models.vocabulary import Channel
from schedules.rules import DEFAULT_RULES
from triage import codes

SEARCH_PARAMS = {
    "patient": ("reference", "The patient the message was about or sent to"),
    "subject": ("reference", "Same as patient"),
    "category": ("token", "alert (pages), notification (new-report notices) or reminder"),
    "sent": ("date", "When sent"),
    "_lastUpdated": ("date", "Queued, sent, or its delivery status changed"),
    "_id": ("token", "page-<n> or reminder-<n>"),
}
_LINK = re.compile(r"https?://\S+/c/[A-Za-z0-9_-]+")
_SAY = re.compile(r"<Say>([^<]*)</Say>")
_WORD = {Channel.SMS: "SMS", Channel.PUSH: "Push", Channel.CALL: "Call"}
_TITLES = {rule.id: rule.title for rule in DEFAULT_RULES}
_DONE = ("sent", "delivered")
_PENDING = ("queued", "sending")


def parse_id(resource_id: str) -> tuple[str, int] | None:
    kind, _, number = resource_id.partition("-")
    if kind in ("page", "reminder") and number.isdigit() and 0 < int(number) < 2**31:
        return kind, int(number)
    return None


def _union(ctx: Context, dialect: str):
    pages = (
        select(
            literal("page", String).label("kind"),
            AlertPage.id.label("id"),
            Alert.patient_id.label("patient_id"),
            literal("alert", String).label("category"),
            AlertPage.kind.label("page_kind"),
            Message.sent_at.label("sent"),
            latest(dialect, AlertPage.paged_at, Message.updated_at).label("updated"),
        )
        .join(Alert, Alert.id == AlertPage.alert_id)
        .outerjoin(Message, Message.id == AlertPage.message_id)
        .where(Alert.clinic_id == ctx.clinic_id)
    )
    reminders = (
        select(
            literal("reminder", String).label("kind"),
            Reminder.id.label("id"),
            Reminder.patient_id.label("patient_id"),
            literal("reminder", String).label("category"),
            literal("reminder", String).label("page_kind"),
            Reminder.released_at.label("sent"),
            latest(dialect, Reminder.updated_at, Message.updated_at).label("updated"),
        )
        .outerjoin(Message, Message.id == Reminder.message_id)
        .where(Reminder.clinic_id == ctx.clinic_id, Reminder.status == "released")
    )
    return union_all(pages, reminders).subquery()


def keys(ctx: Context, parsed: dict, dialect: str):
    u = _union(ctx, dialect)
    stmt = select(u.c.kind, u.c.id)
    for patient_id in parsed.get("patient", []):
        stmt = stmt.where(u.c.patient_id == patient_id)
    for values in parsed.get("category", []):
        wanted = {c for s, c in values if s in (None, codes.COMMUNICATION_CATEGORY)}
        kinds = {"alert": "page", "notification": "notice", "reminder": "reminder"}
        stmt = stmt.where(u.c.page_kind.in_([kinds[c] for c in wanted if c in kinds]))
    for values in parsed.get("_id", []):
        ids = [p for p in (parse_id(c) for _, c in values) if p]
        stmt = stmt.where(or_(params.nothing(), *((u.c.kind == k) & (u.c.id == n) for k, n in ids)))
    for value in parsed.get("sent", []):
        stmt = stmt.where(params.date_condition(value, u.c.sent))
    for value in parsed.get("_lastUpdated", []):
        stmt = stmt.where(params.date_condition(value, u.c.updated))
    return stmt.order_by(u.c.updated, u.c.kind, u.c.id)


def owner(session, resource_id: str) -> int | None:
    parsed = parse_id(resource_id)
    if parsed is None:
        return None
    kind, number = parsed
    if kind == "page":
        page = session.get(AlertPage, number)
        return page.alert.patient_id if page else None
    reminder = session.get(Reminder, number)
    return reminder.patient_id if reminder and reminder.status == "released" else None


def load(session, ctx: Context, found: list[tuple[str, int]]) -> list[dict]:
    page_ids = [n for k, n in found if k == "page"]
    reminder_ids = [n for k, n in found if k == "reminder"]
    pages = {p.id: p for p in session.scalars(select(AlertPage).where(AlertPage.id.in_(page_ids)))}
    reminders = {
        r.id: r for r in session.scalars(select(Reminder).where(Reminder.id.in_(reminder_ids)))
    }
    message_ids = {p.message_id for p in pages.values()} | {
        r.message_id for r in reminders.values()
    }
    messages = {
        m.id: m for m in session.scalars(select(Message).where(Message.id.in_(message_ids)))
    }
    staff_ids = {p.staff_id for p in pages.values()} - {None}
    staff = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))}
    result = []
    for kind, number in found:
        if kind == "page":
            p = pages[number]
            result.append(page(p, messages.get(p.message_id), staff.get(p.staff_id), ctx.base))
        else:
            r = reminders[number]
            result.append(reminder(r, messages.get(r.message_id), ctx.base))
    return result


def read(session, ctx: Context, resource_id: str) -> dict:
    return load(session, ctx, [parse_id(resource_id)])[0]


def _sms(body: str) -> dict:
    return {"contentString": _LINK.sub("[console link]", body)}


def _payload(message: Message) -> dict:
    """What the recipient read or heard: an SMS's text (its one-time link replaced), a push's
    title, or a call's spoken words (the TwiML's tags and its Gather URL's token left out)."""
    if message.channel == Channel.CALL:
        spoken = " ".join(t.strip() for t in _SAY.findall(message.body) if t.strip())
        return {"contentString": spoken}
    return _sms(message.body)


def _channel_medium(message: Message | None) -> dict:
    if message is not None and message.channel == Channel.CALL:
        return {"coding": [coding(codes.PARTICIPATION_MODE, "PHONE", "telephone")], "text": "Call"}
    if message is not None and message.channel == Channel.PUSH:
        return _medium("Push")
    return _medium("SMS")


def _status(message: Message | None) -> tuple[str, dict | None]:
    if message is None or message.status in _DONE:
        return "completed", None
    if message.status in _PENDING:
        return "in-progress", None
    reason = message.status + (f" ({message.error_code})" if message.error_code else "")
    return "not-done", {"text": reason}


def _medium(text: str) -> dict:
    return {"coding": [coding(codes.PARTICIPATION_MODE, "WRITTEN", "written")], "text": text}


def _category(code: str) -> list[dict]:
    return [{"coding": [coding(codes.COMMUNICATION_CATEGORY, code)], "text": code}]


def page(p: AlertPage, message: Message | None, staff: Staff | None, base: str) -> dict:
    alert = p.alert
    status, reason = _status(message)
    recipient = staff_reference(base, staff) if staff else {"display": "Fallback number"}
    updated = max(t for t in (p.paged_at, message and message.updated_at) if t)
    data = {
        "resourceType": "Communication",
        "id": f"page-{p.id}",
        "meta": meta(updated),
        "status": status,
        "statusReason": reason,
        "category": _category("alert" if p.kind == "page" else "notification"),
        "priority": codes.COMMUNICATION_PRIORITIES.get(p.urgency or alert.urgency, "routine"),
        "medium": [_channel_medium(message)],
        "subject": ref("Patient", alert.patient_id),
        "about": [ref("Flag", alert.id)],
        "sent": instant(message.sent_at) if message else None,
        "received": instant(message.delivered_at) if message else None,
        "recipient": [recipient],
        "payload": [_payload(message)] if message else None,
    }
    return {k: v for k, v in data.items() if v is not None}


def reminder(r: Reminder, message: Message | None, base: str) -> dict:
    """A reminder released to the app; `payload` is the SMS notice when one was sent."""
    topic = coding(local(base, "reminder_rule"), r.rule_id, _TITLES.get(r.rule_id))
    updated = max(t for t in (r.updated_at, message and message.updated_at) if t)
    data = {
        "resourceType": "Communication",
        "id": f"reminder-{r.id}",
        "meta": meta(updated),
        "status": "completed",
        "category": _category("reminder"),
        "medium": [_medium("In-app message")] + ([_channel_medium(message)] if message else []),
        "subject": ref("Patient", r.patient_id),
        "topic": {"coding": [topic], "text": r.rule_id},
        "sent": instant(r.released_at),
        "received": instant(r.acknowledged_at),
        "recipient": [ref("Patient", r.patient_id)],
        "payload": [_sms(message.body)] if message else None,
        "note": [{"text": f"{_WORD[message.channel]} notice: {message.status}"}]
        if message
        else None,
    }
    return {k: v for k, v in data.items() if v is not None}
