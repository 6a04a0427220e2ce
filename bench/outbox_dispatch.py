"""Benchmark: SMS dispatch from the outbox to a fake Twilio, on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/bench \\
        .venv/bin/python bench/outbox_dispatch.py [--messages 10000] [--latency-ms 200]
        [--jitter-ms 0] [--pages 20] [--validate] [--smoke]

WIPES the database it is given. The fake Twilio runs in its own process and answers after the
latency (half on the way in, half on the way back). Measures, in one run:
- baseline: the same SDK calls to the same fake from one process with OUTBOX_CONCURRENCY
  threads and no database (the ceiling the fake and the SDK allow on this machine);
- 1 worker process and 2 worker processes draining N queued reminders: SMS/s (first to last
  send), the ratio to the baseline, the 2-to-1 ratio, each worker's peak RSS (VmHWM);
- pages: one worker draining N reminders while pages are queued one by one, spread through the
  drain: from each page's commit to the fake accepting it, and to the worker recording it;
- the claim's query plan.
`--smoke` runs every step small (seconds): the figures are printed, not asserted.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from api import create_app  # noqa: E402
from messages import outbox  # noqa: E402
from messages.gateways import TwilioGateway  # noqa: E402
from messages.policy import OutboxPolicy  # noqa: E402
from models import Message, db  # noqa: E402
from models.messages import PRIORITY  # noqa: E402
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
CALLBACK = "https://care.example.org/webhooks/twilio/status"
CLAIM = (
    "EXPLAIN SELECT id FROM messages WHERE status = 'queued' AND next_attempt_at <= now() "
    "ORDER BY priority, next_attempt_at, id LIMIT 50 FOR UPDATE SKIP LOCKED"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake(port, validate, latency_ms=0.0, jitter_ms=0.0):
    args = [sys.executable, "-m", "tests.fake_twilio", "--port", str(port)]
    args += ["--latency-ms", str(latency_ms), "--jitter-ms", str(jitter_ms)]
    proc = subprocess.Popen(
        args + ([] if validate else ["--no-validate"]),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    proc.stdout.readline()
    return proc


def worker_env(fake_url, **extra):
    return (
        os.environ
        | {
            "DATABASE_URL": URL,
            "SECRET_KEY": "bench-secret-key-long-enough-for-hs256-x",
            "SMS_GATEWAY": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "TWILIO_API_BASE_URL": fake_url,
            "PUBLIC_BASE_URL": "https://care.example.org",
            "OUTBOX_POLL_SECONDS": "0.2",
            "LOG_LEVEL": "WARNING",
        }
        | {k: str(v) for k, v in extra.items()}
    )


def peak_rss_mb(pid) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_schema():
    db.session.execute(text("DROP SCHEMA public CASCADE"))
    db.session.execute(text("CREATE SCHEMA public"))
    db.session.commit()
    import flask_migrate

    flask_migrate.upgrade()


def queue_reminders(n):
    """N reminder notices to N patients, all due now."""
    now = datetime.now(UTC)
    db.session.execute(text("TRUNCATE messages RESTART IDENTITY CASCADE"))
    rows = [
        dict(
            purpose="reminder",
            priority=PRIORITY["reminder"],
            recipient_type="patient",
            to_phone=f"+1202{5550000 + i % 4_000_000:07d}",
            body="You have a new message. Open the app to read it.",
            idempotency_key=f"bench-{i}",
            status="queued",
            attempts=0,
            next_attempt_at=now,
            expires_at=now + timedelta(days=1),
            created_at=now,
            updated_at=now,
        )
        for i in range(n)
    ]
    for chunk in range(0, n, 5000):
        db.session.execute(insert(Message), rows[chunk : chunk + 5000])
    db.session.commit()
    db.session.execute(text("ANALYZE messages"))
    db.session.commit()


def sent_count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).where(Message.status == "sent"))


def spawn_workers(count, fake_url):
    return [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "api", "worker"],
            cwd=ROOT,
            env=worker_env(fake_url),
            stdout=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop_workers(workers):
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(timeout=60)


def wait_all_sent(n, timeout=900, during=None):
    started = time.monotonic()
    while sent_count() < n:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"timed out: {sent_count()} of {n} sent")
        if during is not None:
            during()
        time.sleep(0.05)


def send_rate():
    """SMS/s from the first recorded send to the last."""
    first, last, n = db.session.execute(
        select(func.min(Message.sent_at), func.max(Message.sent_at), func.count()).where(
            Message.status == "sent"
        )
    ).one()
    return (n - 1) / max((last - first).total_seconds(), 1e-6)


def run_workers(count, n, fake_url):
    queue_reminders(n)
    workers = spawn_workers(count, fake_url)
    wait_all_sent(n)
    peaks = [peak_rss_mb(w.pid) for w in workers]
    stop_workers(workers)
    return send_rate(), peaks


def baseline(n, fake_url, concurrency):
    """The SDK alone, with as many threads as a worker sends with, and no database."""
    gateway = TwilioGateway(
        ACCOUNT_SID, AUTH_TOKEN, from_number="+15005550006", api_base_url=fake_url
    )
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(
            pool.map(
                lambda i: gateway.send(
                    to=f"+1202{5550000 + i:07d}", body=f"baseline {i}", status_callback=CALLBACK
                ),
                range(n),
            )
        )
    return n / (time.perf_counter() - started)


def page_latency(n, pages, fake_url, expected_rate):
    """One worker drains N reminders; pages are committed one by one through the drain."""
    queue_reminders(n)
    workers = spawn_workers(1, fake_url)
    while sent_count() == 0:
        time.sleep(0.05)
    spacing = n / expected_rate / (pages + 1)
    committed, next_at = {}, time.monotonic() + spacing

    def maybe_queue_page():
        nonlocal next_at
        if len(committed) < pages and time.monotonic() >= next_at:
            body = f"URGENT alert, case B{len(committed):04d}. Reply ACK B{len(committed):04d}"
            outbox.enqueue(
                db.session,
                purpose="escalation",
                to_phone=f"+1303{5550000 + len(committed):07d}",
                body=body,
                idempotency_key=f"bench-page-{len(committed)}",
                now=datetime.now(UTC),
                policy=OutboxPolicy(),
            )
            db.session.commit()  # NOTIFY outbox, as a report's page does
            committed[body] = time.time()
            next_at += spacing

    wait_all_sent(n + pages, during=maybe_queue_page)
    stop_workers(workers)
    received = json.loads(urllib.request.urlopen(f"{fake_url}/_received").read())
    accepted = {m["Body"]: m["received_at"] for m in received if m["Body"] in committed}
    waits = sorted(accepted[b] - t for b, t in committed.items())
    recorded = sorted(
        (sent - created).total_seconds()
        for sent, created in db.session.execute(
            select(Message.sent_at, Message.created_at).where(Message.purpose == "escalation")
        )
    )
    return waits, recorded


def quantiles(values):
    p = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return f"p50 {p(0.5):.2f} s, p99 {p(0.99):.2f} s, max {values[-1]:.2f} s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--jitter-ms", type=float, default=0)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--validate", action="store_true", help="validate each request (slower)")
    parser.add_argument("--smoke", action="store_true", help="every step, small (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.pages, args.latency_ms = 300, 3, min(args.latency_ms, 20)
    app = create_app({"SQLALCHEMY_DATABASE_URI": URL, "SECRET_KEY": "bench"})
    concurrency = app.config["OUTBOX_CONCURRENCY"]
    port = free_port()
    fake = start_fake(port, args.validate, args.latency_ms, args.jitter_ms)
    fake_url = f"http://127.0.0.1:{port}"
    try:
        with app.app_context():
            reset_schema()
            base = baseline(min(args.messages, 3000), fake_url, concurrency)
            one, peaks1 = run_workers(1, args.messages, fake_url)
            two, peaks2 = run_workers(2, args.messages, fake_url)
            waits, recorded = page_latency(args.messages, args.pages, fake_url, one)
            queue_reminders(args.messages)
            plan = "\n".join(r[0] for r in db.session.execute(text(CLAIM)))
    finally:
        fake.terminate()
        fake.wait()
    latency = f"{args.latency_ms:.0f} ms" + (f" +/- {args.jitter_ms:.0f}" if args.jitter_ms else "")
    print(f"messages per run        {args.messages}, fake latency {latency}")
    print(f"OUTBOX_CONCURRENCY      {concurrency}")
    print(f"baseline (SDK only)     {base:8.0f} msg/s ({concurrency} threads, no database)")
    print(
        f"1 worker                {one:8.0f} msg/s  ({one / base:.2f} x baseline)  "
        f"peak RSS {peaks1[0]:.0f} MB"
    )
    print(
        f"2 workers               {two:8.0f} msg/s  ({two / base:.2f} x baseline)  "
        f"peak RSS {', '.join(f'{p:.0f}' for p in peaks2)} MB"
    )
    print(f"2 workers / 1 worker    {two / one:8.2f}")
    print(f"pages during a drain of {args.messages} reminders, 1 worker: {len(waits)} pages")
    print(f"  commit -> fake accepted     {quantiles(waits)}")
    print(f"  created -> sent recorded    {quantiles(recorded)}")
    print(f"  mean                        {statistics.mean(waits):.2f} s")
    print("query plan of the claim:\n" + plan)


if __name__ == "__main__":
    main()
