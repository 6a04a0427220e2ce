"""Reminders as the patient and the care team see them, and the schedule rules admins edit."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Instant, OneOf, Text
from models.reminders import REMINDER_STATUSES


class ReminderSchema(Schema):
    id = fields.Integer()
    rule_id = fields.String()
    kind = fields.String()
    local_date = fields.Date()
    due_at = Instant()
    status = OneOf(REMINDER_STATUSES)
    released_at = Instant(allow_none=True)
    acknowledged_at = Instant(allow_none=True)
    ack_kind = OneOf(["done", "read"], allow_none=True)
    title = fields.String(metadata={"description": "What the reminder is about, for the app"})
    text = fields.String(
        allow_none=True, metadata={"description": "The full in-app text, in the language asked"}
    )
    ends_on = fields.Date(
        allow_none=True,
        metadata={
            "description": "Window rules (contraception, breastfeeding, pregnancy): the last day "
            "the window covers; provisional until the treatment end is recorded"
        },
    )


class ReminderQueryArgsSchema(Schema):
    when = fields.String(validate=validate.OneOf(["upcoming", "past"]))


class ReminderAckSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["done", "read"]))


class RuleSchema(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    source = fields.String()
    label_section = fields.String()
    params = fields.Dict()
    defaults = fields.Dict()
    proposed = fields.List(fields.String(), metadata={"description": "Params a clinic may change"})
    minimums = fields.Dict(metadata={"description": "Label minimums: may not be shortened"})
    enabled = fields.Boolean()
    custom = fields.Boolean()
    texts = fields.Dict()
    version = fields.Integer(metadata={"description": "Version of the rule's texts and switch"})
    values_version = fields.Integer(
        allow_none=True,
        metadata={"description": "Version of the clinic's clinical values the params come from"},
    )


class RuleUpdateSchema(Schema):
    params = fields.Dict(
        keys=fields.String(validate=validate.Length(max=32)),
        values=fields.Raw(),
        validate=validate.Length(max=10),
    )
    enabled = fields.Boolean(truthy={True}, falsy={False})
    texts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["reminder", "window_end", "title"])),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(["en", "es"])), values=Text(500, 1)
        ),
    )


class CustomRuleSchema(Schema):
    title = Text(120, 1, required=True)
    every_days = fields.Integer(strict=True, required=True, validate=validate.Range(1, 90))
    until_days_after_last_dose = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(0, 400)
    )
    time_of_day = fields.String(
        load_default="10:00", validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$")
    )
    text_en = Text(500, 1, required=True)
    text_es = Text(500, 1)
