"""Every resource this service emits passes through fhir.resources: validated against the FHIR
models (R4B package, whose Patient, Observation, Flag, Communication, Group, Bundle,
CapabilityStatement and OperationOutcome are those of R4) and serialised by them."""

from fhir.resources.R4B import get_fhir_model_class


def validated(resource: dict):
    """The resource as a fhir.resources model; pydantic.ValidationError if it is not valid."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def to_json(resource: dict) -> str:
    return validated(resource).model_dump_json(exclude_none=True)
