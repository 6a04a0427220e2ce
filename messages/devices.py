"""Patients' app installations: register (or rotate) a push token, remove one. A token follows
whoever signed in on the phone last; a patient keeps at most MAX_DEVICES, the newest."""

from datetime import datetime

from sqlalchemy import delete, select

from models import Device, Patient
from models.errors import NotFound

MAX_DEVICES = 10


def registered(session, patient_id: int) -> list[Device]:
    return list(
        session.scalars(select(Device).where(Device.patient_id == patient_id).order_by(Device.id))
    )


def working_devices(session, patient_id: int) -> list[Device]:
    """The devices a push may go to: registered, and the patient consented in the app."""
    return list(
        session.scalars(
            select(Device)
            .where(Device.patient_id == patient_id, Device.notifications_consent.is_(True))
            .order_by(Device.id)
        )
    )


def register_device(
    session,
    patient: Patient,
    *,
    platform: str,
    token: str,
    now: datetime,
    app_version: str | None = None,
    language: str | None = None,
    notifications_consent: bool = False,
    previous_token: str | None = None,
) -> Device:
    """Add the app's token, or update it; `previous_token` (the one FCM rotated away) of this
    patient is removed. A token another patient registered moves to this one."""
    if previous_token and previous_token != token:
        session.execute(
            delete(Device).where(Device.patient_id == patient.id, Device.token == previous_token)
        )
    device = session.scalars(select(Device).where(Device.token == token)).one_or_none()
    if device is None or device.patient_id != patient.id:
        device = device or Device(token=token)
        device.patient_id, device.clinic_id, device.created_at = patient.id, patient.clinic_id, now
        session.add(device)
    device.platform, device.app_version = platform, app_version
    device.language = language or patient.language
    device.notifications_consent, device.updated_at = notifications_consent, now
    session.flush()
    _keep_newest(session, patient.id)
    return device


def _keep_newest(session, patient_id: int) -> None:
    ids = session.scalars(
        select(Device.id)
        .where(Device.patient_id == patient_id)
        .order_by(Device.updated_at.desc(), Device.id.desc())
        .offset(MAX_DEVICES)
    ).all()
    if ids:
        session.execute(delete(Device).where(Device.id.in_(ids)))


def remove_device(session, patient: Patient, device_id: int) -> None:
    """Another patient's device is the same 404 as a missing one."""
    device = session.get(Device, device_id)
    if device is None or device.patient_id != patient.id:
        raise NotFound("No such device.")
    session.delete(device)
