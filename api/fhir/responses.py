"""FHIR responses: application/fhir+json bodies serialised by fhir.resources, and every error
under /fhir/R4 as an OperationOutcome instead of the JSON API's envelope."""

from http import HTTPStatus
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_jwt_extended import current_user
from werkzeug.exceptions import NotAcceptable

from api.auth.guards import patient_of_my_clinic
from api.urls import base_url
from fhir_r4 import bundles, model
from fhir_r4.common import Context
from models import Patient
from models.errors import NotFound

PREFIX = "/fhir/R4"
FHIR_JSON = "application/fhir+json; charset=utf-8"
OFFERED = ["application/fhir+json", "application/json", "application/fhir+ndjson"]
FORMATS = ("json", "application/json", "application/fhir+json")


def fhir_response(resource: dict, status: int = 200, headers: dict | None = None):
    body = model.to_json(resource)
    return current_app.response_class(body, status=status, headers=headers, content_type=FHIR_JSON)


def context() -> Context:
    return Context(base_url(), current_user.clinic_id, ZoneInfo(current_user.clinic.timezone))


def patient_of_mine(patient_id: int, action: str, noun: str, detail=None) -> Patient:
    """The clinic-scoped loader, with the FHIR resource's name in the 404 (the same for a
    missing resource and another clinic's)."""
    try:
        return patient_of_my_clinic(patient_id, action, detail)
    except NotFound:
        raise NotFound(f"{noun} not found.") from None


def negotiate() -> None:
    """JSON only: _format or Accept asking for anything else (XML, Turtle) is 406."""
    fmt = request.args.get("_format")
    if fmt is not None and fmt not in FORMATS:
        raise NotAcceptable("Only JSON is supported (_format=json).")
    if request.accept_mimetypes and request.accept_mimetypes.best_match(OFFERED) is None:
        raise NotAcceptable("Only application/fhir+json is supported.")


def errors_as_outcomes(response):
    """The app's error handlers and the JWT loaders answer with the JSON envelope; under
    /fhir/R4 the same status, headers and message go out as an OperationOutcome. This runs for
    routing errors too (unknown path, wrong method), which no blueprint handler sees."""
    if not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
        return response
    if response.status_code < 400 or response.mimetype != "application/json":
        return response
    body = response.get_json(silent=True) or {}
    message = body.get("message") or HTTPStatus(response.status_code).phrase
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else None
    response.set_data(model.to_json(bundles.outcome(response.status_code, message, errors)))
    response.content_type = FHIR_JSON
    return response
