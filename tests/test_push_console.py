"""The embedded default: with no FCM or Twilio settings, pushes and calls are logged (like SMS)
and count as sent, so a clone works end to end without either service."""

import logging
from datetime import timedelta

from sqlalchemy import select

from api.worker import Worker
from messages.devices import register_device
from messages.fcm import ConsolePush
from messages.outbox import OutboxPolicy
from messages.voice import ConsoleCall
from models import Message, db
from schedules import release
from tests.factories import make_clinic, make_patient
from tests.sms import run_dispatch
from tests.test_push import NOW, due_reminder


def test_without_settings_pushes_and_calls_are_logged(app, caplog):
    gateways = Worker(app).gateway
    assert isinstance(gateways.push, ConsolePush) and isinstance(gateways.call, ConsoleCall)
    patient = make_patient(make_clinic(), phone="+12025550166", sms_consent=True)
    register_device(
        db.session,
        patient,
        platform="android",
        token="t" * 150,
        now=NOW,
        notifications_consent=True,
    )
    db.session.commit()
    due_reminder(patient)
    release.release_due(db.session, now=NOW, stale_after=timedelta(hours=24), policy=OutboxPolicy())
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="messages.fcm"):
        run_dispatch(app, NOW, gateway=gateways)
    push = db.session.scalars(select(Message)).one()
    assert (push.channel, push.status) == ("push", "sent")
    logged = [r.getMessage() for r in caplog.records if r.name == "messages.fcm"]
    assert len(logged) == 1 and "New message from your care team" in logged[0]
    assert "t" * 20 not in logged[0]  # the token is not logged whole
