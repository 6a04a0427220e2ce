"""Profile of the report path, in one process: statements and commits per report, and where the
time goes (cProfile), for calm and urgent reports through the `flask` test client.

    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test \\
        .venv/bin/python bench/report_profile.py [--reports 400] [--top 25] [--smoke]

WIPES the database it is given (as bench/report_ingest.py, whose data it uses). Under gunicorn
the same code shares two cores with PostgreSQL and the load generator, so this says where a
report's time goes, not how many a second the service takes (bench/report_ingest.py does).
"""

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from api import create_app  # noqa: E402
from bench.report_ingest import CALM, SECRET, URGENT, URL, reset_and_seed  # noqa: E402
from models import db  # noqa: E402


class Counter:
    """Statements and commits on the app's engine (the SQLAlchemy events a test can use)."""

    def __init__(self, engine):
        self.statements = self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, *args):
        self.statements += 1

    def _commit(self, *args):
        self.commits += 1


def post(client, token, items, key):
    response = client.post(
        "/api/v1/me/symptom-reports",
        data=json.dumps({"items": items}),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=400)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.reports = 20
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": URL, "SECRET_KEY": SECRET, "JWT_SECRET_KEY": SECRET}
    )
    tokens = reset_and_seed(app, args.reports + 10)
    calm, urgent = tokens[:10], tokens[10:]
    client = app.test_client()
    with app.app_context():
        counter = Counter(db.engine)
    for i in range(10):  # warm up: connections, caches, compiled statements
        post(client, calm[i], CALM, f"warm-{i:08d}")
    for kind, items, pick in (("calm", CALM, lambda i: calm[i % 10]), ("urgent", URGENT, None)):
        counter.statements = counter.commits = 0
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for i in range(args.reports):
            token = pick(i) if pick else urgent[i]  # urgent: a patient with no open alert
            post(client, token, items, f"{kind}-{i:08d}")
        profile.disable()
        elapsed = time.perf_counter() - started
        n = args.reports
        print(
            f"{kind}: {n / elapsed:.0f} reports/s in one process (under cProfile); "
            f"{counter.statements / n:.1f} statements and {counter.commits / n:.1f} commits "
            "per report"
        )
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
