"""Inbound SMS: opt-out and opt-in keywords, HELP, and handlers that later features register
(ACK replies from nurses). Deduplicated on Twilio's MessageSid."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from messages.outbox import record_opt_out
from messages.templates import render
from models import InboundMessage, Patient, SmsOptOut

OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN = {"START", "YES", "UNSTOP"}
HELP = {"HELP", "INFO"}

# handler(session, from_phone, body, now) -> reply text, or None when not for this handler.
InboundHandler = Callable[..., str | None]
_handlers: list[InboundHandler] = []


def register_handler(handler: InboundHandler) -> InboundHandler:
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def handlers() -> list[InboundHandler]:
    return list(_handlers)


def remove_handler(handler: InboundHandler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


def _language(session, phone: str) -> str:
    patient = session.scalars(select(Patient).where(Patient.phone == phone)).first()
    return patient.language if patient else "en"


def handle_inbound(
    session, *, sid: str, from_phone: str, body: str, now: datetime, help_number: str
) -> str | None:
    """Return the reply to send back (TwiML), or None for no reply."""
    seen = session.scalars(
        select(InboundMessage).where(InboundMessage.message_sid == sid)
    ).one_or_none()
    if seen is not None:  # Twilio retried the webhook: same answer, no second effect
        return seen.reply
    keyword = body.strip().upper()
    language = _language(session, from_phone)
    if keyword in OPT_OUT:
        record_opt_out(session, from_phone, now=now, source="inbound")
        kind, reply = "opt_out", render("opted_out", language)
    elif keyword in OPT_IN and (keyword != "YES" or session.get(SmsOptOut, from_phone)):
        # "YES" resumes texts only for a number that stopped them; from anyone else it is an
        # answer (a nurse replying to a page), left to the handlers.
        opt_out = session.get(SmsOptOut, from_phone)
        if opt_out is not None:
            session.delete(opt_out)
        kind, reply = "opt_in", render("opted_in", language)
    elif keyword in HELP:
        kind = "help"
        reply = (
            render("help", language, help_number=help_number)
            if help_number
            else render("help_no_number", language)
        )
    else:
        kind, reply = "none", None
        for handler in _handlers:
            reply = handler(session, from_phone, body, now)
            if reply is not None:
                kind = "handler"
                break
    session.add(
        InboundMessage(
            message_sid=sid,
            from_phone=from_phone[:32],
            body=body[:1600],
            handled_as=kind,
            reply=reply,
            received_at=now,
        )
    )
    return reply
