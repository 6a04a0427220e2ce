"""The configured outbox policy reaches every enqueue: pages raised by a report or a lab value,
pages of the next level (by the worker and after a failed page), and reminder notices
(issue 10, item 2: pages used to be queued with the defaults, living 2 hours whatever was set)."""

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from api.worker import Worker
from models import AlertPage, Message, Reminder, db, utcnow
from tests.factories import auth
from tests.sms import run_dispatch, signed_post, twilio_config
from tests.test_escalation import NURSE_1, NURSE_2, fake, report_fever, team  # noqa: F401

MAX_AGE = {"reminder": 7, "escalation": 5, "system": 9}  # minutes


@pytest.fixture
def app_config(fake):  # noqa: F811
    return twilio_config(fake, SMS_MAX_AGE_MINUTES=MAX_AGE)


def lifetimes(phone: str) -> list[float]:
    db.session.expire_all()
    rows = db.session.scalars(select(Message).where(Message.to_phone == phone)).all()
    return [(m.expires_at - m.created_at).total_seconds() for m in rows]


def test_a_page_raised_by_a_report_lives_as_configured(client, app, team):  # noqa: F811
    _, _, _, patient = team
    report_fever(client, patient)
    assert lifetimes(NURSE_1) == [300]


def test_a_page_raised_by_a_lab_value_lives_as_configured(client, app, team):  # noqa: F811
    _, first, _, patient = team
    response = client.post(
        f"/api/v1/patients/{patient.id}/labs",
        headers=auth(first),
        json={"kind": "qtc", "value": 512, "unit": "ms", "collected_at": utcnow().isoformat()},
    )
    assert response.status_code == 201
    assert lifetimes(NURSE_1) == [300]


def test_the_workers_next_level_page_lives_as_configured(client, app, team):  # noqa: F811
    _, _, _, patient = team
    alert = report_fever(client, patient)
    alert.next_escalation_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    Worker(app).escalate_alerts()  # the worker's job, with the policy it built from config
    assert lifetimes(NURSE_2) == [300]


def test_a_page_queued_after_a_failed_page_lives_as_configured(client, app, fake, team):  # noqa: F811
    _, _, _, patient = team
    alert = report_fever(client, patient)
    run_dispatch(app, alert.created_at)
    callback = signed_post(
        client,
        "/webhooks/twilio/status",
        {
            "MessageSid": fake.received[0]["sid"],
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
        },
    )
    assert callback.status_code == 204
    assert db.session.scalar(select(AlertPage.phone).where(AlertPage.level == 1)) == NURSE_2
    assert lifetimes(NURSE_2) == [300]


def test_a_reminder_notice_lives_as_configured(app, team):  # noqa: F811
    clinic, _, _, patient = team
    patient.sms_consent = True
    patient.quiet_hours_start = patient.quiet_hours_end = time(0, 0)  # no quiet hours
    now = utcnow()
    db.session.add(
        Reminder(
            patient_id=patient.id,
            clinic_id=clinic.id,
            rule_id="R-WEIGHT",
            occurrence_key="test-reminder",
            kind="reminder",
            local_date=now.date(),
            planned_at=now - timedelta(minutes=1),
            due_at=now - timedelta(minutes=1),
            status="planned",
            created_at=now,
            updated_at=now,
        )
    )
    db.session.commit()
    Worker(app).release_reminders()
    assert lifetimes(patient.phone) == [420]
