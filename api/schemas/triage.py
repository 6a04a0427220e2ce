"""Symptom reports, alerts and the escalation policy."""

from decimal import Decimal

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from api.schemas.fields import (
    Amount,
    DecimalNumber,
    Id,
    Instant,
    Int,
    Number,
    OneOf,
    Phone,
    Text,
    not_in_the_future,
)
from models.triage import ALERT_STATUSES, URGENCIES
from triage.catalogue import CATALOGUE, TEMPERATURE_SITES, TEMPERATURE_UNITS, WEIGHT_UNITS

SCALE = validate.Range(0, 4)
ALERT_URGENCIES = URGENCIES[1:]  # an alert is routine at least
RANGES = {"C": ("30", "45"), "F": ("86", "113"), "kg": ("1", "350"), "lb": ("2", "770")}


class ReportItemSchema(Schema):
    symptom = fields.String(
        required=True,
        validate=validate.OneOf(sorted(CATALOGUE)),
        metadata={"example": "temperature"},
    )
    details = fields.List(
        fields.String(validate=validate.Length(max=32)),
        validate=validate.Length(max=8),
        load_default=list,
    )
    presence = Int(validate=validate.Range(0, 1))
    frequency = Int(validate=SCALE)
    severity = Int(validate=SCALE)
    interference = Int(validate=SCALE)
    value = Amount("0", "1000", allow_none=True, metadata={"example": 38.4})
    unit = fields.String(
        validate=validate.OneOf(TEMPERATURE_UNITS + WEIGHT_UNITS), metadata={"example": "C"}
    )
    site = fields.String(validate=validate.OneOf(TEMPERATURE_SITES), metadata={"example": "oral"})
    measured_at = Instant(validate=not_in_the_future)

    @validates_schema
    def _measurement_fits(self, data, **kwargs):
        symptom = CATALOGUE.get(data.get("symptom"))
        if symptom is None:
            return
        unknown = set(data.get("details", ())) - set(symptom.details)
        if unknown:
            raise ValidationError(f"Not details of {symptom.code}: {sorted(unknown)}.", "details")
        value, unit = data.get("value"), data.get("unit")
        if symptom.measurement is None:
            if value is not None or unit:
                raise ValidationError("This symptom takes no measurement.", "value")
            return
        allowed = TEMPERATURE_UNITS if symptom.measurement == "temperature" else WEIGHT_UNITS
        if symptom.code in ("temperature", "weight") and value is None:
            raise ValidationError("A reading needs its value.", "value")
        if value is not None and unit not in allowed:
            raise ValidationError(f"Unit must be one of {', '.join(allowed)}.", "unit")
        if value is not None:
            low, high = (Decimal(x) for x in RANGES[unit])
            if not low <= value <= high:
                raise ValidationError(f"Must be between {low} and {high} {unit}.", "value")


class SymptomReportSchema(Schema):
    items = fields.List(
        fields.Nested(ReportItemSchema), required=True, validate=validate.Length(1, 12)
    )
    onset_at = Instant(validate=not_in_the_future)
    note = Text(500)


URGENCY = {
    "description": "none: nothing in the report needs the care team (the advice still says "
    "what to watch for); routine: the care team reviews it in working hours; urgent and "
    "emergency: the care team is paged now."
}


class MatchSchema(Schema):
    rule_id = fields.String()
    label_section = fields.String()
    urgency = OneOf(URGENCIES, metadata=URGENCY)


class ReportItemOutSchema(Schema):
    symptom = fields.String(attribute="symptom_code")
    details = fields.List(fields.String())
    presence = fields.Integer(allow_none=True)
    frequency = fields.Integer(allow_none=True)
    severity = fields.Integer(allow_none=True)
    interference = fields.Integer(allow_none=True)
    value = DecimalNumber(allow_none=True, metadata={"description": "As entered, in `unit`"})
    unit = fields.String(allow_none=True)
    site = fields.String(allow_none=True)
    measured_at = Instant()


class CareTeamSchema(Schema):
    care_team_phone = fields.String(allow_none=True, metadata={"description": "24-hour line"})
    emergency_number = fields.String()


class SymptomReportOutSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    reported_at = Instant()
    onset_at = Instant(allow_none=True)
    note = fields.String(allow_none=True)
    urgency = OneOf(URGENCIES, metadata=URGENCY)
    matched_rules = fields.List(fields.Nested(MatchSchema))
    advice = fields.List(fields.String(), metadata={"description": "What to do now, in order"})
    ruleset_version = fields.String()
    items = fields.List(fields.Nested(ReportItemOutSchema))
    alert_id = fields.Integer(allow_none=True)
    care_team = fields.Nested(CareTeamSchema, metadata={"description": "Numbers to call"})


class AlertSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    case_code = fields.String()
    urgency = OneOf(ALERT_URGENCIES)
    source = fields.String()
    status = OneOf(ALERT_STATUSES)
    symptom_codes = fields.List(fields.String())
    rule_ids = fields.List(fields.String())
    level = fields.Integer()
    round = fields.Integer()
    next_escalation_at = Instant(allow_none=True, metadata={"description": "None once handled"})
    exhausted_at = Instant(
        allow_none=True, metadata={"description": "Every level paged, nobody acknowledged"}
    )
    created_at = Instant()
    acknowledged_at = Instant(allow_none=True)
    acknowledged_by_id = fields.Integer(allow_none=True)
    resolved_at = Instant(allow_none=True)
    resolved_by_id = fields.Integer(allow_none=True)
    resolution_note = fields.String(allow_none=True)
    last_report_at = Instant(
        allow_none=True, metadata={"description": "The newest report or lab of the case"}
    )
    has_unseen_report = fields.Boolean(
        metadata={"description": "A report joined the acknowledged case since it was last seen"}
    )


class AlertQueryArgsSchema(Schema):
    urgency = OneOf(ALERT_URGENCIES)
    status = OneOf(ALERT_STATUSES)
    patient_id = Id()


class ResolveSchema(Schema):
    note = Text(1000, 1, required=True)


class MyAlertSchema(Schema):
    """What the patient sees: the case's current urgency, and whether and when the care team
    has seen its latest report."""

    id = fields.Integer()
    urgency = OneOf(ALERT_URGENCIES)
    status = OneOf(ALERT_STATUSES)
    created_at = Instant()
    last_report_at = Instant(allow_none=True)
    seen_by_care_team = fields.Function(
        lambda a: a.seen_at is not None and not a.has_unseen_report,
        metadata={
            "type": "boolean",
            "description": "The care team has seen the case's latest report",
        },
    )
    seen_at = fields.Function(
        lambda a: None if a.seen_at is None or a.has_unseen_report else a.seen_at.isoformat(),
        metadata={"type": "string", "format": "date-time", "nullable": True},
    )
    resolved_at = Instant(allow_none=True)


class LevelSchema(Schema):
    recipients = fields.List(
        fields.Raw(),
        required=True,
        validate=validate.Length(1, 20),
        metadata={"description": "staff ids, or on_call, clinicians, admins"},
    )
    timeout_minutes = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["urgent", "emergency"])),
        values=fields.Integer(strict=True, validate=validate.Range(1, 240)),
        required=True,
    )
    channel = fields.String(
        validate=validate.OneOf(["sms", "call"]),
        metadata={"description": "How this level pages: sms (the default) or a voice call"},
    )
    sms_then_call_after_minutes = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(1, 239),
        metadata={
            "description": "channel sms: call too if the case is still unacknowledged this "
            "many minutes after the SMS (less than every timeout of the level)"
        },
    )

    @validates_schema
    def _recipients_are_known(self, data, **kwargs):
        for token in data.get("recipients", []):
            named = token in ("on_call", "clinicians", "admins")
            staff_id = isinstance(token, int) and not isinstance(token, bool)
            if not named and not (staff_id and 0 < token < 2**31):
                raise ValidationError("Use staff ids or on_call, clinicians, admins.", "recipients")
        if set(data.get("timeout_minutes", {})) != {"urgent", "emergency"}:
            raise ValidationError("Give a timeout for urgent and for emergency.", "timeout_minutes")


class EscalationPolicySchema(Schema):
    levels = fields.List(fields.Nested(LevelSchema), required=True, validate=validate.Length(1, 8))
    repeat_count = Int(required=True, validate=validate.Range(0, 5))
    fallback_phone = Phone(allow_none=True)
    version = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "null: the default, unsaved"}
    )


class TriageSettingsSchema(Schema):
    """Any subset of the PROPOSED triage values (see GET /triage-settings for the names)."""

    class Meta:
        unknown = INCLUDE  # checked by name in the domain, with a message per unknown name


class TriageSettingSchema(Schema):
    name = fields.String()
    value = Number()
    default = Number()
    unit = fields.String()
    proposed = fields.Boolean(metadata={"description": "No source found: a clinic may change it"})
    lowest = Number(metadata={"description": "The smallest value allowed", "nullable": True})
    highest = Number(metadata={"description": "The largest value allowed", "nullable": True})
    overridden = fields.Boolean()
    source = fields.String(metadata={"description": "Provenance: a reference, or PROPOSED"})


class TriageSettingsOutSchema(Schema):
    settings = fields.List(fields.Nested(TriageSettingSchema))
    version = fields.Integer(
        allow_none=True, metadata={"description": "The clinic's clinical values version in force"}
    )


class CatalogueEntrySchema(Schema):
    symptom = fields.String()
    rule_id = fields.String()
    label_section = fields.String()
    text = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"example": {"en": "Fever", "es": "Fiebre"}},
    )
    details = fields.List(fields.String())
    measurement = OneOf(["temperature", "weight"], allow_none=True)
