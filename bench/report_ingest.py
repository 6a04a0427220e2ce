"""Benchmark: symptom-report ingest under gunicorn on PostgreSQL, and escalation latency.

    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test \\
        .venv/bin/python bench/report_ingest.py [--seconds 10] [--threads 16] [--smoke]

WIPES the database it is given. In one run:
1. baseline: a minimal Flask endpoint doing one INSERT (bench/baseline_app.py), same gunicorn;
2. POST /api/v1/me/symptom-reports, three items per report, one report in five urgent (each
   urgent one from a patient with no open alert, so each pages a nurse): reports/s and the ratio;
3. paced at 50 reports/s with one worker process and the fake Twilio: the time from each urgent
   report's 201 to the fake Twilio receiving its page (p50, p99).
`--smoke`: every step, small (a few seconds each); figures printed, not asserted (CI).
"""

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from api import create_app  # noqa: E402
from bench.outbox_dispatch import free_port, start_fake, worker_env  # noqa: E402
from models import Alert, Clinic, Patient, Staff, db  # noqa: E402
from tests.factories import issue_tokens  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
SECRET = "bench-secret-key-long-enough-for-hs256-x"
CALM = [
    {"symptom": "temperature", "value": "36.8", "unit": "C"},
    {"symptom": "weight", "value": "60", "unit": "kg"},
    {"symptom": "temperature", "value": "37.1", "unit": "C"},
]
URGENT = [
    {"symptom": "temperature", "value": "38.6", "unit": "C"},
    {"symptom": "chills"},
    {"symptom": "weight", "value": "60", "unit": "kg"},
]


def reset_and_seed(app, patients: int) -> list[str]:
    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()
        import flask_migrate

        flask_migrate.upgrade()
        db.session.execute(text("CREATE TABLE bench_rows (id serial PRIMARY KEY, body text)"))
        clinic = Clinic(name="Bench", timezone="UTC", care_team_phone="+12025550100")
        db.session.add(clinic)
        db.session.flush()
        db.session.add(
            Staff(
                clinic_id=clinic.id,
                role="clinician",
                name="N",
                email="n@x.org",
                phone="+12025550143",
                on_call=True,
                password_hash="x",
            )
        )
        people = [
            Patient(
                clinic_id=clinic.id,
                display_name=f"P{i}",
                phone="+12025550188",
                timezone="UTC",
                sex="male",
            )
            for i in range(patients)
        ]
        db.session.add_all(people)
        db.session.commit()
        return [issue_tokens(p)["access_token"] for p in people]


