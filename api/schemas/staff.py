"""Staff accounts as clinic admins manage them, and the clinic itself."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Instant, LocalTime, Phone, StrictBool, Text, TimeZone
from models.clinics import STAFF_ROLES


class StaffSchema(Schema):
    id = fields.Integer(dump_only=True)
    clinic_id = fields.Integer(dump_only=True)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    name = Text(120, 1, required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = Phone(allow_none=True)
    password = Text(128, 12, required=True, load_only=True)
    active = StrictBool(load_default=True)
    on_call = StrictBool(load_default=False, metadata={"description": "Paged by on_call levels"})
    sms_opted_out = fields.Boolean(dump_only=True, metadata={"description": "Replied STOP"})
    created_at = Instant(dump_only=True)


class StaffUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    name = Text(120, 1)
    phone = Phone(allow_none=True)
    password = Text(128, 12, load_only=True)
    active = StrictBool()
    on_call = StrictBool()


class ClinicSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Text(120, 1)
    timezone = TimeZone()
    quiet_hours_start = LocalTime()
    quiet_hours_end = LocalTime()
    care_team_phone = Phone(allow_none=True, metadata={"description": "24-hour line patients call"})
    emergency_number = fields.String(validate=validate.Regexp(r"^[0-9]{2,8}$"))


class ClinicUpdateSchema(ClinicSchema):
    """PATCH body of /clinic (used with partial=True)."""

    # Set or changed, never cleared: urgent advice tells patients to call this number now.
    care_team_phone = Phone(metadata={"description": "24-hour line patients call; not cleared"})
