"""Real worker processes on PostgreSQL: no message sent twice, none lost when a worker dies."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from messages import outbox
from messages.outbox import OutboxPolicy
from models import Message, db
from tests.conftest import TEST_DATABASE_URL
from tests.fake_twilio import FakeTwilio, Fault
from tests.sms import twilio_config

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parent.parent


def number(i: int) -> str:
    return f"+1202555{i % 10000:04d}"  # each message to its own number, as reminders go


def queue_messages(n: int) -> None:
    now = datetime.now(UTC)
    for i in range(n):
        outbox.enqueue(
            db.session,
            purpose="system",
            to_phone=number(i),
            body=f"message {i}",
            idempotency_key=f"load-{i}",
            now=now,
            policy=OutboxPolicy(),
        )
    db.session.commit()


def start_worker(fake, tmp_path, **env) -> subprocess.Popen:
    settings = (
        twilio_config(fake)
        | {
            "DATABASE_URL": TEST_DATABASE_URL,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
            "OUTBOX_POLL_SECONDS": "0.5",
            # The fake validates every request in this process: 64 at once take a while.
            "TWILIO_HTTP_TIMEOUT": "3",
            "LOG_LEVEL": "WARNING",
        }
        | env
    )
    environ = os.environ | {k: str(v) for k, v in settings.items() if v is not None}
    environ.pop("TWILIO_MESSAGING_SERVICE_SID", None)
    with open(tmp_path / "worker.log", "ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "api", "worker"],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def wait_until_final(n: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        done = db.session.scalar(select(func.count()).where(Message.status == "sent"))
        if done >= n:
            return
        time.sleep(0.2)
    raise AssertionError(f"only {done} of {n} sent")


def stop(workers) -> list[int]:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    return [worker.wait(timeout=30) for worker in workers]


def test_two_workers_send_each_of_1000_messages_exactly_once(app, tmp_path):
    queue_messages(1000)
    with FakeTwilio() as fake:
        workers = [start_worker(fake, tmp_path) for _ in range(2)]
        try:
            wait_until_final(1000)
        finally:
            codes = stop(workers)
        assert fake.errors == []
        received = Counter(m["Body"] for m in fake.received)
    assert codes == [0, 0]  # SIGTERM: a clean stop
    assert len(received) == 1000 and set(received.values()) == {1}
    assert db.session.scalar(select(func.count()).where(Message.twilio_sid.is_(None))) == 0


def test_a_worker_killed_mid_batch_loses_nothing(app, tmp_path):
    """SIGKILL with OUTBOX_CONCURRENCY sends in flight and outcomes not yet committed: the next
    worker takes the rows over when their leases run out, looks each up at Twilio, and sends
    only what Twilio does not have."""
    queue_messages(1000)
    with FakeTwilio() as fake:
        fake.latency = 0.005
        first = start_worker(fake, tmp_path, OUTBOX_LEASE_SECONDS=10)
        assert fake.wait_for(200, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = len(fake.received)
        second = start_worker(fake, tmp_path, OUTBOX_LEASE_SECONDS=10, LOG_LEVEL="INFO")
        try:
            wait_until_final(1000)
        finally:
            assert stop([second]) == [0]
        received = Counter(m["Body"] for m in fake.received)
    found = (tmp_path / "worker.log").read_text().count("found at Twilio as")
    duplicates = sum(received.values()) - len(received)
    print(
        f"\ncrash test: killed after {killed_at} sends; {len(received)} distinct messages "
        f"received, {duplicates} duplicate(s), {found} found at Twilio instead of re-sent"
    )
    assert len(received) == 1000  # nothing lost
    assert duplicates <= 10  # at most OUTBOX_COMMIT_EVERY
    assert found >= 1  # the outcomes the kill lost were looked up, not sent blind


def test_notify_wakes_an_idle_worker_at_once(app, tmp_path):
    """Polling every 30 s, the worker still sends within a second or two of the commit."""
    with FakeTwilio() as fake:
        worker = start_worker(fake, tmp_path, OUTBOX_POLL_SECONDS=30)
        try:
            time.sleep(3)  # started, first (empty) run done, now idle until the next poll
            started = time.monotonic()
            queue_messages(1)
            assert fake.wait_for(1, timeout=10)
            latency = time.monotonic() - started
        finally:
            stop([worker])
    print(f"\nNOTIFY wake-up: sent {latency:.2f} s after the commit (poll interval 30 s)")
    assert latency < 5


def queue_pages(first: int, n: int) -> None:
    now = datetime.now(UTC)
    for i in range(first, first + n):
        outbox.enqueue(
            db.session,
            purpose="escalation",
            to_phone=number(5000 + i),
            body=f"URGENT alert, case P{i:04d}. Reply ACK P{i:04d}",
            idempotency_key=f"page-{i}",
            now=now,
            policy=OutboxPolicy(),
        )
    db.session.commit()


def pages_sent() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count()).where(Message.purpose == "escalation", Message.status == "sent")
    )


def test_after_a_60_s_outage_every_page_is_delivered_exactly_once(app, tmp_path):
    """Two workers, a reminder backlog, pages queued before and during a minute of Twilio
    trouble: 20 s of 500s, 20 s of slow answers past the client's timeout (Twilio accepted
    those), 20 s of 429s. Then every page arrives once, soon after recovery."""
    queue_messages(300)
    queue_pages(0, 10)
    phases = [Fault(500), Fault(201, delay=4), Fault(429, 20429)]  # 20 s each
    with FakeTwilio() as fake:
        fake.latency = 0.05
        fake.outage = phases[0]
        workers = [start_worker(fake, tmp_path, LOG_LEVEL="INFO") for _ in range(2)]  # timeout 3 s
        try:
            for second in range(60):
                fake.outage = phases[second // 20]
                if second % 6 == 3:
                    queue_pages(10 + second, 1)  # pages keep coming during the outage
                time.sleep(1)
            fake.outage = None
            recovered = time.time()
            deadline = time.monotonic() + 90
            while pages_sent() < 20:  # recorded, some found at Twilio after a timeout
                assert time.monotonic() < deadline, "pages not all delivered"
                time.sleep(0.2)
            all_recorded = time.time() - recovered
            last_page = max(m["received_at"] for m in fake.received if "URGENT" in m["Body"])
        finally:
            codes = stop(workers)
        received = Counter(m["Body"] for m in fake.received)
    db.session.rollback()
    statuses = Counter(
        db.session.scalars(select(Message.status).where(Message.purpose == "escalation"))
    )
    page_copies = [n for body, n in received.items() if "URGENT" in body]
    found = (tmp_path / "worker.log").read_text().count("found at Twilio as")
    print(
        f"\noutage: {len(page_copies)} pages, copies {Counter(page_copies)}; last page "
        f"{last_page - recovered:.1f} s after recovery, all recorded {all_recorded:.1f} s after; "
        f"{found} timed-out sends found at Twilio; "
        f"reminders so far {len(received) - 20}"
    )
    assert codes == [0, 0]
    assert len(page_copies) == 20 and set(page_copies) == {1}  # every page exactly once
    assert statuses == {"sent": 20}
    assert found >= 1  # the slow phase's timeouts were looked up, not sent again
    assert last_page - recovered < 30  # the page schedule (10 s cap), not the reminders' 900 s
    assert all(n == 1 for n in received.values())  # no reminder twice either
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(Message.status == "dead")) == 0
