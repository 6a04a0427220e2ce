"""The one hierarchy of domain exceptions; api/errors.py maps each class to an HTTP status.

Each carries a stable machine-readable `code` (the envelope's `error`): the class's, or a more
precise one given where it is raised (`Conflict(..., code="idempotency_in_progress")`).
"""


class DomainError(Exception):
    """A request the domain refuses (HTTP 422 unless a subclass says otherwise)."""

    status = 422
    code = "validation_failed"

    def __init__(self, message: str, errors: dict | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it exists."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
