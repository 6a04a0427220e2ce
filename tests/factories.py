"""Plain factory functions per model, and a helper that builds auth headers."""

import functools
import itertools

from flask import current_app

from api.auth import tokens
from api.auth.passwords import hash_password
from messages import outbox
from messages.templates import render
from models import Clinic, Patient, Staff, db, utcnow

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


def make_clinic(name=None, timezone="America/New_York") -> Clinic:
    clinic = Clinic(name=name or f"Clinic {next(_seq)}", timezone=timezone)
    db.session.add(clinic)
    db.session.commit()
    return clinic


def make_staff(clinic, role="clinician", **kw) -> Staff:
    n = next(_seq)
    member = Staff(
        clinic_id=clinic.id,
        role=role,
        name=kw.pop("name", f"Staff {n}"),
        email=kw.pop("email", f"staff{n}@example.org"),
        password_hash=_password_hash(),
        **kw,
    )
    db.session.add(member)
    db.session.commit()
    return member


def make_patient(clinic, **kw) -> Patient:
    fields = {
        "display_name": f"P.{next(_seq)}",
        "phone": "+12025550143",
        "timezone": "America/New_York",
        "sex": "female",
        "reproductive_potential": True,
    } | kw
    patient = Patient(clinic_id=clinic.id, **fields)
    db.session.add(patient)
    db.session.commit()
    return patient


def issue_tokens(subject) -> dict:
    issued, _ = tokens.issue_tokens(
        db.session, subject, now=utcnow(), refresh_days=current_app.config["REFRESH_TOKEN_DAYS"]
    )
    db.session.commit()
    return issued


def auth(subject) -> dict:
    """Authorization header for a staff member or patient (a real token, real checks)."""
    return {"Authorization": f"Bearer {issue_tokens(subject)['access_token']}"}


def make_message(clinic, key, status):
    message = outbox.enqueue(
        db.session,
        purpose="reminder",
        to_phone="+12025550143",
        body=render("reminder_notice"),
        idempotency_key=key,
        now=utcnow(),
        policy=outbox.OutboxPolicy(),
        clinic_id=clinic.id,
    )
    message.status = status
    db.session.commit()
    return message


def make_alert(patient, urgency="urgent", codes=("fever",)):
    from triage import escalation

    alert = escalation.raise_alert(
        db.session,
        patient,
        urgency=urgency,
        source="report",
        symptom_codes=list(codes),
        rule_ids=["T-FEV"],
        now=utcnow(),
        base_url="https://care.example.org",
        outbox_policy=outbox.OutboxPolicy.from_config(current_app.config),
    )
    db.session.commit()
    return alert
