"""The outbox and its dispatcher, through the real Twilio SDK and the fake Twilio server."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from messages import outbox, outcomes
from messages.gateways import gateway_from_config
from messages.outbox import OutboxPolicy
from models import Message, SmsOptOut, db
from tests.fake_twilio import FakeTwilio, Fault
from tests.sms import FROM, PUBLIC, run_dispatch, twilio_config

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NURSE, PATIENT = "+12025550143", "+12025550188"


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server
        assert server.errors == []  # everything we sent is what Twilio accepts


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)


def queue(key="k1", to=NURSE, purpose="escalation", now=NOW, body="URGENT alert, case 7KQ2."):
    message = outbox.enqueue(
        db.session,
        purpose=purpose,
        to_phone=to,
        body=body,
        idempotency_key=key,
        now=now,
        policy=OutboxPolicy(),
        recipient_type="staff",
        ref="alert:1",
    )
    db.session.commit()
    return message


@pytest.fixture
def failures():
    seen = []

    def hook(session, message, now, policy):
        seen.append((message.id, message.status, message.error_code))

    for purpose in ("escalation", "reminder"):
        outbox.on_failure(purpose)(hook)
    yield seen
    for purpose in ("escalation", "reminder"):
        outbox.remove_failure_hook(purpose, hook)


def test_same_idempotency_key_yields_one_message(app):
    first, second = queue("same"), queue("same", body="something else")
    assert first.id == second.id
    assert db.session.scalars(select(Message)).all() == [first]
    assert first.body == "URGENT alert, case 7KQ2."


def test_a_queued_message_is_sent_once_with_its_sid(app, fake):
    message = queue()
    stats = run_dispatch(app, NOW)
    assert stats["sent"] == 1
    assert fake.received[0]["To"] == NURSE and fake.received[0]["From"] == FROM
    assert fake.received[0]["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/status"
    db.session.refresh(message)
    assert (message.status, message.twilio_sid) == ("sent", fake.received[0]["sid"])
    assert message.attempts == 1 and message.sent_at == NOW
    assert run_dispatch(app, NOW + timedelta(minutes=5))["claimed"] == 0
    assert len(fake.received) == 1


def test_messaging_service_instead_of_a_number(app, fake):
    app.config.update(TWILIO_FROM_NUMBER=None, TWILIO_MESSAGING_SERVICE_SID="MG" + "ab" * 16)
    queue()
    assert run_dispatch(app, NOW)["sent"] == 1
    assert "From" not in fake.received[0]
    assert fake.received[0]["MessagingServiceSid"] == "MG" + "ab" * 16


@pytest.mark.parametrize("fault", [Fault(500), Fault(503)], ids=["500", "503"])
def test_transient_failures_retry_with_backoff(app, fake, fault):
    message = queue(purpose="reminder")
    fake.script.append(fault)
    assert run_dispatch(app, NOW)["retried"] == 1
    db.session.refresh(message)
    assert message.status == "queued" and message.attempts == 1
    assert NOW <= message.next_attempt_at <= NOW + timedelta(seconds=5)  # full jitter, base 5 s
    later = message.next_attempt_at
    assert run_dispatch(app, later)["sent"] == 1
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 2
    assert len(fake.received) == 1


def test_backoff_is_capped_exponential_with_full_jitter():
    policy = OutboxPolicy(backoff_base_seconds=5, backoff_cap_seconds=60)
    waits = [policy.backoff(n).total_seconds() for n in (1, 2, 3, 10) for _ in range(200)]
    assert all(0 <= w <= 60 for w in waits)
    assert max(policy.backoff(1).total_seconds() for _ in range(200)) <= 5
    assert max(waits[600:]) > 30  # attempt 10 reaches the cap's range


@pytest.mark.parametrize("code", [21211, 21408, 21610, 21614])
def test_permanent_failures_fail_the_row_and_call_the_hook(app, fake, failures, code):
    message = queue()
    fake.by_number[NURSE] = Fault(400, code)
    assert run_dispatch(app, NOW)["failed"] == 1
    db.session.refresh(message)
    assert (message.status, message.error_code) == ("failed", str(code))
    assert failures == [(message.id, "failed", str(code))]
    assert run_dispatch(app, NOW + timedelta(hours=1))["claimed"] == 0
    assert (db.session.get(SmsOptOut, NURSE) is not None) == (code == 21610)


def test_exhausted_retries_are_dead_lettered_and_kept(app, fake, failures):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    message = queue(purpose="reminder")
    fake.by_number[NURSE] = Fault(503)
    when = NOW
    for _ in range(3):
        run_dispatch(app, when)
        db.session.refresh(message)
        when = message.next_attempt_at
    assert (message.status, message.attempts) == ("dead", 3)
    assert failures == [(message.id, "dead", "503")]
    assert db.session.get(Message, message.id) is not None


def test_stale_messages_expire_instead_of_arriving_late(app, fake, failures):
    message = queue(purpose="escalation")
    stats = run_dispatch(app, NOW + timedelta(hours=2, seconds=1))
    assert stats["expired"] == 1 and stats["claimed"] == 0
    db.session.refresh(message)
    assert message.status == "expired"
    assert failures == [(message.id, "expired", "expired")]
    assert fake.received == []


def test_opted_out_numbers_are_never_sent_to(app, fake, failures):
    db.session.add(SmsOptOut(phone=PATIENT, source="inbound", opted_out_at=NOW))
    db.session.commit()
    message = queue(to=PATIENT, purpose="reminder")
    run_dispatch(app, NOW)
    db.session.refresh(message)
    assert message.status == "opted_out"
    assert fake.received == []
    assert failures == [(message.id, "opted_out", "opted_out")]


def test_a_lease_that_ran_out_is_claimed_again(app, fake):
    """A worker that died mid-batch: its leased rows are sent by the next worker."""
    message = queue()
    claimed = outbox.claim_due(
        db.session,
        now=NOW,
        limit=10,
        worker_id="dead-worker",
        policy=OutboxPolicy(lease_seconds=60),
    )
    db.session.commit()
    assert [m.id for m in claimed] == [message.id]
    assert run_dispatch(app, NOW + timedelta(seconds=30))["claimed"] == 0  # lease still held
    assert run_dispatch(app, NOW + timedelta(seconds=61))["sent"] == 1
    # The dead worker's late report cannot overwrite the outcome.
    assert not outcomes.record_sent(
        db.session, message.id, worker_id="dead-worker", sid="SMx", now=NOW
    )


def test_bad_credentials_are_retried_not_lost(app, fake):
    app.config["TWILIO_AUTH_TOKEN"] = "wrong-token"
    message = queue()
    assert run_dispatch(app, NOW)["retried"] == 1
    db.session.refresh(message)
    assert message.status == "queued" and message.error_code == "20003"
    fake.errors.clear()  # the fake refused the bad credentials, as Twilio would


def test_connection_refused_is_transient(app, fake):
    app.config["TWILIO_API_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    message = queue()
    assert run_dispatch(app, NOW)["retried"] == 1
    db.session.refresh(message)
    assert message.status == "queued" and message.error_code is None


def test_stopping_finishes_the_sends_in_flight_and_releases_the_rest(app, fake):
    """What SIGTERM does: the sends in flight complete and are recorded; unstarted leases go
    back, with the attempt not counted."""
    for i in range(40):
        queue(f"k{i}")
    stop, real = threading.Event(), gateway_from_config(app.config)

    class StopDuringTheFirstSends:
        def send(self, **kwargs):
            stop.set()  # the signal arrives while the first four are in flight
            time.sleep(0.2)
            return real.send(**kwargs)

    stats = run_dispatch(app, NOW, gateway=StopDuringTheFirstSends(), concurrency=4, stop=stop)
    rows = db.session.scalars(select(Message).order_by(Message.id)).all()
    sent = [m for m in rows if m.status == "sent"]
    assert 1 <= stats["sent"] == len(sent) == len(fake.received) <= 4
    assert stats["released"] == 40 - len(sent)
    assert all(m.twilio_sid for m in sent)
    assert {(m.status, m.attempts, m.leased_by) for m in rows if m not in sent} == {
        ("queued", 0, None)
    }


def test_the_web_app_never_starts_the_scheduler(app):
    assert not any(
        "APScheduler" in t.name or "apscheduler" in repr(t) for t in threading.enumerate()
    )
    assert "apscheduler" not in repr(app.extensions).lower()


def test_sent_outcomes_written_together_keep_the_lease_guard(app):
    first, second = queue("a"), queue("b")
    outbox.claim_due(db.session, now=NOW, limit=2, worker_id="w", policy=OutboxPolicy())
    db.session.get(Message, second.id).leased_by = "someone-else"  # its lease was taken over
    db.session.commit()
    sent = [(first.id, "SM" + "a" * 32, NOW), (second.id, "SM" + "b" * 32, NOW)]
    assert outcomes.record_sent_many(db.session, sent, worker_id="w") == [first.id]
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Message, first.id).twilio_sid == "SM" + "a" * 32
    assert (db.session.get(Message, second.id).status, second.twilio_sid) == ("sending", None)
