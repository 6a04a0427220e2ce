"""Symptom reports, alerts and the escalation policy."""

from decimal import Decimal

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from api.schemas.fields import Amount, Id, Instant, Int, Phone, Text
from triage.catalogue import CATALOGUE, TEMPERATURE_SITES, TEMPERATURE_UNITS, WEIGHT_UNITS

SCALE = validate.Range(0, 4)
RANGES = {"C": ("30", "45"), "F": ("86", "113"), "kg": ("1", "350"), "lb": ("2", "770")}


class ReportItemSchema(Schema):
    symptom = fields.String(required=True, validate=validate.OneOf(sorted(CATALOGUE)))
    details = fields.List(
        fields.String(validate=validate.Length(max=32)),
        validate=validate.Length(max=8),
        load_default=list,
    )
    presence = Int(validate=validate.Range(0, 1))
    frequency = Int(validate=SCALE)
    severity = Int(validate=SCALE)
    interference = Int(validate=SCALE)
    value = Amount("0", "1000", allow_none=True)
    unit = fields.String(validate=validate.OneOf(TEMPERATURE_UNITS + WEIGHT_UNITS))
    site = fields.String(validate=validate.OneOf(TEMPERATURE_SITES))
    measured_at = Instant()

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
    onset_at = Instant()
    note = Text(500)


class MatchSchema(Schema):
    rule_id = fields.String()
    label_section = fields.String()
    urgency = fields.String()


class ReportItemOutSchema(Schema):
    symptom = fields.String(attribute="symptom_code")
    details = fields.List(fields.String())
    severity = fields.Integer()
    value = fields.Decimal(as_string=True)
    unit = fields.String()
    site = fields.String()
    measured_at = Instant()


class SymptomReportOutSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    reported_at = Instant()
    onset_at = Instant()
    note = fields.String()
    urgency = fields.String()
    matched_rules = fields.List(fields.Nested(MatchSchema))
    advice = fields.List(fields.String(), metadata={"description": "What to do now, in order"})
    ruleset_version = fields.String()
    items = fields.List(fields.Nested(ReportItemOutSchema))
    alert_id = fields.Integer()
    care_team = fields.Dict(
        metadata={"description": "Numbers to call: care_team_phone, emergency_number"}
    )


class AlertSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    case_code = fields.String()
    urgency = fields.String()
    source = fields.String()
    status = fields.String()
    symptom_codes = fields.List(fields.String())
    rule_ids = fields.List(fields.String())
    level = fields.Integer()
    round = fields.Integer()
    next_escalation_at = Instant()
    exhausted_at = Instant(metadata={"description": "Every level paged, nobody acknowledged"})
    created_at = Instant()
    acknowledged_at = Instant()
    acknowledged_by_id = fields.Integer()
    resolved_at = Instant()
    resolved_by_id = fields.Integer()
    resolution_note = fields.String()


class AlertQueryArgsSchema(Schema):
    urgency = fields.String(validate=validate.OneOf(["routine", "urgent", "emergency"]))
    status = fields.String(validate=validate.OneOf(["open", "acknowledged", "resolved"]))
    patient_id = Id()


class ResolveSchema(Schema):
    note = Text(1000, 1, required=True)


class MyAlertSchema(Schema):
    """What the patient sees: whether and when the care team has seen the report."""

    id = fields.Integer()
    urgency = fields.String()
    status = fields.String()
    created_at = Instant()
    seen_by_care_team = fields.Function(lambda a: a.acknowledged_at is not None)
    seen_at = Instant(attribute="acknowledged_at")
    resolved_at = Instant()


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

    @validates_schema
    def _recipients_are_known(self, data, **kwargs):
        for token in data.get("recipients", []):
            named = token in ("on_call", "clinicians", "admins")
            if not named and not (isinstance(token, int) and not isinstance(token, bool)):
                raise ValidationError("Use staff ids or on_call, clinicians, admins.", "recipients")
        if set(data.get("timeout_minutes", {})) != {"urgent", "emergency"}:
            raise ValidationError("Give a timeout for urgent and for emergency.", "timeout_minutes")


class EscalationPolicySchema(Schema):
    levels = fields.List(fields.Nested(LevelSchema), required=True, validate=validate.Length(1, 8))
    repeat_count = Int(required=True, validate=validate.Range(0, 5))
    fallback_phone = Phone(allow_none=True)
    version = fields.Integer(dump_only=True)


class TriageSettingsSchema(Schema):
    """Any subset of the PROPOSED triage values (see GET /triage-settings for the names)."""

    class Meta:
        unknown = INCLUDE  # checked by name in the domain, with a message per unknown name
