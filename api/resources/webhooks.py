"""Twilio webhooks: thin. Verify the signature, hand the form to `messages/` (or the case's
acknowledgement to `triage/`), commit."""

from flask import Blueprint, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from api.deployment import outbox_policy
from messages import inbound, status, voice
from models import db, utcnow
from models.errors import DomainError, Forbidden
from triage import acknowledgement

BAD_SIGNATURE = "Missing or invalid Twilio signature."

blp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")


def public_url() -> str:
    """The URL Twilio signed. Behind a TLS-terminating proxy request.url says http://internal...,
    so PUBLIC_BASE_URL (when set) replaces scheme and host; the path and query are kept."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base:
        return request.url
    query = request.query_string.decode()
    return base + request.path + (f"?{query}" if query else "")


def verify_signature() -> None:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        raise Forbidden(BAD_SIGNATURE, code="signature_invalid")
    if not RequestValidator(token).validate(public_url(), request.form, signature):
        raise Forbidden(BAD_SIGNATURE, code="signature_invalid")


def _required(name: str, max_length: int = 1600) -> str:
    value = request.form.get(name, "")
    if not value or len(value) > max_length or "\x00" in value:
        raise DomainError("Malformed webhook.", {name: ["Missing, too long or not text."]})
    return value


def _text(name: str, max_length: int) -> str:
    """Free text Twilio relays: kept, without the NUL character PostgreSQL cannot store."""
    return request.form.get(name, "").replace("\x00", "")[:max_length]


@blp.post("/status")
def status_callback():
    """Record a delivery status reported by Twilio"""
    verify_signature()
    status.apply_status(
        db.session,
        sid=_required("MessageSid", 34),
        status=_required("MessageStatus", 16),
        error_code=_text("ErrorCode", 16) or None,
        now=utcnow(),
        policy=outbox_policy(),
    )
    db.session.commit()
    return "", 204


@blp.post("/inbound")
def inbound_sms():
    """Handle an SMS sent to the clinic's number; reply with TwiML"""
    verify_signature()
    reply = inbound.handle_inbound(
        db.session,
        sid=_required("MessageSid", 34),
        from_phone=_required("From", 32),
        body=_text("Body", 1600),
        now=utcnow(),
        help_number=current_app.config["SMS_HELP_NUMBER"],
    )
    db.session.commit()
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return str(twiml), 200, {"Content-Type": "application/xml"}


@blp.post("/call-status")
def call_status_callback():
    """Record a page call's final status reported by Twilio"""
    verify_signature()
    status.apply_call_status(
        db.session,
        sid=_required("CallSid", 34),
        status=_required("CallStatus", 16),
        answered_by=_text("AnsweredBy", 32) or None,
        now=utcnow(),
        policy=outbox_policy(),
    )
    db.session.commit()
    return "", 204


@blp.post("/voice/<string(length=22):token>")
def voice_gather(token):
    """Press 1 on a page call: acknowledge that case for that staff member; reply with TwiML"""
    verify_signature()
    outcome, case = acknowledgement.acknowledge_by_call(
        db.session,
        token=token,
        call_sid=_required("CallSid", 34),
        digits=_text("Digits", 8),
        now=utcnow(),
    )
    db.session.commit()
    return voice.reply_twiml(outcome, case), 200, {"Content-Type": "application/xml"}
