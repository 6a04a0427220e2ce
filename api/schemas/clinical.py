"""Doses, transplant, treatment end and lab results as staff record them."""

import re

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from api.schemas.fields import Amount, Day, Instant, Int
from models.patients import LAB_UNITS


class DoseSchema(Schema):
    id = fields.Integer(dump_only=True)
    administered_on = Day(required=True, metadata={"description": "Patient's local date"})
    infusion_started_at = Instant(required=True)
    infusion_ended_at = Instant(allow_none=True)
    cycle = Int(required=True, validate=validate.Range(1, 6))
    cycle_day = Int(required=True, validate=validate.OneOf([1, 8, 15]))
    recorded_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)


class TransplantSchema(Schema):
    hsct_date = Day(required=True, metadata={"description": "HSCT day 0"})
    baseline_weight_hsct = Amount("1", "700", allow_none=True)
    baseline_weight_hsct_unit = fields.String(validate=validate.OneOf(["kg", "lb"]))


class TreatmentEndSchema(Schema):
    treatment_ended_on = Day(required=True)


class LabResultSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(LAB_UNITS)))
    value = Amount("0", "100000", places=3, required=True)
    unit = fields.String(required=True, validate=validate.Length(max=8))
    upper_limit_normal = Amount("0.001", "100000", places=3, allow_none=True)
    collected_at = Instant(required=True)
    recorded_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)

    @pre_load
    def _micro_sign(self, data, **kwargs):
        """Labs print µmol/L with the micro sign (U+00B5) or the Greek mu (U+03BC)."""
        if isinstance(data, dict) and isinstance(data.get("unit"), str):
            data = data | {"unit": re.sub("^[\u00b5\u03bc]", "u", data["unit"])}
        return data

    @validates_schema
    def _unit_fits_kind(self, data, **kwargs):
        allowed = LAB_UNITS.get(data.get("kind"), ())
        if data.get("unit") not in allowed:
            raise ValidationError(f"Unit must be one of {', '.join(allowed)}.", field_name="unit")
