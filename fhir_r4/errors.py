"""What a FHIR request can get wrong, as domain errors (api/errors.py maps them to HTTP; the
FHIR layer turns that into an OperationOutcome)."""

from models.errors import DomainError


class InvalidRequest(DomainError):
    """A search or export parameter that is malformed or not supported."""

    status = 400

    def __init__(self, name: str, message: str):
        super().__init__(message, {name: [message]})


class Gone(DomainError):
    """An export whose files have expired."""

    status = 410


class TooManyExports(DomainError):
    status = 429
    headers = {"Retry-After": "60"}
