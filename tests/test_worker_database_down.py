"""A real worker process with no database: one line per failure, backing off, no traceback
(issue 10, item 5: it used to log a 40-line traceback every 2 s); SIGTERM still stops it."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once this socket closes


def test_a_worker_without_its_database_logs_one_line_per_failure_and_backs_off(tmp_path):
    env = os.environ | {
        "DATABASE_URL": f"postgresql+psycopg://root@127.0.0.1:{closed_port()}/nowhere",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "OUTBOX_POLL_SECONDS": "0.5",
        "ESCALATION_POLL_SECONDS": "0.5",
        "REMINDER_POLL_SECONDS": "0.5",
        "FHIR_EXPORT_POLL_SECONDS": "0.5",
        "LOG_LEVEL": "INFO",
    }
    env.pop("TEST_DATABASE_URL", None)
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "api", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    time.sleep(8)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    lines = log.read_text().splitlines()
    failures = [line for line in lines if "database unavailable" in line]
    per_job = Counter(line.split(" [-] ")[1].split(":")[0] for line in failures)
    print(f"\n{len(lines)} log lines in 8 s; database failures per job: {dict(per_job)}")
    assert "Traceback" not in log.read_text()
    assert set(per_job) == {
        "dispatch_outbox",
        "escalate_alerts",
        "release_reminders",
        "fhir_exports",
    }
    # Polled every 0.5 s that is 16 tries each; backing off (0.5, 1, 2, 4 s...) about 5.
    assert all(2 <= n <= 6 for n in per_job.values()), per_job
    assert all("OperationalError" in line and "next try in" in line for line in failures)
    assert all("[SQL" not in line and "parameters" not in line for line in lines)
    assert len(lines) < 40
