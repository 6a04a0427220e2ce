"""Benchmark: a FHIR Bulk Data export of one clinic (Patient and Observation NDJSON) on
PostgreSQL, against a baseline measured in the same run: the same rows mapped to the same
resource dicts and written with json.dumps, without fhir.resources' validation.

    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test \\
        .venv/bin/python bench/fhir_export.py [--patients 500 --reports 40] [--smoke]

WIPES the database it is given.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from api import create_app  # noqa: E402
from fhir_r4 import bulk, export, search  # noqa: E402
from fhir_r4.common import Context  # noqa: E402
from models import Clinic, Patient, ReportItem, Staff, SymptomReport, db  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
NOW = datetime.now(UTC).replace(microsecond=0)
BASE = "https://care.example.org"


def populate(patients: int, reports: int) -> int:
    clinic = Clinic(name="Bench", timezone="UTC")
    db.session.add(clinic)
    db.session.flush()
    db.session.add(
        Staff(clinic_id=clinic.id, role="admin", name="A", email="a@example.org", password_hash="x")
    )
    db.session.execute(
        insert(Patient),
        [
            dict(
                id=p,
                clinic_id=clinic.id,
                display_name=f"P{p}",
                phone="+12025550188",
                timezone="UTC",
                sex="female",
                created_at=NOW,
                updated_at=NOW,
            )
            for p in range(1, patients + 1)
        ],
    )
    rows, items = [], []
    for p in range(1, patients + 1):
        for r in range(reports):
            rid = (p - 1) * reports + r + 1
            at = NOW - timedelta(hours=r)
            rows.append(
                dict(
                    id=rid,
                    patient_id=p,
                    clinic_id=clinic.id,
                    reported_at=at,
                    urgency="none",
                    matched_rules=[],
                    advice=[],
                    ruleset_version="b",
                )
            )
            items.append(
                dict(
                    report_id=rid,
                    patient_id=p,
                    symptom_code="temperature",
                    value=Decimal("99.5"),
                    unit="F",
                    normalized_value=Decimal("37.5"),
                    measured_at=at,
                    details=[],
                )
            )
            items.append(
                dict(
                    report_id=rid,
                    patient_id=p,
                    symptom_code="chills",
                    presence=1,
                    severity=2,
                    measured_at=at,
                    details=[],
                )
            )
    db.session.execute(insert(SymptomReport), rows)
    db.session.execute(insert(ReportItem), items)
    db.session.commit()
    return clinic.id


def baseline(clinic_id: int, folder: Path) -> float:
    """Map and json.dumps the same resources, no validation."""
    started = time.perf_counter()
    ctx = Context(BASE, clinic_id, UTC)
    for resource_type in ("Patient", "Observation"):
        keys = search.all_keys(db.session, ctx, resource_type, {})
        with (folder / f"{resource_type}.json").open("w") as out:
            for start in range(0, len(keys), export.CHUNK):
                chunk = keys[start : start + export.CHUNK]
                for r in search.TYPES[resource_type].load(db.session, ctx, chunk):
                    out.write(json.dumps(r, default=str) + "\n")
    return time.perf_counter() - started


def measured(clinic_id: int, folder: Path) -> tuple[float, int]:
    job = bulk.kick_off(
        db.session,
        clinic_id=clinic_id,
        staff_id=1,
        request_url=BASE,
        base_url=BASE,
        types=["Patient", "Observation"],
        since=None,
        now=NOW,
    )
    db.session.commit()
    started = time.perf_counter()
    claimed = export.claim_next(db.session, now=NOW, worker_id="bench")
    db.session.commit()
    export.run_job(
        db.session,
        claimed,
        directory=folder,
        hours=1,
        worker_id="bench",
        now_fn=lambda: NOW,
        commit=db.session.commit,
    )
    elapsed = time.perf_counter() - started
    count = sum(o["count"] for o in db.session.get(type(claimed), job.id).output)
    return elapsed, count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--smoke", action="store_true", help="a few rows: does it still run")
    args = parser.parse_args()
    if args.smoke:
        args.patients, args.reports = 5, 3
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": URL,
                "INSTANCE_PATH": tmp,
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            }
        )
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            import flask_migrate

            flask_migrate.upgrade()
            clinic_id = populate(args.patients, args.reports)
            folder = Path(tmp)
            base_s = baseline(clinic_id, folder)
            export_s, count = measured(clinic_id, folder)
            db.engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"resources exported                {count:,} "
        f"({args.patients} patients x {args.reports} reports x 2 observations + patients)"
    )
    print(f"baseline (map + json.dumps)       {base_s:.2f} s ({count / base_s:,.0f} resources/s)")
    print(
        f"export (validated, fhir.resources) {export_s:.2f} s ({count / export_s:,.0f} "
        f"resources/s), x baseline {export_s / base_s:.2f}"
    )
    print(f"peak RSS                          {peak:.0f} MB")


if __name__ == "__main__":
    main()
