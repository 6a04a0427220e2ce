"""Benchmark: plan and reconcile reminders for many synthetic patients on PostgreSQL; the release
sweep's cost with nothing due at 1,000 and at 100,000 patients; APScheduler's job count.

    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test \\
        .venv/bin/python bench/reminder_planning.py [--patients 100000] [--smoke]

WIPES the database it is given. `--smoke`: the same steps with 400 patients (seconds); figures
printed, not asserted (CI).
"""

import argparse
import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from api import create_app  # noqa: E402
from api.worker import Worker  # noqa: E402
from messages.outbox import OutboxPolicy  # noqa: E402
from models import Clinic, Dose, Patient, Reminder, db  # noqa: E402
from models.vocabulary import ReminderStatus  # noqa: E402
from schedules import release  # noqa: E402
from schedules.reconcile import replan_patients  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
NOW = datetime.now(UTC).replace(microsecond=0)
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Europe/Madrid", "UTC"]


def add_patients(clinic_id, count, rng):
    """Patients at every stage: first dose up to two years ago, 1-9 doses, some with HSCT."""
    patients, doses = [], []
    base = db.session.scalar(select(func.coalesce(func.max(Patient.id), 0)))
    for n in range(count):
        pid = base + n + 1
        sex = rng.choice(["female", "male"])
        first = (NOW - timedelta(days=rng.randint(1, 730))).date()
        count_doses = rng.randint(1, 9)
        hsct = first + timedelta(days=70) if rng.random() < 0.3 else None
        patients.append(
            dict(
                id=pid,
                clinic_id=clinic_id,
                display_name=f"P{pid}",
                phone="+12025550188",
                timezone=rng.choice(ZONES),
                language="en",
                sex=sex,
                reproductive_potential=sex == "female" and rng.random() < 0.6,
                partner_reproductive_potential=sex == "male" and rng.random() < 0.5,
                breastfeeding=False,
                baseline_weight_unit="kg",
                baseline_weight_hsct_unit="kg",
                sms_consent=True,
                status="active",
                hsct_date=hsct,
                treatment_ended_on=None,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        for i in range(count_doses):
            day = first + timedelta(days=7 * i)
            if day >= NOW.date():
                break
            start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=15)
            doses.append(
                dict(
                    patient_id=pid,
                    administered_on=day,
                    infusion_started_at=start,
                    infusion_ended_at=start + timedelta(hours=1),
                    cycle=1 + i // 3,
                    cycle_day=(1, 8, 15)[i % 3],
                    created_at=NOW,
                )
            )
    db.session.execute(insert(Patient), patients)
    db.session.execute(insert(Dose), doses)
    db.session.execute(text("SELECT setval('patients_id_seq', (SELECT max(id) FROM patients))"))
    db.session.commit()
    return [p["id"] for p in patients]


def plan_all(ids):
    started = time.perf_counter()
    for chunk in range(0, len(ids), 2000):
        patients = db.session.scalars(
            select(Patient).where(Patient.id.in_(ids[chunk : chunk + 2000]))
        ).all()
        replan_patients(db.session, list(patients), now=NOW)
        db.session.commit()
        db.session.expunge_all()
    return time.perf_counter() - started


def sweep_cost(runs):
    """The release sweep at a moment when nothing is due: just before the earliest planned
    reminder (plan() also keeps slots that passed just before NOW: they would be due)."""
    earliest = db.session.scalar(
        select(func.min(Reminder.due_at)).where(Reminder.status == ReminderStatus.PLANNED)
    )
    at = min(NOW, earliest - timedelta(seconds=1)) if earliest else NOW
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        stats = release.release_due(
            db.session, now=at, stale_after=timedelta(hours=24), policy=OutboxPolicy()
        )
        db.session.rollback()
        times.append(time.perf_counter() - started)
        assert stats["seen"] == 0
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="the same steps, small (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.patients = 400
    first, runs = min(1000, args.patients // 2), 10 if args.smoke else 50
    app = create_app({"SQLALCHEMY_DATABASE_URI": URL, "SECRET_KEY": "bench"})
    rng = random.Random(7)
    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()
        import flask_migrate

        flask_migrate.upgrade()
        clinic = Clinic(name="Bench", timezone="UTC")
        db.session.add(clinic)
        db.session.commit()
        clinic_id = clinic.id
        small = add_patients(clinic_id, first, rng)
        plan_all(small)
        db.session.execute(text("ANALYZE"))
        sweep_small = sweep_cost(runs)
        rest = []
        for _ in range(0, args.patients - first, 5000):  # in slices: keep the generator small
            rest += add_patients(clinic_id, min(5000, args.patients - first - len(rest)), rng)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        elapsed = plan_all(rest)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db.session.execute(text("ANALYZE"))
        sweep_large = sweep_cost(runs)
        rows = db.session.scalar(select(func.count()).select_from(Reminder))
        plan_text = "\n".join(
            r[0]
            for r in db.session.execute(
                text(
                    "EXPLAIN SELECT * FROM reminders WHERE status = 'planned' AND due_at <= now() "
                    "ORDER BY due_at LIMIT 500"
                )
            )
        )
        jobs = len(Worker(app).jobs())
    print(f"patients                          {args.patients}")
    print(f"reminder rows planned             {rows}")
    print(
        f"plan + reconcile, {len(rest)} patients  {elapsed:.1f} s "
        f"({len(rest) / elapsed:.0f} patients/s), peak RSS {peak_mb:.0f} MB "
        f"(before planning: {rss_before:.0f} MB)"
    )
    print(
        f"release sweep, nothing due        {first:,} patients: {sweep_small * 1000:.2f} ms; "
        f"{args.patients:,} patients: {sweep_large * 1000:.2f} ms "
        f"(ratio {sweep_large / sweep_small:.2f})"
    )
    print(f"APScheduler jobs                  {jobs} (whatever the number of patients)")
    print("query plan of the sweep:\n" + plan_text)


if __name__ == "__main__":
    main()
