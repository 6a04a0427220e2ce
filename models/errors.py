"""The one hierarchy of domain exceptions; api/errors.py maps each class to an HTTP status."""


class DomainError(Exception):
    """A request the domain refuses (HTTP 422 unless a subclass says otherwise)."""

    status = 422

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it exists."""

    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401
