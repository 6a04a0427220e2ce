"""The one error envelope, {"code", "status", "message", "errors"}, for every error."""

import logging
from http import HTTPStatus

from flask import Flask, g, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from models import db
from models.errors import DomainError

log = logging.getLogger(__name__)


def error_response(code: int, message: str | None = None, errors=None):
    status = HTTPStatus(code)
    body = {"code": code, "status": status.phrase, "message": message or status.description}
    if errors:
        body["errors"] = errors
    return jsonify(body), code


def _end_transaction():
    """Roll back the request's work, but keep the audit events that record a refusal, and
    record an access to a patient that then failed as a failure."""
    db.session.rollback()
    durable = g.pop("durable_audit", [])
    access = g.pop("patient_access", None)
    if access is not None and inspect(access).transient:  # rolled back, never committed
        access.outcome = "failure"
        durable.append(access)
    if durable:
        db.session.add_all(durable)
        db.session.commit()


def handle_http_exception(exc: HTTPException):
    _end_transaction()
    if request.blueprint in ("console", "links"):  # people, not programs: a page
        page = render_template("console/error.html", message=f"{exc.code} {exc.name}")
        return page, exc.code
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages")  # webargs/marshmallow field errors, by location
    if errors and set(errors) <= {"json", "query", "headers", "form", "files", "path"}:
        errors = errors.get("json") or errors.get("query") or errors
    message = data.get("message") or exc.description
    if errors and exc.code == 422:
        message = "Some fields are invalid; see errors."
    if isinstance(exc, RateLimitExceeded):
        message = "Too many requests; try again later."
    response, code = error_response(exc.code or 500, message, errors)
    for header, value in exc.get_headers():
        if header.lower() not in ("content-type",):
            response.headers[header] = value
    for header, value in (data.get("headers") or {}).items():
        response.headers[header] = value
    return response, code


def handle_domain_error(exc: DomainError):
    _end_transaction()
    if request.blueprint in ("console", "links"):
        return render_template("console/error.html", message=exc.message), exc.status
    response, code = error_response(exc.status, exc.message, exc.errors)
    response.headers.update(getattr(exc, "headers", {}))
    return response, code


def handle_integrity_error(exc: IntegrityError):
    # Unique and foreign-key violations are a conflict with stored state; never echo the
    # database's message, which can contain the conflicting values.
    _end_transaction()
    log.info("integrity error mapped to 409: %s", type(exc.orig).__name__)
    return error_response(409, "The request conflicts with existing data (a duplicate?).")


def handle_unexpected(exc: Exception):
    log.exception("unhandled error")
    try:
        _end_transaction()
    except Exception:  # the database itself may be what failed
        log.exception("rollback failed")
    return error_response(500, "Internal error; it has been logged.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(Exception, handle_unexpected)
