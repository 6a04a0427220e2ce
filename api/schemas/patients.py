"""Patient schemas: the staff's view, the patient's own view, and list filters."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import (
    Amount,
    Instant,
    LocalTime,
    OneOf,
    Phone,
    StrictBool,
    Text,
    TimeZone,
)
from models.patients import LANGUAGES, PATIENT_STATUSES, SEXES, WEIGHT_UNITS


class PatientSchema(Schema):
    id = fields.Integer(dump_only=True)
    clinic_id = fields.Integer(dump_only=True)
    display_name = Text(64, 1, required=True, metadata={"description": "Name or initials"})
    phone = Phone(required=True)
    timezone = TimeZone(required=True)
    language = fields.String(validate=validate.OneOf(LANGUAGES), load_default="en")
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    reproductive_potential = StrictBool(load_default=False)
    partner_reproductive_potential = StrictBool(
        load_default=False, metadata={"description": "Male patient: female partner of RP"}
    )
    breastfeeding = StrictBool(load_default=False)
    baseline_weight = Amount("1", "700", allow_none=True)
    baseline_weight_unit = fields.String(validate=validate.OneOf(WEIGHT_UNITS), load_default="kg")
    baseline_weight_hsct = Amount("1", "700", allow_none=True)
    baseline_weight_hsct_unit = fields.String(
        validate=validate.OneOf(WEIGHT_UNITS), load_default="kg"
    )
    sms_consent = StrictBool(load_default=False)
    sms_consent_at = Instant(dump_only=True, allow_none=True)
    quiet_hours_start = LocalTime(allow_none=True, metadata={"example": "21:00:00"})
    quiet_hours_end = LocalTime(allow_none=True, metadata={"example": "08:00:00"})
    status = OneOf(PATIENT_STATUSES, dump_only=True)
    hsct_date = fields.Date(dump_only=True, allow_none=True)
    treatment_ended_on = fields.Date(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class PatientQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(PATIENT_STATUSES))


class MeSchema(Schema):
    """What the app shows a patient about themselves."""

    id = fields.Integer(dump_only=True)
    display_name = fields.String(dump_only=True)
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    timezone = TimeZone()
    sms_consent = StrictBool()
    sms_consent_at = Instant(dump_only=True, allow_none=True)
    quiet_hours_start = LocalTime(allow_none=True)
    quiet_hours_end = LocalTime(allow_none=True)
    clinic_name = fields.Function(
        lambda p: p.clinic.name, dump_only=True, metadata={"type": "string"}
    )


class PatientUpdateSchema(PatientSchema):
    """PATCH body: any subset of the patient's fields (used with partial=True)."""


class MeUpdateSchema(MeSchema):
    """PATCH body of /me (used with partial=True)."""
