"""Every resource this service emits is validated by fhir.resources against the FHIR models
(its R4B package, whose Patient, Observation, Flag, Communication, Group, Bundle,
CapabilityStatement and OperationOutcome are those of R4) before it leaves: an invalid one is an
error, never a silent bad export. The validated dict itself is what is written."""

import json
from decimal import Decimal

from fhir.resources.R4B import get_fhir_model_class


def validated(resource: dict):
    """The resource as a fhir.resources model; pydantic.ValidationError if it is not valid."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def _number(value):
    if isinstance(value, Decimal):  # measurements: two decimals, exact as a JSON number
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def _pruned(value):
    """FHIR JSON has no nulls and no empty arrays or objects: leave them out, at any depth."""
    if isinstance(value, dict):
        kept = ((k, _pruned(v)) for k, v in value.items())
        return {k: v for k, v in kept if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [v for v in map(_pruned, value) if v is not None and v != [] and v != {}]
    return value


def to_json(resource: dict) -> str:
    """Validate, then serialise that same dict (fhir.resources' own dump costs as much again as
    the validation: bench/fhir_export.py)."""
    resource = _pruned(resource)
    validated(resource)
    return json.dumps(resource, default=_number, ensure_ascii=False, separators=(",", ":"))
