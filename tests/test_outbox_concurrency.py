"""Many sends in flight per worker, within the provider's limits: a pooled HTTP session as large
as the concurrency, a send rate per sender (TWILIO_MAX_MPS), 429s that slow the worker down
(Retry-After honoured) without burning attempts, and no send that could outlive its lease."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from messages import outbox
from messages.policy import OutboxPolicy
from messages.throttle import Throttle
from models import Message, db, utcnow
from tests.fake_twilio import FakeTwilio, Fault
from tests.sms import run_dispatch, twilio_config

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server
        assert server.errors == []


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)


def queue(n, purpose="reminder", now=NOW):
    for i in range(n):
        outbox.enqueue(
            db.session,
            purpose=purpose,
            to_phone=f"+1202555{i:04d}",
            body=f"message {i}",
            idempotency_key=f"k{i}",
            now=now,
            policy=OutboxPolicy(),
        )
    db.session.commit()


def rows():
    db.session.expire_all()
    return db.session.scalars(select(Message).order_by(Message.id)).all()


def test_sends_are_in_flight_together_over_a_pool_of_reused_connections(app, fake, caplog):
    fake.latency = 0.2
    queue(96)
    caplog.set_level(logging.WARNING, logger="urllib3")
    stats = run_dispatch(app, NOW, concurrency=32, batch_size=96)
    assert stats["sent"] == 96 and len(fake.received) == 96
    assert 16 <= fake.peak <= 32  # many at once, never more than OUTBOX_CONCURRENCY
    assert len(fake.ports) <= 32  # connections are kept and reused, none opened per request
    assert "Connection pool is full" not in caplog.text
    assert {m.status for m in rows()} == {"sent"}


def test_the_send_rate_per_sender_is_kept(app, fake):
    app.config["TWILIO_MAX_MPS"] = 10
    queue(25)
    assert run_dispatch(app, NOW, concurrency=32)["sent"] == 25
    times = sorted(r["at"] for r in fake.requests if r["method"] == "POST")
    # A bucket of one second's worth (10), then one send every 0.1 s.
    for i in range(10, 25):
        assert times[i] - times[0] >= (i - 9) * 0.1 - 0.08, (i, times[i] - times[0])


def test_a_429_slows_down_honours_retry_after_and_burns_no_attempt(app, fake):
    queue(1, purpose="escalation")
    fake.script.append(Fault(429, 20429, headers={"Retry-After": "1"}))
    stats = run_dispatch(app, NOW)
    assert (stats["throttled"], stats["sent"]) == (1, 1)
    (message,) = rows()
    assert (message.status, message.attempts) == ("sent", 1)
    first, second = [r["at"] for r in fake.requests if r["method"] == "POST"]
    assert second - first >= 1.0  # Twilio said when


def test_a_burst_of_429s_delays_sends_but_loses_and_burns_nothing(app, fake):
    queue(20)
    fake.script.extend([Fault(429, 20429)] * 10)  # no Retry-After: the worker backs off itself
    stats = run_dispatch(app, NOW, concurrency=8)
    assert (stats["throttled"], stats["sent"]) == (10, 20)
    assert {(m.status, m.attempts) for m in rows()} == {("sent", 1)}
    assert len(fake.received) == 20


def test_no_send_starts_that_could_outlive_its_lease(app, fake):
    """Lease 9 s, timeout 1 s, 5 s margin: only sends starting within 3 s of the claim (at 0.4 s
    a send, one at a time: 8 at most; a window of 1 s sent none on a loaded machine)."""
    app.config["OUTBOX_LEASE_SECONDS"] = 9
    fake.latency = 0.4
    started = utcnow()
    queue(10, now=started)
    stats = run_dispatch(app, utcnow, concurrency=1)
    assert 1 <= stats["sent"] <= 8 and stats["released"] == 10 - stats["sent"]
    for request in (r for r in fake.requests if r["method"] == "POST"):
        assert request["at"] - started.timestamp() <= 9 - 1 + 0.5  # it ended inside the lease
    assert sorted((m.status, m.attempts) for m in rows()) == sorted(
        [("sent", 1)] * stats["sent"] + [("queued", 0)] * stats["released"]
    )


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_throttle_halves_concurrency_once_per_pause_and_grows_it_back():
    clock = Clock()
    throttle = Throttle(concurrency=32, clock=clock)
    for _ in range(20):  # one burst of 429s: one strike
        throttle.throttled(None)
    assert throttle.in_flight_allowed() == 16 and throttle.wait() == pytest.approx(0.25)
    clock.now += 0.3
    throttle.throttled(None)  # a second strike after the pause: longer, and halved again
    assert throttle.in_flight_allowed() == 8 and throttle.wait() == pytest.approx(0.5)
    for _ in range(100):  # one more in flight per round of successes: 8 -> 16 in 100
        throttle.succeeded()
    assert throttle.in_flight_allowed() == 16
    for _ in range(1000):
        throttle.succeeded()
    assert throttle.in_flight_allowed() == 32  # never above OUTBOX_CONCURRENCY


def test_throttle_honours_retry_after_up_to_a_minute_and_caps_its_own_pause():
    clock = Clock()
    throttle = Throttle(concurrency=4, clock=clock)
    assert throttle.throttled(7) == 7 and throttle.wait(sending=False) == 7
    clock.now += 8
    assert throttle.throttled(3600) == 60
    for _ in range(12):
        clock.now += 61
        pause = throttle.throttled(None)
    assert pause == 5.0  # without Retry-After it never waits long: recovery is seen soon


def test_throttle_keeps_the_send_rate_with_a_one_second_burst():
    clock = Clock()
    throttle = Throttle(concurrency=32, max_mps=3, clock=clock)
    for _ in range(3):
        assert throttle.wait() == 0
        throttle.take()
    assert throttle.wait() == pytest.approx(1 / 3)
    assert throttle.wait(sending=False) == 0  # a lookup sends no message
    clock.now += 10
    assert throttle.wait() == 0 and throttle.tokens == 3  # never more than a second's worth


def test_an_unlimited_rate_never_waits():
    throttle = Throttle(concurrency=2)
    for _ in range(1000):
        throttle.take()
    assert throttle.wait() == 0


def test_a_page_past_its_time_is_not_sent_when_the_lease_cannot_hold(app, fake):
    """Released rows keep their lane and go out on the next claim."""
    app.config["OUTBOX_LEASE_SECONDS"] = 7
    queue(1, purpose="escalation")
    run_dispatch(app, lambda: NOW + timedelta(seconds=3))  # claim at NOW+3, "now" stuck there
    assert rows()[0].status == "sent"
