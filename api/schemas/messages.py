"""Outbox messages as clinic admins see them."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Instant
from models.messages import PURPOSES, STATUSES


class MessageSchema(Schema):
    id = fields.Integer()
    purpose = fields.String()
    recipient_type = fields.String()
    recipient_id = fields.Integer()
    status = fields.String()
    attempts = fields.Integer()
    error_code = fields.String()
    error_message = fields.String()
    twilio_sid = fields.String()
    created_at = Instant()
    next_attempt_at = Instant()
    sent_at = Instant()
    delivered_at = Instant()


class MessageQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    purpose = fields.String(validate=validate.OneOf(PURPOSES))
