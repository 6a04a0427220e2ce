"""What triaging a report needs from the database, in one query: the clinic's numbers to call,
its clinical values in force, the patient's dose facts and their readings of the last days.

One row per reading (at least one row: the facts with no reading), oldest first. The caller
(triage.reports) turns the rows into the engine's Facts, Readings and Parameters.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, func, select, true

from models import Clinic, ClinicalSetting, Dose, Patient, ReportItem

READINGS_DAYS = 9  # the longest look-back of a rule over readings (W-* weight trend, fever)


@dataclass(frozen=True)
class KnownFacts:
    """The query's answer, before it becomes the engine's inputs."""

    emergency_number: str
    care_team_phone: str | None
    settings_version: int | None
    overrides: dict | None
    doses: tuple  # (first administered_on, last administered_on, last end, last start)
    readings: tuple  # (symptom code, measured at, normalized value), oldest first


@cache
def statement():
    """Built once (building it costs more than running it); bound per report: `patient_id`,
    `clinic_id`, `since`."""
    patient_id, clinic_id = bindparam("patient_id"), bindparam("clinic_id")
    doses = (
        select(
            func.min(Dose.administered_on).label("first_dose"),
            func.max(Dose.administered_on).label("last_dose"),
            func.max(Dose.infusion_ended_at).label("ended_at"),
            func.max(Dose.infusion_started_at).label("started_at"),
        )
        .where(Dose.patient_id == patient_id)
        .subquery("doses")
    )
    settings = (
        select(ClinicalSetting.version, ClinicalSetting.overrides)
        .where(ClinicalSetting.clinic_id == clinic_id)
        .order_by(ClinicalSetting.version.desc())
        .limit(1)
        .subquery("settings")
    )
    facts = (
        select(
            Clinic.emergency_number,
            Clinic.care_team_phone,
            settings.c.version,
            settings.c.overrides,
            doses,
        )
        .select_from(Clinic)
        .outerjoin(settings, true())
        .join(doses, true())
        .where(Clinic.id == clinic_id)
        .subquery("facts")
    )
    readings = (
        select(ReportItem.symptom_code, ReportItem.measured_at, ReportItem.normalized_value)
        .where(
            ReportItem.patient_id == patient_id,
            ReportItem.normalized_value.is_not(None),
            ReportItem.measured_at >= bindparam("since", type_=ReportItem.measured_at.type),
        )
        .subquery("readings")
    )
    return (
        select(facts, readings)
        .select_from(facts.outerjoin(readings, true()))
        .order_by(readings.c.measured_at)
    )


def load(session, patient: Patient, now: datetime) -> KnownFacts:
    since = now - timedelta(days=READINGS_DAYS)
    rows = session.execute(
        statement(), {"patient_id": patient.id, "clinic_id": patient.clinic_id, "since": since}
    ).all()
    first = rows[0]
    return KnownFacts(
        emergency_number=first.emergency_number,
        care_team_phone=first.care_team_phone,
        settings_version=first.version,
        overrides=first.overrides,
        doses=(first.first_dose, first.last_dose, first.ended_at, first.started_at),
        readings=tuple(
            (r.symptom_code, r.measured_at, r.normalized_value)
            for r in rows
            if r.symptom_code is not None
        ),
    )
