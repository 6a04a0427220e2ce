"""Changes to the patient facts that reminders are planned from (clinical-rules §1.1).

Every function here takes the session and `now`, validates against the stored state, changes it,
re-plans the patient's reminders (schedules.reconcile) and never commits: the request or command
that calls it owns the transaction.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models import Clinic, Dose, LabResult, Patient
from models.errors import Conflict, DomainError
from models.vocabulary import PatientStatus
from schedules.reconcile import replan_patient

MAX_INFUSION = timedelta(hours=12)
MIN_DOSE_GAP_DAYS = 6  # REF-4: "Doses ±2 days, ≥6 days apart"


def _local_today(patient: Patient, now: datetime) -> date:
    return now.astimezone(ZoneInfo(patient.timezone)).date()


def require_active(patient: Patient) -> None:
    if patient.status != PatientStatus.ACTIVE:
        raise Conflict("The patient is unenrolled; their record is read-only.")


def check_patient_facts(patient: Patient) -> None:
    """Refuse combinations that make no clinical sense (rules R-CONTRA-M, R-LACT read these)."""
    errors = {}
    if patient.sex == "female" and patient.partner_reproductive_potential:
        errors["partner_reproductive_potential"] = ["Only for male patients."]
    if patient.sex == "male" and patient.breastfeeding:
        errors["breastfeeding"] = ["Only for female patients."]
    if (patient.quiet_hours_start is None) != (patient.quiet_hours_end is None):
        errors["quiet_hours_end"] = ["Give both ends of the quiet hours, or neither."]
    if errors:
        raise DomainError("The patient's facts are inconsistent.", errors)


def create_patient(session, clinic: Clinic, data: dict, *, now: datetime) -> Patient:
    patient = Patient(clinic_id=clinic.id, created_at=now, updated_at=now, **data)
    if patient.sms_consent:
        patient.sms_consent_at = now
    check_patient_facts(patient)
    session.add(patient)
    session.flush()
    replan_patient(session, patient, now=now)
    return patient


def update_patient(session, patient: Patient, changes: dict, *, now: datetime) -> Patient:
    require_active(patient)
    if "sms_consent" in changes and changes["sms_consent"] != patient.sms_consent:
        patient.sms_consent_at = now if changes["sms_consent"] else None
    for name, value in changes.items():
        setattr(patient, name, value)
    check_patient_facts(patient)
    replan_patient(session, patient, now=now)
    return patient


def record_dose(session, patient: Patient, data: dict, *, staff_id: int, now: datetime) -> Dose:
    """Record an infusion actually given (anchor dose_administered[i])."""
    require_active(patient)
    started, ended = data["infusion_started_at"], data.get("infusion_ended_at")
    errors = {}
    if data["administered_on"] > _local_today(patient, now):
        errors["administered_on"] = ["A dose cannot be recorded before it is given."]
    local_start = started.astimezone(ZoneInfo(patient.timezone)).date()
    if local_start != data["administered_on"]:
        errors["infusion_started_at"] = [
            f"Falls on {local_start.isoformat()} in the patient's time zone, "
            "not on administered_on."
        ]
    if ended is not None and not started < ended <= started + MAX_INFUSION:
        errors["infusion_ended_at"] = ["Must be after the start, and within 12 hours of it."]
    near = _other_dose_within(session, patient, data, MIN_DOSE_GAP_DAYS - 1)
    if near is not None:
        errors["administered_on"] = [
            f"Another dose is recorded on {near.isoformat()}; doses are at least "
            f"{MIN_DOSE_GAP_DAYS} days apart (REF-4)."
        ]
    ended_on = patient.treatment_ended_on
    if ended_on is not None and data["administered_on"] > ended_on:
        errors["administered_on"] = [
            f"Treatment was recorded as ended on {ended_on.isoformat()}. To record a later dose, "
            "reopen the treatment first (DELETE .../treatment-end)."
        ]
    if errors:
        raise DomainError("The dose does not add up.", errors)
    dose = Dose(patient_id=patient.id, recorded_by_id=staff_id, created_at=now, **data)
    session.add(dose)
    replan_patient(session, patient, now=now)  # a new dose extends the windows
    return dose


def _other_dose_within(session, patient: Patient, data: dict, days: int) -> date | None:
    """The date of another dose within `days` of this one (the same cycle day recorded twice is
    a duplicate, answered 409 by its unique key, not this)."""
    day = data["administered_on"]
    return session.scalar(
        select(Dose.administered_on)
        .where(
            Dose.patient_id == patient.id,
            Dose.administered_on.between(day - timedelta(days=days), day + timedelta(days=days)),
            ~((Dose.cycle == data.get("cycle")) & (Dose.cycle_day == data.get("cycle_day"))),
        )
        .limit(1)
    )


def last_dose(session, patient: Patient) -> Dose | None:
    return session.scalars(
        select(Dose).where(Dose.patient_id == patient.id).order_by(Dose.administered_on.desc())
    ).first()


def record_lab(session, patient: Patient, data: dict, *, staff_id: int, now: datetime):
    """Record a lab value that the L-* triage rules read (clinical-rules §2.4)."""
    require_active(patient)
    if data["collected_at"] > now + timedelta(minutes=5):
        raise DomainError("In the future.", {"collected_at": ["Not after now."]})
    lab = LabResult(patient_id=patient.id, recorded_by_id=staff_id, created_at=now, **data)
    session.add(lab)
    return lab


def set_transplant(session, patient: Patient, data: dict, *, now: datetime) -> Patient:
    """Record or correct HSCT day 0 (anchor hsct_date): day 0 of the monitoring after BESPONSA,
    so never before the first dose (a transplant before this therapy is history, not this)."""
    require_active(patient)
    if data["hsct_date"] > _local_today(patient, now) + timedelta(days=365):
        raise DomainError("Too far ahead.", {"hsct_date": ["More than a year ahead."]})
    first = session.scalar(
        select(func.min(Dose.administered_on)).where(Dose.patient_id == patient.id)
    )
    if first is None or data["hsct_date"] < first:
        reason = (
            "Record the BESPONSA doses first: HSCT day 0 starts the monitoring after them."
            if first is None
            else f"On or after the first recorded dose ({first.isoformat()}): a transplant "
            "before BESPONSA is history, not day 0 of this monitoring."
        )
        raise DomainError(
            "The transplant date does not follow the treatment.", {"hsct_date": [reason]}
        )
    for name, value in data.items():
        setattr(patient, name, value)
    replan_patient(session, patient, now=now)  # a corrected day 0 moves the liver-test series
    return patient


def end_treatment(session, patient: Patient, ended_on: date, *, now: datetime) -> Patient:
    """Make `last_dose` final (clinical-rules §1.1): windows stop being provisional."""
    require_active(patient)
    latest = last_dose(session, patient)
    if latest is None:
        raise DomainError("No dose is recorded.", {"treatment_ended_on": ["Record doses first."]})
    if ended_on < latest.administered_on:
        raise DomainError(
            "Treatment cannot end before the last recorded dose.",
            {"treatment_ended_on": [f"On or after {latest.administered_on.isoformat()}."]},
        )
    if ended_on > _local_today(patient, now):
        raise DomainError("In the future.", {"treatment_ended_on": ["Not after today."]})
    patient.treatment_ended_on = ended_on
    replan_patient(session, patient, now=now)  # the last dose is final: windows end for good
    return patient


def reopen_treatment(session, patient: Patient, *, now: datetime) -> Patient:
    """Undo a recorded treatment end (a further dose is planned): windows are provisional
    again and follow the last dose."""
    require_active(patient)
    if patient.treatment_ended_on is None:
        raise Conflict("Treatment has not been recorded as ended.")
    patient.treatment_ended_on = None
    replan_patient(session, patient, now=now)
    return patient


def unenroll_patient(session, patient: Patient, *, now: datetime) -> Patient:
    patient.status = PatientStatus.UNENROLLED
    patient.updated_at = now
    replan_patient(session, patient, now=now)  # cancels everything still planned
    return patient
