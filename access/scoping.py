"""Loaders that never cross a clinic: another clinic's object and a missing one are the same
404, so a refusal does not tell whether the object exists, and every refusal is audited."""

from sqlalchemy import select

from access import context
from access.audit import record
from models import Patient, Staff
from models.errors import NotFound


def _kind(model) -> str:
    return "staff" if model.__tablename__ == "staff" else model.__tablename__.rstrip("s")


def in_clinic(session, model, object_id, *, clinic_id: int, action: str, noun: str, detail=None):
    """An object of the clinic (staff, alert, message...), or NotFound after an audited refusal."""
    in_range = isinstance(object_id, int) and 0 < object_id < 2**31
    found = session.get(model, object_id) if in_range else None
    if found is None or found.clinic_id != clinic_id:
        target = f"{_kind(model)}:{object_id}"
        record(session, action, target=target, outcome="denied", detail=detail)
        raise NotFound(f"{noun} not found.")
    return found


def patient_in_clinic(session, patient_id, *, clinic_id: int, action: str, detail=None):
    """The patient, if the clinic treats them. Records the access's one audit event; if the call
    then fails, the front end's error handler keeps it as a failure."""
    patient = in_clinic(
        session,
        Patient,
        patient_id,
        clinic_id=clinic_id,
        action=action,
        noun="Patient",
        detail=detail,
    )
    context.current().patient_access = record(session, action, patient=patient, detail=detail)
    return patient


def clinic_staff(session, clinic_id: int) -> list[Staff]:
    return list(
        session.scalars(select(Staff).where(Staff.clinic_id == clinic_id).order_by(Staff.name))
    )
