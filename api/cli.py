"""Flask CLI commands (`flask --app api <command>`): seed-demo, create-admin, worker, dev."""

import secrets
import sys
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from sqlalchemy import select

from access import enrollment
from access.passwords import hash_password
from models import Clinic, Patient, Staff, db, utcnow

DEMO_CLINIC = "Demo Clinic"


def _upsert_staff(clinic, email, name, role, password):
    member = db.session.scalar(select(Staff).where(Staff.email == email))
    if member is None:
        member = Staff(clinic=clinic, email=email, name=name, role=role, password_hash="")
        db.session.add(member)
    member.password_hash = hash_password(password)
    member.active = True
    return member


@click.command("seed-demo")
def seed_demo():
    """Create (or refresh) the demo clinic, staff and patient; print their credentials."""
    clinic = db.session.scalar(select(Clinic).where(Clinic.name == DEMO_CLINIC))
    if clinic is None:
        clinic = Clinic(name=DEMO_CLINIC, timezone="America/New_York")
        db.session.add(clinic)
    clinic.care_team_phone = "+12025550100"  # 555-01XX numbers are fictional
    admin_pw, nurse_pw = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    admin = _upsert_staff(clinic, "admin@demo.example", "Demo Admin", "admin", admin_pw)
    nurse = _upsert_staff(clinic, "nurse@demo.example", "Demo Nurse", "clinician", nurse_pw)
    admin.phone, nurse.phone, nurse.on_call = "+12025550144", "+12025550143", True
    db.session.flush()
    patient = db.session.scalar(select(Patient).where(Patient.clinic_id == clinic.id))
    if patient is None:
        patient = Patient(
            clinic_id=clinic.id,
            display_name="D.P.",
            phone="+12025550188",
            timezone="America/New_York",
            language="en",
            sex="female",
            reproductive_potential=True,
            sms_consent=True,
            sms_consent_at=utcnow(),
            quiet_hours_start=time(0, 0),  # none, so the demo's texts show at any hour
            quiet_hours_end=time(0, 0),
        )
        db.session.add(patient)
        db.session.flush()
    if not patient.doses:  # a first infusion that ended an hour ago: R-IRR falls due soon
        _record_demo_dose(patient, nurse)
    code, _ = enrollment.issue_code(
        db.session,
        patient,
        staff_id=nurse.id,
        now=utcnow(),
        hours=72,
        key=current_app.config["SECRET_KEY"],
    )
    db.session.commit()
    click.echo(
        "\nDemo clinic ready (passwords are new each time seed-demo runs):\n"
        f"  admin      admin@demo.example   password: {admin_pw}\n"
        f"  clinician  nurse@demo.example   password: {nurse_pw}\n"
        f"  patient    #{patient.id} enrollment code: {code}  (POST /api/v1/auth/enroll)\n"
        "The patient's first dose is recorded: GET /api/v1/me/reminders lists the planned\n"
        "schedule; the after-infusion check-in SMS appears in this console within minutes.\n"
    )


def _record_demo_dose(patient, nurse):
    from schedules import facts

    now = utcnow()
    start = now - timedelta(minutes=118)
    facts.record_dose(
        db.session,
        patient,
        {
            "administered_on": start.astimezone(ZoneInfo(patient.timezone)).date(),
            "infusion_started_at": start,
            "infusion_ended_at": start + timedelta(minutes=60),
            "cycle": 1,
            "cycle_day": 1,
        },
        staff_id=nurse.id,
        now=now,
    )


@click.command("create-admin")
@click.option("--clinic", "clinic_name", required=True, help="Clinic name (created if new)")
@click.option("--timezone", default="UTC", show_default=True, help="Clinic's IANA time zone")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option(help="At least 12 characters; prompted for when omitted")
def create_admin(clinic_name, timezone, email, name, password):
    """Create a clinic admin (and the clinic, when it does not exist yet)."""
    from api.schemas.staff import ClinicSchema, StaffSchema

    errors = ClinicSchema().validate({"name": clinic_name, "timezone": timezone})
    errors |= StaffSchema().validate(
        {"role": "admin", "name": name, "email": email, "password": password}
    )
    if errors:
        click.echo(f"Refused: {errors}", err=True)
        sys.exit(2)
    email = email.lower()
    if db.session.scalar(select(Staff.id).where(Staff.email == email)):
        click.echo("Refused: a staff member with that email exists.", err=True)
        sys.exit(2)
    clinic = db.session.scalar(select(Clinic).where(Clinic.name == clinic_name))
    if clinic is None:
        clinic = Clinic(name=clinic_name, timezone=timezone)
        db.session.add(clinic)
    _upsert_staff(clinic, email, name, "admin", password)
    db.session.commit()
    click.echo(f"Admin {email} created in clinic {clinic_name!r}.")


def register_commands(app: Flask) -> None:
    from api.worker import dev_command, worker_command

    for command in (seed_demo, create_admin, worker_command, dev_command):
        app.cli.add_command(command)
