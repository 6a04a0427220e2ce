"""Audit events as admins query them."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Id, Instant, Text
from models.audit import OUTCOMES


class AuditEventSchema(Schema):
    id = fields.Integer()
    occurred_at = Instant()
    actor_type = fields.String()
    actor_id = fields.Integer()
    action = fields.String()
    patient_id = fields.Integer()
    target = fields.String()
    outcome = fields.String()
    request_id = fields.String()
    detail = fields.Dict()


class AuditQueryArgsSchema(Schema):
    patient_id = Id()
    actor_type = fields.String(validate=validate.OneOf(["staff", "patient", "anonymous", "system"]))
    actor_id = Id()
    action = Text(64)
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    since = Instant()
    until = Instant()
