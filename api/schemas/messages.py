"""Outbox messages as clinic admins see them."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Instant, OneOf
from models.messages import PURPOSES, STATUSES
from models.vocabulary import Channel


class MessageSchema(Schema):
    id = fields.Integer()
    purpose = OneOf(PURPOSES)
    channel = OneOf(tuple(Channel), metadata={"description": "sms, push (the patient app) or call"})
    recipient_type = OneOf(["patient", "staff", "number"])
    recipient_id = fields.Integer(allow_none=True)
    status = OneOf(STATUSES)
    attempts = fields.Integer()
    error_code = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    twilio_sid = fields.String(
        allow_none=True, metadata={"description": "The provider's id: Twilio SID, FCM message name"}
    )
    created_at = Instant()
    next_attempt_at = Instant()
    sent_at = Instant(allow_none=True)
    delivered_at = Instant(allow_none=True)


class MessageQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    purpose = fields.String(validate=validate.OneOf(PURPOSES))
