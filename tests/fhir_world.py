"""A patient's full history for the FHIR tests, made through the domain functions the API and
the worker use: reports (temperatures in °F and °C, weights in kg and lb, symptoms with their
attributes), alerts acknowledged and not, pages and reminders sent through the outbox."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from fhir.resources.R4B import get_fhir_model_class
from flask import current_app

from messages.gateways import ConsoleGateway
from messages.outbox import OutboxPolicy
from models import Alert, Reminder, SymptomReport, db, utcnow
from schedules import release
from tests.factories import make_patient, make_staff
from tests.sms import run_dispatch
from triage import acknowledgement, reports

BASE = "https://care.example.org"
POLICY = OutboxPolicy()


@dataclass
class History:
    patient: object
    nurse: object
    start: datetime
    alerts: list
    reminders: list


def report(patient, items, *, at):
    recorded, _ = reports.record_report(
        db.session, patient, {"items": items}, now=at, base_url=BASE, outbox_policy=POLICY
    )
    db.session.commit()
    return db.session.get(SymptomReport, recorded.id)


def send_outbox(at):
    run_dispatch(current_app, at, worker_id="test", gateway=ConsoleGateway(), batch_size=100)


def make_history(clinic, *, start: datetime | None = None) -> History:
    """Six reports over a day and more, two alerts (the fever one acknowledged), pages and two
    reminders sent, all ending before `utcnow()`."""
    # At 16:00 UTC three days ago: the reminders' releases (start + 24 h, + 25 h) then fall in
    # the patient's afternoon, never in quiet hours, whatever time of day the suite runs.
    start = start or (utcnow() - timedelta(days=3)).replace(
        hour=16, minute=0, second=0, microsecond=0
    )
    nurse = make_staff(clinic, phone="+12025550101", on_call=True)
    patient = make_patient(clinic, sms_consent=True, phone="+12025550177")
    t = lambda hours: start + timedelta(hours=hours)  # noqa: E731
    report(patient, [{"symptom": "temperature", "value": Decimal("37.2"), "unit": "C"}], at=t(0))
    report(patient, [{"symptom": "weight", "value": Decimal("70.5"), "unit": "kg"}], at=t(1))
    report(patient, [{"symptom": "weight", "value": Decimal("156.0"), "unit": "lb"}], at=t(2))
    report(
        patient,
        [
            {
                "symptom": "fever",
                "value": Decimal("101.5"),
                "unit": "F",
                "site": "oral",
                "details": ["rigors"],
                "severity": 3,
            },
            {"symptom": "chills", "presence": 1, "frequency": 2, "severity": 2, "interference": 1},
        ],
        at=t(3),
    )  # urgent: T-FEV (101.5 °F = 38.61 °C), pages the on-call nurse
    send_outbox(t(3.1))
    fever = db.session.get(Alert, db.session.scalars(db.select(Alert.id)).first())
    acknowledgement.acknowledge(db.session, fever, nurse, now=t(3.5), via="api")
    db.session.commit()
    report(
        patient,
        [
            {"symptom": "pregnancy"},
            {"symptom": "abdominal_pain", "details": ["right_upper"], "severity": 1, "presence": 1},
        ],
        at=t(20),
    )  # urgent (T-PREG), not acknowledged
    send_outbox(t(20.1))
    reminders = [
        Reminder(
            patient_id=patient.id,
            clinic_id=clinic.id,
            rule_id=rule,
            kind="reminder",
            occurrence_key=f"{patient.id}:{rule}:{n}",
            local_date=t(24 + n).date(),
            planned_at=t(24 + n),
            due_at=t(24 + n),
            status="planned",
            created_at=start,
            updated_at=start,
        )
        for n, rule in enumerate(("R-CONTRA-F", "R-LACT"))
    ]
    db.session.add_all(reminders)
    db.session.commit()
    for n in range(2):
        release.release_due(
            db.session, now=t(24 + n), stale_after=timedelta(hours=24), policy=POLICY
        )
        db.session.commit()
    send_outbox(t(26))
    alerts = list(db.session.scalars(db.select(Alert).where(Alert.patient_id == patient.id)))
    return History(patient, nurse, start, alerts, reminders)


def validate(resource: dict):
    """fhir.resources' model of the resource: fails the test if it is not valid FHIR."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def fhir_objects(patient, staff, directory) -> dict:
    """One of each FHIR object of the patient's clinic, by the id its FHIR path takes: an
    Observation, a reminder Communication, the Group, a finished export (for the access matrix)."""
    from fhir_r4 import bulk, export

    item = report(patient, [{"symptom": "new_medicine"}], at=utcnow()).items[0]
    reminder = Reminder(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        rule_id="R-LACT",
        kind="reminder",
        occurrence_key=f"{patient.id}:matrix",
        local_date=utcnow().date(),
        planned_at=utcnow(),
        due_at=utcnow(),
        status="released",
        released_at=utcnow(),
    )
    db.session.add(reminder)
    job = bulk.kick_off(
        db.session,
        clinic_id=patient.clinic_id,
        staff_id=staff.id,
        request_url=f"{BASE}/fhir/R4/Group/{patient.clinic_id}/$export",
        base_url=BASE,
        types=["Patient"],
        since=None,
        now=utcnow(),
    )
    db.session.commit()
    claimed = export.claim_next(db.session, now=utcnow(), worker_id="matrix")
    db.session.commit()
    export.run_job(
        db.session,
        claimed,
        directory=directory,
        hours=24,
        worker_id="matrix",
        now_fn=utcnow,
        commit=db.session.commit,
    )
    return {
        "Patient": str(patient.id),
        "Observation": f"sx-{item.id}",
        "Communication": f"reminder-{reminder.id}",
        "group_id": str(patient.clinic_id),
        "job_id": job.id,
        "file_name": "Patient.ndjson",
    }


MISSING_FHIR = {
    "Patient": "999999",
    "Observation": "sx-999999",
    "Communication": "reminder-999999",
    "Flag": "999999",
    "group_id": "999999",
    "job_id": "0" * 32,
    "file_name": "Patient.ndjson",
}


def fhir_url(rule: str, ids: dict) -> str:
    """A FHIR route with its placeholders filled from `ids` (by resource type for reads)."""
    resource_type = rule.split("/")[3]
    rule = rule.replace("<string(maxlength=64):resource_id>", ids.get(resource_type, ""))
    for name, converter in (
        ("group_id", "int"),
        ("job_id", "string(length=32)"),
        ("file_name", "string(maxlength=40)"),
    ):
        rule = rule.replace(f"<{converter}:{name}>", ids[name])
    return rule
