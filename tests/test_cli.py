"""The CLI commands a new user runs: seed-demo and create-admin."""

import re

from sqlalchemy import func, select

from models import Clinic, Reminder, Staff, db


def test_seed_demo_prints_working_credentials_and_plans_a_schedule(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    password = re.search(r"admin@demo.example\s+password: (\S+)", result.output).group(1)
    code = re.search(r"enrollment code: (\S+)", result.output).group(1)
    login = client.post(
        "/api/v1/auth/login", json={"email": "admin@demo.example", "password": password}
    )
    assert login.status_code == 200
    enrolled = client.post("/api/v1/auth/enroll", json={"code": code})
    assert enrolled.status_code == 200
    token = enrolled.json["access_token"]
    reminders = client.get(
        "/api/v1/me/reminders?when=upcoming&page_size=100",
        headers={"Authorization": f"Bearer {token}"},
    ).json
    assert {"R-IRR", "R-WEIGHT", "R-CONTRA-F"} <= {r["rule_id"] for r in reminders}
    # Running it again refreshes the passwords, and duplicates nothing.
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Clinic)) == 1
    assert db.session.scalar(select(func.count()).select_from(Staff)) == 2
    assert (
        db.session.scalar(
            select(func.count()).select_from(Reminder).where(Reminder.rule_id == "R-IRR")
        )
        == 1
    )


def test_create_admin(runner):
    ok = runner.invoke(
        args=[
            "create-admin",
            "--clinic",
            "North",
            "--timezone",
            "Europe/Madrid",
            "--email",
            "Boss@Example.org",
            "--name",
            "Boss",
        ],
        input="a long enough password\na long enough password\n",
    )
    assert ok.exit_code == 0, ok.output
    admin = db.session.scalar(select(Staff))
    assert (admin.email, admin.role, admin.clinic.timezone) == (
        "boss@example.org",
        "admin",
        "Europe/Madrid",
    )
    dup = runner.invoke(
        args=[
            "create-admin",
            "--clinic",
            "North",
            "--email",
            "boss@example.org",
            "--name",
            "B",
            "--password",
            "a long enough password",
        ]
    )
    assert dup.exit_code == 2 and "exists" in dup.output
    short = runner.invoke(
        args=[
            "create-admin",
            "--clinic",
            "North",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--password",
            "short",
        ]
    )
    assert short.exit_code == 2 and "password" in short.output
