"""The one error envelope, {"code", "status", "error", "message", "errors"}, for every error.

`error` is a stable machine-readable code (the README lists them), so the app need not parse
English; `message` is one short sentence for people; `errors` is always an object: field name
to messages (nested for nested fields), empty when no one field is to blame.
"""

import logging
from http import HTTPStatus

from flask import Flask, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy import inspect
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from access import context
from api.logs import describe_exception
from models import db
from models.errors import DomainError

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
MESSAGES = {
    400: "Bad request.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    422: "Some fields are invalid; see errors.",
    429: "Too many requests; try again later.",
    500: "Internal error; it has been logged.",
}
DATABASE_RETRY_AFTER_SECONDS = 5
# What "the database is not there" looks like: refused or dropped connections, an exhausted
# pool, PostgreSQL shutting down or cancelling, SQLite locked or missing.
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
_UNIQUE = {"23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


def error_response(code: int, message=None, errors=None, *, error=None, headers=None):
    status = HTTPStatus(code)
    body = {
        "code": code,
        "status": status.phrase,
        "error": error or CODES.get(code) or status.phrase.lower().replace(" ", "_"),
        "message": message or MESSAGES.get(code) or f"{status.phrase}.",
        "errors": errors or {},
    }
    response = jsonify(body)
    response.status_code = code
    response.headers.update(headers or {})
    return response


def _for_people() -> bool:
    """The console's pages get an error page, not JSON."""
    return request.blueprint in ("console", "links")


def _page(message: str, code: int, headers=None):
    return render_template("console/error.html", message=message), code, headers or {}


def _end_transaction():
    """Roll back the request's work, but keep the audit events that record a refusal, and
    record an access to a patient that then failed as a failure."""
    db.session.rollback()
    call = context.current()
    durable, access = call.refusals, call.patient_access
    call.refusals, call.patient_access = [], None
    if access is not None and inspect(access).transient:  # rolled back, never committed
        access.outcome = "failure"
        durable.append(access)
    if durable:
        db.session.add_all(durable)
        db.session.commit()


def _field_errors(messages) -> dict:
    """webargs nests field errors by location ({"json": {...}, "query": {...}}): merge them."""
    merged = {}
    for value in (messages or {}).values():
        merged.update(value if isinstance(value, dict) else {"_schema": list(value)})
    return merged


def _own_message(exc: HTTPException) -> str | None:
    """A description given where the error was raised, not Werkzeug's default sentence."""
    if isinstance(exc, RateLimitExceeded) or exc.description == type(exc).description:
        return None
    return exc.description


def handle_http_exception(exc: HTTPException):
    _end_transaction()
    code = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    data = getattr(exc, "data", None) or {}
    headers.update(data.get("headers") or {})
    if _for_people():
        return _page(f"{code} {exc.name}", code, headers)
    errors = data.get("errors") or _field_errors(data.get("messages"))
    message = MESSAGES[422] if errors and code == 422 else data.get("message") or _own_message(exc)
    return error_response(code, message, errors, error=data.get("error"), headers=headers)


def handle_domain_error(exc: DomainError):
    _end_transaction()
    if _for_people():
        return _page(exc.message, exc.status)
    headers = getattr(exc, "headers", None)  # e.g. Retry-After while a first request runs
    return error_response(exc.status, exc.message, exc.errors, error=exc.code, headers=headers)


def handle_integrity_error(exc: IntegrityError):
    # Unique and foreign-key violations are a conflict with stored state; never echo the
    # database's message, which can contain the conflicting values.
    _end_transaction()
    log.info("integrity error mapped to 409: %s", describe_exception(exc))
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    if state in _UNIQUE:
        return error_response(409, "This already exists.", error="duplicate")
    return error_response(409, "The request conflicts with existing data.")


def handle_database_unavailable(exc: Exception):
    """503 with Retry-After: the app retries, and the pool reconnects on the next request."""
    log.warning("database unavailable: %s", describe_exception(exc))
    try:
        _end_transaction()
    except SQLAlchemyError:
        log.warning("database unavailable: this request's refusal audit events are lost")
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    if _for_people():
        return _page("503 The database is unavailable; try again shortly.", 503, headers)
    message = "The database is unavailable; try again shortly."
    return error_response(503, message, error="database_unavailable", headers=headers)


def handle_unexpected(exc: Exception):
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:  # a dropped connection
        return handle_database_unavailable(exc)
    log.exception("unhandled error")
    try:
        _end_transaction()
    except Exception:  # the database itself may be what failed
        log.exception("rollback failed")
    if _for_people():
        return _page("500 Internal error; it has been logged.", 500)
    return error_response(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
