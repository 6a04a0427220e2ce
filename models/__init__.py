"""SQLAlchemy models and the `db` object; no Flask request, no marshmallow here."""

from models.audit import AuditEvent
from models.auth import EnrollmentCode, RefreshToken, TokenFamily
from models.base import Base, db, utcnow
from models.clinics import Clinic, Staff
from models.devices import Device, Notification
from models.exports import ExportStatus, FhirExport
from models.messages import InboundMessage, Message, SmsOptOut
from models.patients import Dose, LabResult, Patient
from models.reminders import Reminder, ScheduleRuleSetting
from models.settings import ClinicalSetting
from models.triage import (
    Alert,
    AlertPage,
    EscalationPolicy,
    IdempotencyRecord,
    ReportItem,
    SymptomReport,
)

__all__ = [
    "Alert",
    "AlertPage",
    "EscalationPolicy",
    "IdempotencyRecord",
    "ReportItem",
    "SymptomReport",
    "AuditEvent",
    "Base",
    "Clinic",
    "ClinicalSetting",
    "Device",
    "Dose",
    "EnrollmentCode",
    "ExportStatus",
    "FhirExport",
    "InboundMessage",
    "LabResult",
    "Message",
    "Notification",
    "Patient",
    "RefreshToken",
    "Reminder",
    "ScheduleRuleSetting",
    "SmsOptOut",
    "Staff",
    "TokenFamily",
    "db",
    "utcnow",
]
