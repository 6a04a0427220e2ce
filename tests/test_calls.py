"""Voice calls for pages, end to end through the real Twilio SDK and the fake Twilio's
Calls.json (validated against Twilio's OpenAPI description): a level that calls rings the
phone, "1" pressed acknowledges exactly that case for exactly that nurse, an unanswered call
moves the case on like an undelivered SMS, and "SMS, then call" calls only if nobody took it."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from messages.gateways import gateways_from_config
from messages.outbox import OutboxPolicy
from messages.voice import SPOKEN
from models import Alert, AlertPage, AuditEvent, EscalationPolicy, Message, db, utcnow
from models.errors import DomainError
from tests.factories import auth, make_clinic, make_patient, make_staff
from tests.fake_twilio import FakeTwilio
from tests.sms import PUBLIC, run_dispatch, signed_post, twilio_config
from tests.test_messages_admin import FORBIDDEN
from triage import escalation, policies

POLICY = OutboxPolicy()
NURSE_1, NURSE_2, PATIENT = "+12025550143", "+12025550144", "+12025550188"
TIMEOUTS = {"urgent": 10, "emergency": 5}


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server
        assert server.errors == []


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)


def team_with(first_level: dict):
    clinic = make_clinic()
    first = make_staff(clinic, phone=NURSE_1, on_call=True)
    second = make_staff(clinic, phone=NURSE_2)
    levels = [
        {"recipients": [first.id], "timeout_minutes": TIMEOUTS} | first_level,
        {"recipients": [second.id], "timeout_minutes": TIMEOUTS},
    ]
    db.session.add(EscalationPolicy(clinic_id=clinic.id, version=1, repeat_count=0, levels=levels))
    db.session.commit()
    patient = make_patient(clinic, phone=PATIENT, display_name="Maria Lopez")
    return first, second, patient


def report_fever(client, patient):
    body = {"items": [{"symptom": "temperature", "value": "38.6", "unit": "C"}]}
    headers = auth(patient) | {"Idempotency-Key": "fever-report-0001"}
    response = client.post("/api/v1/me/symptom-reports", json=body, headers=headers)
    assert response.status_code == 201
    return db.session.get(Alert, response.json["alert_id"])


def dispatch(app, now):
    return run_dispatch(app, now, gateway=gateways_from_config(app.config))


def gather_path(call: dict) -> str:
    action = re.search(r'action="([^"]+)"', call["Twiml"]).group(1)
    assert action.startswith(PUBLIC)
    return action.removeprefix(PUBLIC)


def press(client, call, digits="1"):
    form = {"CallSid": call["sid"], "Digits": digits, "To": call["To"], "From": call["From"]}
    return signed_post(client, gather_path(call), form)


def call_status(client, call, status, **extra):
    form = {"CallSid": call["sid"], "CallStatus": status} | extra
    return signed_post(client, "/webhooks/twilio/call-status", form)


def test_an_unacknowledged_page_rings_the_phone_and_1_acknowledges_it(client, app, fake):
    first, _, patient = team_with({"channel": "call"})
    alert = report_fever(client, patient)
    dispatch(app, alert.created_at)
    assert fake.bodies_to(NURSE_1) == []  # a calling level sends no SMS
    [call] = fake.calls_to(NURSE_1)
    assert call["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/call-status"
    assert call["MachineDetection"] == "Enable"
    spelled = ", ".join(alert.case_code)
    assert f"An urgent alert is waiting, case {spelled}." in call["Twiml"]
    assert "Press 1 to acknowledge it." in call["Twiml"]
    assert '<Gather action="' in call["Twiml"] and 'numDigits="1"' in call["Twiml"]
    for word in FORBIDDEN + ["maria", "lopez", "38.6", "temperature", "fever"]:
        assert word not in call["Twiml"].lower()
    message = db.session.scalars(select(Message).where(Message.channel == "call")).one()
    assert (message.status, message.twilio_sid) == ("sent", call["sid"])

    reply = press(client, call, "1")
    assert reply.status_code == 200 and reply.content_type.startswith("application/xml")
    assert f"Case {spelled} acknowledged" in reply.get_data(as_text=True)
    db.session.refresh(alert)
    assert (alert.status, alert.acknowledged_by_id) == ("acknowledged", first.id)
    via = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "alert.ack")
    ).one()
    assert via == {"via": "call"}
    assert call_status(client, call, "completed", AnsweredBy="human").status_code == 204
    db.session.refresh(message)
    assert message.status == "delivered"
    print(
        f"\nAS RUN call: {call['sid']} to {NURSE_1}; digit 1 -> {alert.status} by staff {first.id}"
    )
    again = press(client, call, "1")
    assert "already acknowledged" in again.get_data(as_text=True)


def test_another_digit_or_another_call_acknowledges_nothing(client, app, fake):
    _, _, patient = team_with({"channel": "call"})
    alert = report_fever(client, patient)
    dispatch(app, alert.created_at)
    [call] = fake.calls_to(NURSE_1)
    assert "not acknowledged" in press(client, call, "2").get_data(as_text=True)
    forged = dict(call, sid="CA" + "0" * 32)
    assert press(client, forged, "1").status_code == 404
    unsigned = client.post(gather_path(call), data={"CallSid": call["sid"], "Digits": "1"})
    assert unsigned.status_code == 403
    db.session.refresh(alert)
    assert alert.status == "open"


@pytest.mark.parametrize("outcome", ["no-answer", "busy", "failed", "canceled"])
def test_an_unanswered_call_pages_the_next_level_at_once(client, app, fake, outcome):
    _, second, patient = team_with({"channel": "call"})
    alert = report_fever(client, patient)
    dispatch(app, alert.created_at)
    [call] = fake.calls_to(NURSE_1)
    assert call_status(client, call, outcome).status_code == 204
    db.session.refresh(alert)
    assert alert.level == 1
    dispatch(app, alert.created_at + timedelta(seconds=5))
    assert len(fake.bodies_to(NURSE_2)) == 1
    message = db.session.scalars(select(Message).where(Message.channel == "call")).one()
    assert message.error_code == outcome


def test_a_voicemail_is_not_an_answer(client, app, fake):
    _, _, patient = team_with({"channel": "call"})
    alert = report_fever(client, patient)
    dispatch(app, alert.created_at)
    [call] = fake.calls_to(NURSE_1)
    call_status(client, call, "completed", AnsweredBy="machine_start")
    db.session.refresh(alert)
    assert alert.level == 1


def test_sms_then_a_call_when_not_acknowledged_in_time(client, app, fake):
    _, _, patient = team_with({"sms_then_call_after_minutes": 3})
    alert = report_fever(client, patient)
    t0 = alert.created_at
    dispatch(app, t0)
    assert len(fake.bodies_to(NURSE_1)) == 1 and fake.calls == []
    dispatch(app, t0 + timedelta(minutes=2, seconds=59))
    assert fake.calls == []
    dispatch(app, t0 + timedelta(minutes=3))
    assert len(fake.calls_to(NURSE_1)) == 1
    assert escalation.escalate_due(db.session, outbox_policy=POLICY, now=t0) == 0


def test_sms_then_call_calls_nobody_once_acknowledged(client, app, fake):
    first, _, patient = team_with({"sms_then_call_after_minutes": 3})
    alert = report_fever(client, patient)
    t0 = alert.created_at
    dispatch(app, t0)
    assert client.post(f"/api/v1/alerts/{alert.id}/ack", headers=auth(first)).status_code == 200
    dispatch(app, t0 + timedelta(minutes=10))
    assert fake.calls == []
    call = db.session.scalars(select(Message).where(Message.channel == "call")).one()
    assert (call.status, call.error_code) == ("expired", "acknowledged")
    pages = db.session.scalars(select(AlertPage).where(AlertPage.alert_id == alert.id)).all()
    assert len(pages) == 2  # the SMS and the call, both shown on the alert page


@pytest.mark.parametrize(
    "level, message",
    [
        ({"channel": "fax"}, "channel is sms or call"),
        ({"sms_then_call_after_minutes": 10}, "call before the level times out"),
        ({"channel": "call", "sms_then_call_after_minutes": 2}, "needs channel sms"),
        ({"sms_then_call_after_minutes": True}, "whole number"),
    ],
)
def test_call_levels_are_checked(client, app, level, message):
    """The one check both front ends use (the console's policy form is JSON), and the API's."""
    body = {
        "levels": [{"recipients": ["on_call"], "timeout_minutes": TIMEOUTS} | level],
        "repeat_count": 0,
    }
    with pytest.raises(DomainError) as refused:
        policies.check_policy(body)
    assert message in str(refused.value.errors)
    admin = make_staff(make_clinic(), role="admin")
    response = client.put("/api/v1/escalation-policy", json=body, headers=auth(admin))
    assert response.status_code == 422 and response.json["error"] == "validation_failed"


def test_a_call_level_is_saved(client, app):
    clinic = make_clinic()
    admin = make_staff(clinic, role="admin")
    level = {"recipients": ["on_call"], "timeout_minutes": TIMEOUTS, "channel": "call"}
    later = {"recipients": ["clinicians"], "timeout_minutes": TIMEOUTS}
    body = {"levels": [level, later | {"sms_then_call_after_minutes": 4}], "repeat_count": 1}
    response = client.put("/api/v1/escalation-policy", json=body, headers=auth(admin))
    assert response.status_code == 200, response.json
    assert response.json["levels"][0]["channel"] == "call"
    assert response.json["levels"][1]["sms_then_call_after_minutes"] == 4


def test_the_spoken_texts_carry_no_phi():
    for text in SPOKEN.values():
        for word in FORBIDDEN:
            assert word not in text.lower()


def test_the_patient_is_told_by_push_that_the_care_team_has_seen_the_report(client, app, fake):
    """However the case was taken (here by a call), the worker's next poll tells the patient."""
    from messages.devices import register_device
    from triage.acknowledgement import notify_patients_seen

    _, _, patient = team_with({"channel": "call"})
    register_device(
        db.session,
        patient,
        platform="ios",
        token="apns-relay-token",
        now=utcnow(),
        notifications_consent=True,
    )
    db.session.commit()
    alert = report_fever(client, patient)
    dispatch(app, alert.created_at)
    press(client, fake.calls_to(NURSE_1)[0], "1")
    db.session.refresh(alert)
    now = alert.acknowledged_at + timedelta(seconds=5)
    assert notify_patients_seen(db.session, now=now, outbox_policy=POLICY) == 1
    assert notify_patients_seen(db.session, now=now, outbox_policy=POLICY) == 0  # once
    db.session.commit()
    push = db.session.scalars(select(Message).where(Message.channel == "push")).one()
    assert push.body == "Your care team has seen your report" and push.purpose == "system"
    assert fake.bodies_to(PATIENT) == []


def test_the_alert_page_lists_each_sms_and_call_with_its_outcome(client, app, fake):
    from tests.test_console import sign_in

    first, _, patient = team_with({"sms_then_call_after_minutes": 3})
    alert = report_fever(client, patient)
    dispatch(app, alert.created_at)
    dispatch(app, alert.created_at + timedelta(minutes=3))
    call_status(client, fake.calls_to(NURSE_1)[0], "no-answer")
    sign_in(client, first)
    page = client.get(f"/console/alerts/{alert.id}").get_data(as_text=True)
    history = page[page.index("Escalation history") :]
    assert '<td data-label="Channel">SMS</td>' in history
    assert '<td data-label="Channel">Voice call</td>' in history
    assert "not delivered (no-answer)" in history


def test_fhir_exports_a_page_call_as_a_telephone_communication(client, app, fake):
    from fhir.resources.R4B.communication import Communication

    first, _, patient = team_with({"channel": "call"})
    alert = report_fever(client, patient)
    dispatch(app, alert.created_at)
    page = db.session.scalars(select(AlertPage)).one()
    found = client.get(f"/fhir/R4/Communication/page-{page.id}", headers=auth(first))
    assert found.status_code == 200
    resource = Communication.model_validate(found.json)
    assert resource.medium[0].coding[0].code == "PHONE"
    said = found.json["payload"][0]["contentString"]
    assert said.startswith("This is the care team paging service. An urgent alert is waiting")
    assert page.link_token not in said and "<" not in said
