"""Outbox messages as clinic admins see them."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Instant, OneOf
from models.messages import PURPOSES, STATUSES


class MessageSchema(Schema):
    id = fields.Integer()
    purpose = OneOf(PURPOSES)
    recipient_type = OneOf(["patient", "staff", "number"])
    recipient_id = fields.Integer(allow_none=True)
    status = OneOf(STATUSES)
    attempts = fields.Integer()
    error_code = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    twilio_sid = fields.String(allow_none=True)
    created_at = Instant()
    next_attempt_at = Instant()
    sent_at = Instant(allow_none=True)
    delivered_at = Instant(allow_none=True)


class MessageQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    purpose = fields.String(validate=validate.OneOf(PURPOSES))
