"""Benchmark: SMS dispatch from the outbox to a fake Twilio, on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test \\
        .venv/bin/python bench/outbox_dispatch.py [--messages 10000] [--validate]

WIPES the database it is given. Measures, in one run:
- baseline: the same SDK calls to the same fake from one process, with no database (the ceiling
  that the fake and the Twilio SDK allow on this machine);
- 1 worker process and 2 worker processes draining N queued messages: messages/s, the ratio to
  the baseline, the 2-to-1 ratio, and each worker's peak RSS (VmHWM).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from api import create_app  # noqa: E402
from messages.gateways import TwilioGateway  # noqa: E402
from models import Message, db  # noqa: E402
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake(port, validate):
    args = [sys.executable, "-m", "tests.fake_twilio", "--port", str(port)]
    proc = subprocess.Popen(
        args + ([] if validate else ["--no-validate"]),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    proc.stdout.readline()
    return proc


def worker_env(fake_url):
    return os.environ | {
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


def peak_rss_mb(pid) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def queue(n):
    now = datetime.now(UTC)
    db.session.execute(text("TRUNCATE messages RESTART IDENTITY"))
    rows = [
        dict(
            purpose="system",
            recipient_type="number",
            to_phone="+12025550143",
            body=f"bench message {i}",
            idempotency_key=f"bench-{i}",
            status="queued",
            attempts=0,
            next_attempt_at=now,
            expires_at=now.replace(year=now.year + 1),
            created_at=now,
            updated_at=now,
        )
        for i in range(n)
    ]
    db.session.execute(insert(Message), rows)
    db.session.commit()


def sent_count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).where(Message.status == "sent"))


def run_workers(count, n, fake_url):
    queue(n)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "api", "worker"],
            cwd=ROOT,
            env=worker_env(fake_url),
            stdout=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    started = time.perf_counter()
    while sent_count() < n:
        if time.perf_counter() - started > 600:
            raise SystemExit("timed out")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    peaks = [peak_rss_mb(w.pid) for w in workers]
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(timeout=60)
    return n / elapsed, peaks


def baseline(n, fake_url):
    gateway = TwilioGateway(
        ACCOUNT_SID, AUTH_TOKEN, from_number="+15005550006", api_base_url=fake_url
    )
    started = time.perf_counter()
    for i in range(n):
        gateway.send(
            to="+12025550143",
            body=f"baseline {i}",
            status_callback="https://care.example.org/webhooks/twilio/status",
        )
    return n / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument(
        "--validate",
        action="store_true",
        help="validate each request against the OpenAPI (slower fake)",
    )
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": URL, "SECRET_KEY": "bench"})
    port = free_port()
    fake = start_fake(port, args.validate)
    fake_url = f"http://127.0.0.1:{port}"
    try:
        with app.app_context():
            import flask_migrate

            flask_migrate.upgrade()
            base = baseline(min(args.messages, 3000), fake_url)
            one, peaks1 = run_workers(1, args.messages, fake_url)
            two, peaks2 = run_workers(2, args.messages, fake_url)
    finally:
        fake.terminate()
        fake.wait()
    print(f"messages per run        {args.messages}")
    print(f"baseline (SDK only)     {base:8.0f} msg/s")
    print(
        f"1 worker                {one:8.0f} msg/s  ({one / base:.2f} x baseline)  "
        f"peak RSS {peaks1[0]:.0f} MB"
    )
    print(
        f"2 workers               {two:8.0f} msg/s  ({two / base:.2f} x baseline)  "
        f"peak RSS {', '.join(f'{p:.0f}' for p in peaks2)} MB"
    )
    print(f"2 workers / 1 worker    {two / one:8.2f}")


if __name__ == "__main__":
    main()
