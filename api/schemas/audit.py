"""Audit events as admins query them."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Id, Instant, OneOf, Text
from models.audit import OUTCOMES

ACTOR_TYPES = ("staff", "patient", "anonymous", "system")


class AuditEventSchema(Schema):
    id = fields.Integer()
    occurred_at = Instant()
    actor_type = OneOf(ACTOR_TYPES)
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    patient_id = fields.Integer(allow_none=True)
    target = fields.String(allow_none=True)
    outcome = OneOf(OUTCOMES)
    request_id = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)


class AuditQueryArgsSchema(Schema):
    patient_id = Id()
    actor_type = OneOf(ACTOR_TYPES)
    actor_id = Id()
    action = Text(64)
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    since = Instant()
    until = Instant()
