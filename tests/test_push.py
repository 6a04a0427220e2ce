"""Push to the patient app: devices through the API, a released reminder through the outbox to
a fake FCM HTTP v1 endpoint (real google-auth token exchange against its fake token URI), a dead
token pruned with an SMS fallback at the fake Twilio, and R-LFT-HSCT's unopened-push fallback."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from messages import notices
from messages.fcm import InvalidToken, classify
from messages.gateways import Throttled, TransientError, gateways_from_config
from messages.outbox import OutboxPolicy
from models import Device, Message, Notification, Reminder, db
from schedules import release
from tests.factories import auth, make_clinic, make_patient
from tests.fake_fcm import FakeFcm, FcmFault
from tests.fake_twilio import FakeTwilio
from tests.sms import run_dispatch, twilio_config
from tests.test_messages_admin import FORBIDDEN

NOW = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)  # 11:00 in New York: outside quiet hours
PHONE = "+12025550177"
TOKEN = "fcm-token-" + "a" * 140


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server
        assert server.errors == []


@pytest.fixture
def fcm():
    with FakeFcm() as server:
        yield server
        assert server.errors == []


@pytest.fixture
def app_config(fake, fcm, tmp_path):
    return twilio_config(fake) | {
        "GOOGLE_APPLICATION_CREDENTIALS": fcm.credentials(tmp_path / "service-account.json"),
        "FCM_API_BASE_URL": fcm.base_url,
    }


@pytest.fixture
def patient(app):
    return make_patient(make_clinic(), phone=PHONE, sms_consent=True)


def register(client, patient, token=TOKEN, **extra):
    body = {"platform": "android", "token": token, "notifications_consent": True} | extra
    return client.post("/api/v1/me/devices", json=body, headers=auth(patient))


def due_reminder(patient, rule_id="R-WEIGHT", n=1):
    reminder = Reminder(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        rule_id=rule_id,
        occurrence_key=f"test:{patient.id}:{rule_id}:{n}",
        kind="reminder",
        local_date=date(2026, 6, 2),
        planned_at=NOW,
        due_at=NOW,
    )
    db.session.add(reminder)
    db.session.commit()
    return reminder


def release_and_send(app, now=NOW):
    stats = release.release_due(
        db.session, now=now, stale_after=timedelta(hours=24), policy=OutboxPolicy()
    )
    db.session.commit()
    run_dispatch(app, now, gateway=gateways_from_config(app.config))
    return stats


def test_devices_are_registered_rotated_listed_without_tokens_and_removed(client, patient):
    response = register(client, patient, app_version="2.4.0", language="es")
    assert response.status_code == 201, response.json
    assert "token" not in response.json and response.json["language"] == "es"
    rotated = register(client, patient, token="fcm-new-token", previous_token=TOKEN)
    assert rotated.status_code == 201
    listed = client.get("/api/v1/me/devices", headers=auth(patient)).json
    assert [d["id"] for d in listed] == [rotated.json["id"]]
    assert all("token" not in d for d in listed)
    assert db.session.scalars(select(Device.token)).all() == ["fcm-new-token"]
    gone = client.delete(f"/api/v1/me/devices/{rotated.json['id']}", headers=auth(patient))
    assert gone.status_code == 204
    assert client.get("/api/v1/me/devices", headers=auth(patient)).json == []


def test_another_patients_device_is_never_reachable(client, patient):
    other = make_patient(patient.clinic, phone="+12025550178")
    mine = register(client, patient).json
    assert client.delete(f"/api/v1/me/devices/{mine['id']}", headers=auth(other)).status_code == 404
    assert client.get("/api/v1/me/devices", headers=auth(other)).json == []
    # The same phone signed in as another patient: the token follows the new sign-in.
    assert register(client, other).status_code == 201
    assert client.get("/api/v1/me/devices", headers=auth(patient)).json == []
    assert db.session.scalars(select(Device.patient_id)).all() == [other.id]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"platform": "windows", "token": "t", "notifications_consent": True}, "platform"),
        ({"platform": "ios", "token": "", "notifications_consent": True}, "token"),
        ({"platform": "ios", "token": "t" * 513, "notifications_consent": True}, "token"),
        (
            {"platform": "ios", "token": "t", "notifications_consent": "yes"},
            "notifications_consent",
        ),
        ({"platform": "ios", "token": "t"}, "notifications_consent"),
    ],
)
def test_bad_device_bodies_are_422(client, patient, body, field):
    response = client.post("/api/v1/me/devices", json=body, headers=auth(patient))
    assert response.status_code == 422 and field in response.json["errors"]


def test_a_released_reminder_reaches_the_registered_device_by_push(client, app, fake, fcm, patient):
    register(client, patient)
    due_reminder(patient)
    assert release_and_send(app)["released"] == 1
    [pushed] = fcm.sent_to(TOKEN)
    assert pushed["notification"] == {"title": "New message from your care team"}
    sent = {k: v for k, v in pushed.items() if k != "name"}  # what reaches the phone
    everything = json.dumps(sent).lower()  # minimum PHI: nothing of who, what or why
    for word in FORBIDDEN + [patient.display_name.lower(), PHONE, "weigh", "liver"]:
        assert word not in everything
    assert set(pushed["data"]) == {"notification_id", "kind"}
    assert pushed["android"]["priority"] == "high" and "aps" in pushed["apns"]["payload"]
    assert fake.received == []  # no SMS
    message = db.session.scalars(select(Message)).one()
    assert (message.channel, message.status, message.twilio_sid) == ("push", "sent", pushed["name"])
    assert len(fcm.tokens_issued) == 1
    print(f"\nAS RUN push: {pushed['name']} to device ...{TOKEN[-6:]}: {pushed['notification']}")
    # The app fetches what the push is about with the opaque id, and marks it opened.
    public_id = pushed["data"]["notification_id"]
    seen = client.get(f"/api/v1/me/notifications/{public_id}", headers=auth(patient))
    assert seen.json["content_path"] == "/api/v1/me/reminders" and seen.json["opened_at"] is None
    opened = client.post(f"/api/v1/me/notifications/{public_id}/opened", headers=auth(patient))
    assert opened.status_code == 200 and opened.json["opened_at"]
    other = make_patient(patient.clinic, phone="+12025550179")
    refused = client.get(f"/api/v1/me/notifications/{public_id}", headers=auth(other))
    assert refused.status_code == 404


def test_a_dead_token_is_pruned_and_the_reminder_falls_back_to_sms(client, app, fake, fcm, patient):
    register(client, patient)
    fcm.dead_tokens.add(TOKEN)
    due_reminder(patient)
    release_and_send(app)
    assert db.session.scalars(select(Device)).all() == []  # pruned: UNREGISTERED
    push = db.session.scalars(select(Message).where(Message.channel == "push")).one()
    assert (push.status, push.error_code, push.device_id) == ("failed", "UNREGISTERED", None)
    run_dispatch(app, NOW, gateway=gateways_from_config(app.config))  # the fallback SMS
    assert fake.bodies_to(PHONE) == [
        "You have a new message from your care team. Open the app to read it. "
        "Reply STOP to stop texts."
    ]
    sms = db.session.scalars(select(Message).where(Message.channel == "sms")).one()
    assert sms.notification_id == push.notification_id
    # The next reminder goes by SMS at once: no device left.
    due_reminder(patient, n=2)
    release_and_send(app)
    assert len(fake.bodies_to(PHONE)) == 2 and fcm.received == []


def test_without_a_consenting_device_the_notice_is_an_sms(client, app, fake, fcm, patient):
    register(client, patient, notifications_consent=False)
    due_reminder(patient)
    release_and_send(app)
    assert fcm.received == [] and len(fake.bodies_to(PHONE)) == 1


def test_an_unopened_liver_test_push_falls_back_to_sms_after_its_time(
    client, app, fake, fcm, patient
):
    """R-LFT-HSCT: push_fallback_minutes (PROPOSED, 120 by default)."""
    register(client, patient)
    due_reminder(patient, rule_id="R-LFT-HSCT")
    release_and_send(app)
    assert len(fcm.received) == 1
    notification = db.session.scalars(select(Notification)).one()
    assert notification.sms_fallback_at == NOW + timedelta(minutes=120)
    policy = OutboxPolicy()
    assert (
        notices.fall_back_unopened(db.session, now=NOW + timedelta(minutes=119), policy=policy) == 0
    )
    assert (
        notices.fall_back_unopened(db.session, now=NOW + timedelta(minutes=120), policy=policy) == 1
    )
    db.session.commit()
    run_dispatch(app, NOW + timedelta(minutes=120))
    assert len(fake.bodies_to(PHONE)) == 1
    # Once sent, never again.
    assert notices.fall_back_unopened(db.session, now=NOW + timedelta(hours=5), policy=policy) == 0


def test_an_opened_liver_test_push_needs_no_sms(client, app, fake, fcm, patient):
    register(client, patient)
    due_reminder(patient, rule_id="R-LFT-HSCT")
    release_and_send(app)
    public_id = fcm.received[0]["data"]["notification_id"]
    client.post(f"/api/v1/me/notifications/{public_id}/opened", headers=auth(patient))
    later = NOW + timedelta(hours=3)
    assert notices.fall_back_unopened(db.session, now=later, policy=OutboxPolicy()) == 0
    assert fake.received == []


def test_a_weight_reminder_has_no_unopened_fallback(client, app, fcm, patient):
    register(client, patient)
    due_reminder(patient)
    release_and_send(app)
    assert db.session.scalars(select(Notification.sms_fallback_at)).one() is None


def test_an_fcm_outage_is_retried(client, app, fake, fcm, patient):
    register(client, patient)
    fcm.script = [FcmFault(503, None)]
    due_reminder(patient)
    release_and_send(app)
    push = db.session.scalars(select(Message)).one()
    assert (push.status, push.error_code) == ("queued", "UNAVAILABLE")
    run_dispatch(app, push.next_attempt_at, gateway=gateways_from_config(app.config))
    db.session.refresh(push)
    assert push.status == "sent" and len(fcm.received) == 1 and fake.received == []


class _Answer:
    def __init__(self, status, body, headers=None):
        self.status_code, self._body, self.headers = status, body, headers or {}

    def json(self):
        return self._body


def _fcm_error(status, code):
    detail = {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}
    return _Answer(status, {"error": {"code": status, "status": "X", "details": [detail]}})


def test_fcm_errors_are_classified_as_documented():
    assert isinstance(classify(_fcm_error(404, "UNREGISTERED")), InvalidToken)
    quota = classify(
        _Answer(429, {"error": {"status": "RESOURCE_EXHAUSTED"}}, {"Retry-After": "7"})
    )
    assert isinstance(quota, Throttled) and quota.retry_after == 7
    assert isinstance(classify(_fcm_error(503, "UNAVAILABLE")), TransientError)
    invalid = classify(_fcm_error(400, "INVALID_ARGUMENT"))
    assert not isinstance(invalid, TransientError | InvalidToken)


def test_admins_see_which_channel_reached_the_patient(client, app, fake, fcm, patient):
    from tests.factories import make_staff
    from tests.test_console import sign_in

    register(client, patient)
    fcm.dead_tokens.add(TOKEN)
    due_reminder(patient)
    release_and_send(app)
    run_dispatch(app, NOW, gateway=gateways_from_config(app.config))  # the fallback SMS
    sign_in(client, make_staff(patient.clinic, role="admin"))
    page = client.get(f"/console/patients/{patient.id}").get_data(as_text=True)
    notices_html = page[page.index("Notices to the patient") :]
    assert 'data-label="Reached by">SMS</td>' in notices_html
    assert "Push: failed (UNREGISTERED); SMS: sent" in notices_html
    sign_in(client, make_staff(patient.clinic, role="clinician"))
    assert "Notices to the patient" not in client.get(f"/console/patients/{patient.id}").get_data(
        as_text=True
    )
