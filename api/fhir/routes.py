"""FHIR R4 reads and searches (staff of the resource's clinic), and the CapabilityStatement."""

from flask import Blueprint, request
from flask_jwt_extended import current_user

from api.audit import audit
from api.auth.guards import STAFF, roles_required
from api.fhir.responses import (
    context,
    errors_as_outcomes,
    fhir_response,
    negotiate,
    patient_of_mine,
)
from api.urls import base_url
from fhir_r4 import bundles, params, patients, search
from fhir_r4.capability import capability_statement
from fhir_r4.errors import InvalidRequest
from models import Clinic, db, utcnow
from models.errors import NotFound

bp = Blueprint("fhir", __name__, url_prefix="/fhir/R4")
bp.before_request(negotiate)
bp.after_app_request(errors_as_outcomes)


@bp.get("/metadata")
def metadata():
    """The CapabilityStatement (public, like every FHIR server's: it holds no PHI)."""
    return fhir_response(capability_statement(base_url()))


def read(resource_type: str, resource_id: str):
    """Read one resource of the caller's clinic; audited with its patient."""
    owner = search.owner(db.session, resource_type, resource_id)
    detail = {"resource": f"{resource_type}/{params.resource_id(resource_id) or '?'}"}
    patient_of_mine(owner or 0, f"fhir.{resource_type.lower()}.read", resource_type, detail)
    resource = search.read(db.session, context(), resource_type, resource_id)
    db.session.commit()
    return fhir_response(resource)


def search_type(resource_type: str):
    """Search the caller's clinic; a `patient` is checked (and audited) like a read of it."""
    ctx = context()
    query = search.parse(resource_type, list(request.args.lists()), ctx.zone)
    action = f"fhir.{resource_type.lower()}.search"
    for patient_id in query.patient_ids:
        patient_of_mine(patient_id, action, "Patient", {"params": query.names})
    total, resources = search.run(db.session, ctx, query)
    if not query.patient_ids:  # clinic-wide: whose records this page disclosed
        audit(action, detail={"total": total, "patients": search.patients_in(resources)})
    db.session.commit()
    return fhir_response(bundles.searchset(query, total, resources, ctx.base, utcnow()))


def _register(resource_type: str) -> None:
    name = resource_type.lower()

    @roles_required(*STAFF)
    def read_view(resource_id):
        return read(resource_type, resource_id)

    @roles_required(*STAFF)
    def search_view():
        return search_type(resource_type)

    read_view.__doc__ = f"Read a {resource_type}"
    search_view.__doc__ = f"Search {resource_type} resources"
    rule = f"/{resource_type}/<string(maxlength=64):resource_id>"
    bp.add_url_rule(rule, f"read_{name}", read_view, methods=["GET"])
    bp.add_url_rule(f"/{resource_type}", f"search_{name}", search_view, methods=["GET"])


for _type in search.TYPES:
    _register(_type)


def group_of_mine(group_id: int, action: str) -> Clinic:
    """A Group is a clinic's patient list: only the caller's own clinic's exists for them."""
    if group_id != current_user.clinic_id:
        audit(action, target=f"group:{group_id}", outcome="denied")
        raise NotFound("Group not found.")
    return current_user.clinic


@bp.get("/Group/<int:group_id>")
@roles_required(*STAFF)
def read_group(group_id):
    """Read the clinic's Group (its patients)"""
    clinic = group_of_mine(group_id, "fhir.group.read")
    group = patients.group(db.session, clinic)
    audit("fhir.group.read", target=f"group:{group_id}", detail={"members": group["quantity"]})
    db.session.commit()
    return fhir_response(group)


@bp.get("/Group")
@roles_required(*STAFF)
def search_group():
    """Search Groups: the caller's clinic's one"""
    unknown = [name for name in request.args if name not in search.CONTROL]
    if unknown:
        raise InvalidRequest(unknown[0], "Group has no search parameters (see metadata).")
    query = search.Query("Group", count=1)
    group = patients.group(db.session, current_user.clinic)
    audit("fhir.group.search", detail={"members": group["quantity"]})
    db.session.commit()
    return fhir_response(bundles.searchset(query, 1, [group], base_url(), utcnow()))