def gunicorn(module, port, env):
    """4 sync workers. `--preload`: the app is imported once, before the socket is bound, so
    that the timed seconds are not spent importing it in four workers at once (on 2 cores that
    took about 10 s, the whole run); ready once a request is answered."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "4",
            "--preload",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            module,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.1)
    return proc


class Load:
    """Threads posting as fast as they can for `seconds`; counts 201s."""

    def __init__(self, port, path, make_request, threads, seconds):
        self.port, self.path, self.make_request = port, path, make_request
        self.threads, self.seconds = threads, seconds
        self.ok = self.bad = 0
        self.lock = threading.Lock()

    def run(self) -> float:
        deadline = time.perf_counter() + self.seconds
        workers = [
            threading.Thread(target=self._loop, args=(i, deadline)) for i in range(self.threads)
        ]
        started = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return self.ok / (time.perf_counter() - started)

    def _loop(self, index, deadline):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        n = 0
        while time.perf_counter() < deadline:
            body, headers = self.make_request(index, n)
            n += 1
            conn.request("POST", self.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            with self.lock:
                if response.status == 201:
                    self.ok += 1
                else:
                    self.bad += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--smoke", action="store_true", help="every step, small (CI)")
    args = parser.parse_args()
    # Urgent reports come from patients with no open alert (one each), calm ones from the rest.
    urgent_patients, calm_patients, paced = 1000, 200, 500
    if args.smoke:
        args.seconds, args.threads = 4, 4
        urgent_patients, calm_patients, paced = 40, 10, 50
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": URL, "SECRET_KEY": SECRET, "JWT_SECRET_KEY": SECRET}
    )
    tokens = reset_and_seed(app, urgent_patients + calm_patients)
    fake_port = free_port()
    fake = start_fake(fake_port, validate=False)
    fake_url = f"http://127.0.0.1:{fake_port}"
    env = worker_env(fake_url) | {"DATABASE_URL": URL, "SECRET_KEY": SECRET}
    procs = [fake]
    try:
        port = free_port()
        procs.append(gunicorn("bench.baseline_app:app", port, env))
        baseline = Load(
            port,
            "/insert",
            lambda i, n: (json.dumps(URGENT), {"Content-Type": "application/json"}),
            args.threads,
            args.seconds,
        ).run()
        procs[-1].terminate()

        port = free_port()
        procs.append(gunicorn("api.wsgi:app", port, env))
        counter = iter(range(10**9))
        lock = threading.Lock()

        def report(i, n):
            with lock:
                k = next(counter)
            urgent = k % 5 == 0
            if urgent:
                token = tokens[(k // 5) % urgent_patients]
            else:
                token = tokens[urgent_patients + k % calm_patients]
            return json.dumps({"items": URGENT if urgent else CALM}), {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"bench-{k:012d}",
            }

        ingest = Load(port, "/api/v1/me/symptom-reports", report, args.threads, args.seconds)
        rate = ingest.run()
        latency = escalation_latency(app, port, tokens, fake_url, env, paced, urgent_patients)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
    print(f"baseline (one INSERT)    {baseline:8.0f} req/s")
    print(
        f"symptom reports          {rate:8.0f} req/s  ({rate / baseline:.2f} x baseline, "
        f"{ingest.bad} non-201)"
    )
    print(f"escalation latency at 50 reports/s: {latency}")


def escalation_latency(app, port, tokens, fake_url, env, count, urgent_patients):
    """Paced 50 reports/s, `count` of them (every fifth urgent, each from a patient with no open
    alert); 201 -> fake Twilio receives the page."""
    calm_patients = len(tokens) - urgent_patients
    with app.app_context():
        db.session.execute(text("UPDATE alerts SET status = 'resolved'"))
        db.session.execute(text("TRUNCATE messages, alert_pages CASCADE"))
        db.session.commit()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "api", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    time.sleep(3)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    answered = {}
    start = time.perf_counter()
    for k in range(count):
        time.sleep(max(0, start + k / 50 - time.perf_counter()))
        urgent = k % 5 == 0
        token = tokens[k // 5] if urgent else tokens[urgent_patients + k % calm_patients]
        conn.request(
            "POST",
            "/api/v1/me/symptom-reports",
            body=json.dumps({"items": URGENT if urgent else CALM}),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"paced-{k:08d}",
            },
        )
        response = conn.getresponse()
        body = json.loads(response.read())
        if urgent and response.status == 201:
            answered[body["alert_id"]] = time.time()
    time.sleep(5)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    host = fake_url.removeprefix("http://")
    fake = http.client.HTTPConnection(host, timeout=10)
    fake.request("GET", "/_received")
    received = {
        m["Body"].split("case ")[1][:5]: m["received_at"]
        for m in json.loads(fake.getresponse().read())
    }
    with app.app_context():
        codes = dict(db.session.query(Alert.id, Alert.case_code).all())
    waits = sorted(received[codes[a]] - t for a, t in answered.items() if codes[a] in received)
    if not waits:
        return "no pages received"
    p = lambda q: waits[min(len(waits) - 1, int(q * len(waits)))]  # noqa: E731
    return (
        f"{len(waits)}/{len(answered)} pages; p50 {p(0.5) * 1000:.0f} ms, "
        f"p99 {p(0.99) * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
