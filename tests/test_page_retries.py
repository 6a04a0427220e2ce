"""Pages retry on their own short schedule (seconds, capped well below a level's timeout) and
for longer, so a page goes out within seconds of Twilio recovering; reminders keep theirs."""

from datetime import UTC, datetime, timedelta

import pytest

from messages import outbox
from messages.policy import OutboxPolicy
from models import Message, db
from tests.fake_twilio import FakeTwilio, Fault
from tests.sms import run_dispatch, twilio_config

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)


def test_the_page_schedule_is_seconds_and_the_reminder_schedule_is_minutes():
    policy = OutboxPolicy()
    pages = [policy.backoff(n, "escalation").total_seconds() for n in range(1, 60) for _ in (1, 2)]
    reminders = [
        policy.backoff(n, "reminder").total_seconds() for n in range(1, 9) for _ in range(50)
    ]
    assert (
        max(pages) <= 10
        and max(policy.backoff(1, "escalation").total_seconds() for _ in range(50)) <= 1
    )
    assert max(reminders) > 60  # attempt 8 of a reminder may wait up to 640 s
    assert (policy.attempts_allowed("escalation"), policy.attempts_allowed("reminder")) == (60, 8)


def queue(purpose):
    message = outbox.enqueue(
        db.session,
        purpose=purpose,
        to_phone="+12025550143",
        body=f"{purpose} text",
        idempotency_key=purpose,
        now=NOW,
        policy=OutboxPolicy(),
    )
    db.session.commit()
    return message


def retry_through_outage(app, fake, message, outage_ends):
    """Dispatch at each due time until the message is sent; the outage ends at `outage_ends`.
    Returns the times attempted."""
    attempts, when = [], NOW
    while True:
        fake.outage = Fault(500) if when < outage_ends else None
        run_dispatch(app, when)
        attempts.append(when)
        db.session.refresh(message)
        if message.status != "queued":
            return attempts
        when = message.next_attempt_at


def test_a_page_goes_out_within_seconds_of_twilio_recovering(app, fake):
    page = queue("escalation")
    recovered = NOW + timedelta(minutes=2)
    attempts = retry_through_outage(app, fake, page, recovered)
    assert page.status == "sent"
    gaps = [(b - a).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
    assert max(gaps) <= 10  # never more than the page cap between tries
    assert attempts[-1] - recovered <= timedelta(seconds=10)  # sent within 10 s of recovery
    assert page.attempts == len(attempts) < 60  # two minutes down did not dead-letter it


def test_a_reminder_in_the_same_outage_backs_off_for_minutes(app, fake):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 20
    reminder = queue("reminder")
    attempts = retry_through_outage(app, fake, reminder, NOW + timedelta(minutes=2))
    assert len(attempts) < 12  # base 5 s doubling: far fewer, far apart
    assert reminder.status == "sent"


def test_a_page_failing_for_longer_than_its_attempts_is_dead_lettered(app, fake):
    app.config.update(OUTBOX_PAGE_MAX_ATTEMPTS=5)
    page = queue("escalation")
    fake.outage = Fault(503)
    when = NOW
    for _ in range(5):
        run_dispatch(app, when)
        db.session.refresh(page)
        when = page.next_attempt_at
    assert (page.status, page.attempts) == ("dead", 5)
    assert db.session.get(Message, page.id).error_code == "503"
