"""The priority lane: pages are claimed and sent before reminders and system texts, whatever is
queued, by every worker; the claim is served by ix_messages_claim; the migration fills the lane
of rows queued before it."""

import threading
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
from sqlalchemy import column, insert, select, table, text

from api import create_app
from messages import outbox
from messages.policy import OutboxPolicy
from models import Message, db
from models.base import UTCDateTime
from tests.conftest import ON_POSTGRES, make_config
from tests.fake_twilio import FakeTwilio
from tests.sms import run_dispatch, twilio_config
from tests.test_migrations import scratch_url  # noqa: F401

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server
        assert server.errors == []


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)


def queue(key, purpose, *, now=NOW, to="+12025550143"):
    return outbox.enqueue(
        db.session,
        purpose=purpose,
        to_phone=to,
        body=f"{purpose} {key}",
        idempotency_key=key,
        now=now,
        policy=OutboxPolicy(),
    )


def claim(limit, *, now=NOW, worker="w1", **kwargs):
    rows = outbox.claim_due(
        db.session, now=now, limit=limit, worker_id=worker, policy=OutboxPolicy(), **kwargs
    )
    db.session.commit()
    return [m.purpose for m in rows]


def test_pages_are_claimed_before_older_reminders_and_system_texts(app):
    for i in range(30):
        queue(f"r{i}", "reminder", now=NOW - timedelta(hours=1))
        queue(f"s{i}", "system", now=NOW - timedelta(hours=1))
    queue("p1", "escalation")
    queue("p2", "escalation", now=NOW + timedelta(seconds=1))  # not due yet
    db.session.commit()
    assert claim(5) == ["escalation", "system", "system", "system", "system"]
    assert claim(100, now=NOW + timedelta(seconds=1))[:2] == ["escalation", "system"]


def test_a_page_whose_lease_ran_out_comes_before_queued_reminders(app):
    queue("p", "escalation")
    for i in range(5):
        queue(f"r{i}", "reminder", now=NOW - timedelta(hours=1))
    db.session.commit()
    assert claim(1, worker="dead") == ["escalation"]
    later = NOW + timedelta(seconds=61)
    assert claim(2, now=later) == ["escalation", "reminder"]
    page = db.session.scalar(select(Message).where(Message.purpose == "escalation"))
    assert (page.leased_by, page.error_code) == ("w1", "lease_expired")  # outcome unknown


def test_a_pages_only_claim_takes_nothing_else(app):
    queue("r", "reminder")
    queue("p", "escalation")
    db.session.commit()
    assert claim(10, max_priority=0) == ["escalation"]
    assert claim(10, max_priority=0) == []


def test_a_page_is_sent_before_a_backlog_of_reminders(app, fake):
    """One claim of 40 reminders and a page, one send at a time: the page goes first."""
    for i in range(40):
        queue(f"r{i}", "reminder", now=NOW - timedelta(minutes=5), to=f"+1202555{i:04d}")
    queue("p", "escalation", to="+12025559999")
    db.session.commit()
    stats = run_dispatch(app, NOW, concurrency=1, batch_size=41)
    assert stats["sent"] == 41
    assert fake.received[0]["Body"] == "escalation p"


def test_a_page_woken_for_mid_drain_jumps_the_local_backlog(app, fake):
    """A drain holding leased reminders claims a page as soon as it is woken, and sends it
    next, not after the reminders it already holds."""
    from concurrent.futures import ThreadPoolExecutor

    from messages.dispatch import Dispatcher
    from messages.gateways import gateway_from_config
    from messages.policy import DispatchSettings
    from messages.throttle import Throttle

    for i in range(30):
        queue(f"r{i}", "reminder", to=f"+1202555{i:04d}")
    db.session.commit()
    fake.latency = 0.05
    wake, real = threading.Event(), gateway_from_config(app.config)

    class PageArrivesDuringTheFirstSend:
        sends = 0

        def send(self, **kwargs):
            self.sends += 1
            if self.sends == 1:  # another transaction queues a page and NOTIFYs
                with app.app_context():
                    queue("p", "escalation", to="+12025559999")
                    db.session.commit()
                wake.set()
            return real.send(**kwargs)

    settings = DispatchSettings(batch_size=30, concurrency=1, send_timeout=1.0)
    with ThreadPoolExecutor(1) as pool:
        Dispatcher(
            db.session,
            PageArrivesDuringTheFirstSend(),
            pool,
            now_fn=lambda: NOW,
            worker_id="w",
            policy=OutboxPolicy(),
            settings=settings,
            throttle=Throttle(concurrency=1),
            wake=wake,
        ).drain()
    bodies = [m["Body"] for m in fake.received]
    assert len(bodies) == 31
    assert bodies.index("escalation p") <= 2  # the send in flight, then at once the page


def test_the_migration_gives_queued_rows_their_lane(scratch_url, tmp_path):  # noqa: F811
    app = create_app(make_config(scratch_url, tmp_path))
    with app.app_context():
        flask_migrate.upgrade(revision="0004")
        when = ("next_attempt_at", "expires_at", "created_at", "updated_at")
        names = ("purpose", "recipient_type", "to_phone", "body", "idempotency_key", "status")
        messages_at_0004 = table(
            "messages",
            *(column(n) for n in (*names, "attempts")),
            *(column(n, UTCDateTime()) for n in when),
        )
        row = dict(recipient_type="number", to_phone="+12025550143", body="b", status="queued")
        row |= dict(attempts=0) | {n: NOW for n in when}
        with db.engine.begin() as conn:
            for purpose in ("reminder", "escalation", "system"):
                values = row | {"purpose": purpose, "idempotency_key": purpose}
                conn.execute(insert(messages_at_0004).values(**values))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            lanes = dict(conn.execute(text("SELECT purpose, priority FROM messages")).all())
        assert lanes == {"escalation": 0, "system": 1, "reminder": 2}
        db.engine.dispose()


@pytest.mark.postgres
def test_the_claim_is_an_index_range_scan_on_postgresql(app):
    assert ON_POSTGRES
    for i in range(3000):
        queue(f"r{i}", "reminder" if i % 10 else "system")
    db.session.execute(text("ANALYZE messages"))
    db.session.commit()
    plan = "\n".join(
        row[0]
        for row in db.session.execute(
            text(
                "EXPLAIN SELECT id FROM messages WHERE status = 'queued' "
                "AND next_attempt_at <= now() ORDER BY priority, next_attempt_at, id LIMIT 50 "
                "FOR UPDATE SKIP LOCKED"
            )
        )
    )
    assert "ix_messages_claim" in plan and "Sort" not in plan, plan
