"""Twilio webhooks: signatures, monotonic idempotent status, opt-out keywords, inbound handlers."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from messages import inbound, outbox
from messages.outbox import OutboxPolicy
from models import InboundMessage, Message, SmsOptOut, db
from tests.factories import auth, make_clinic, make_patient, make_staff
from tests.fake_twilio import AUTH_TOKEN
from tests.sms import PUBLIC, signed_post

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NURSE = "+12025550143"


@pytest.fixture
def app_config():
    return {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC}


@pytest.fixture
def sent(app):
    message = outbox.enqueue(
        db.session,
        purpose="escalation",
        to_phone=NURSE,
        body="x",
        idempotency_key="k",
        now=NOW,
        policy=OutboxPolicy(),
    )
    message.status, message.twilio_sid = "sent", "SM" + "1" * 32
    db.session.commit()
    return message


@pytest.fixture
def failures():
    seen = []

    def hook(session, message, now, policy):
        seen.append((message.id, message.status, message.error_code))

    outbox.on_failure("escalation")(hook)
    yield seen
    outbox._failure_hooks["escalation"].remove(hook)


def status(client, sid, value, **extra):
    form = {"MessageSid": sid, "MessageStatus": value, "AccountSid": "AC" + "0" * 32} | extra
    return signed_post(client, "/webhooks/twilio/status", form)


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_unsigned_or_badly_signed_calls_are_refused(client, sent, signature):
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    form = {"MessageSid": sent.twilio_sid, "MessageStatus": "delivered"}
    response = client.post("/webhooks/twilio/status", data=form, headers=headers)
    assert response.status_code == 403 and response.json["code"] == 403
    assert db.session.get(Message, sent.id).status == "sent"


def test_signed_with_another_token_is_refused(client, sent):
    response = signed_post(
        client,
        "/webhooks/twilio/status",
        {"MessageSid": sent.twilio_sid, "MessageStatus": "delivered"},
        token="another-token",
    )
    assert response.status_code == 403


def test_signature_uses_the_public_url_behind_a_tls_proxy(client, sent):
    """The proxy forwards http://10.0.0.5/...; Twilio signed https://care.example.org/..."""
    form = {"MessageSid": sent.twilio_sid, "MessageStatus": "delivered"}
    response = signed_post(
        client,
        "/webhooks/twilio/status?x=1",
        form,
        headers={"X-Forwarded-Proto": "https", "Host": "10.0.0.5"},
    )
    assert response.status_code == 204
    wrong = signed_post(client, "/webhooks/twilio/status", form, url_base="http://10.0.0.5")
    assert wrong.status_code == 403


def test_status_only_moves_forward(client, sent, failures):
    assert status(client, sent.twilio_sid, "delivered").status_code == 204
    assert status(client, sent.twilio_sid, "sent").status_code == 204  # late, out of order
    assert status(client, sent.twilio_sid, "undelivered", ErrorCode="30003").status_code == 204
    message = db.session.get(Message, sent.id)
    assert message.status == "delivered" and message.delivered_at is not None
    assert failures == []


@pytest.mark.parametrize("code", ["30003", "30005", "30008"])
def test_undelivered_reaches_the_failure_hook_once(client, sent, failures, code):
    for _ in range(3):  # Twilio retries callbacks
        assert status(client, sent.twilio_sid, "undelivered", ErrorCode=code).status_code == 204
    message = db.session.get(Message, sent.id)
    assert (message.status, message.error_code) == ("undelivered", code)
    assert failures == [(sent.id, "undelivered", code)]


def test_unknown_sid_and_unknown_status_change_nothing(client, sent):
    assert status(client, "SM" + "9" * 32, "delivered").status_code == 204
    assert status(client, sent.twilio_sid, "exploded").status_code == 204
    assert db.session.get(Message, sent.id).status == "sent"


def test_malformed_callback_is_a_clear_4xx(client):
    response = signed_post(client, "/webhooks/twilio/status", {"MessageStatus": "delivered"})
    assert response.status_code == 422
    assert response.json["errors"] == {"MessageSid": ["Missing or too long."]}


def sms(client, body, sid="SM" + "a" * 32, sender=NURSE):
    return signed_post(
        client,
        "/webhooks/twilio/inbound",
        {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": body},
    )


@pytest.mark.parametrize("word", sorted(inbound.OPT_OUT))
def test_opt_out_keywords(client, app, word):
    response = sms(client, f"  {word.lower()} ")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    assert "Reply START to resume" in response.get_data(as_text=True)
    assert db.session.get(SmsOptOut, NURSE) is not None


@pytest.mark.parametrize("word", sorted(inbound.OPT_IN))
def test_opt_in_keywords(client, app, word):
    sms(client, "STOP", sid="SM" + "b" * 32)
    assert sms(client, word).status_code == 200
    assert db.session.get(SmsOptOut, NURSE) is None


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_keywords_reply_in_the_patients_language(client, app, word):
    make_patient(make_clinic(), phone=NURSE, language="es")
    text = sms(client, word).get_data(as_text=True)
    assert "<Message>" in text and "equipo de atención" in text


def test_inbound_is_deduplicated_on_message_sid(client, app):
    calls = []

    def handler(session, from_phone, body, now):
        calls.append(body)
        return "Got it."

    inbound.register_handler(handler)
    try:
        first = sms(client, "CALL ME 7KQ2").get_data(as_text=True)
        again = sms(client, "CALL ME 7KQ2").get_data(as_text=True)
    finally:
        inbound._handlers.remove(handler)
    assert first == again and "Got it." in first
    assert calls == ["CALL ME 7KQ2"]
    assert len(db.session.scalars(select(InboundMessage)).all()) == 1


def test_other_bodies_without_a_handler_get_no_reply(client, app):
    text = sms(client, "hello?").get_data(as_text=True)
    assert "<Message>" not in text
    assert db.session.scalar(select(InboundMessage)).handled_as == "none"


def test_opted_out_staff_is_visible_to_admins(client, app):
    clinic = make_clinic()
    admin = make_staff(clinic, role="admin")
    nurse = make_staff(clinic, phone=NURSE)
    sms(client, "STOP")
    body = client.get(f"/api/v1/staff/{nurse.id}", headers=auth(admin)).json
    assert body["sms_opted_out"] is True
    assert (
        client.get(f"/api/v1/staff/{admin.id}", headers=auth(admin)).json["sms_opted_out"] is False
    )
