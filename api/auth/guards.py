"""Who is calling: JWT loaders, the role guard, and lookups that never cross a clinic."""

from functools import wraps

from flask import current_app, request
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint

from access import context, scoping
from api.audit import audit
from api.errors import error_response
from models import Patient, Staff, db
from models.errors import Forbidden

STAFF = ("admin", "clinician")
ADMIN = ("admin",)
PATIENT = ("patient",)


def load_subject(_header, claims):
    kind, _, raw_id = claims["sub"].partition(":")
    model = {"staff": Staff, "patient": Patient}.get(kind)
    if model is None or not raw_id.isdigit():
        return None
    subject = db.session.get(model, int(raw_id))
    if subject is None:
        return None
    active = subject.active if model is Staff else subject.status == "active"
    if not active:
        return None
    context.set_actor(subject)  # what the core records as this request's actor
    return subject


def _family_revoked(_header, claims) -> bool:
    """Whether the token's family was revoked: read at most every TOKEN_CHECK_CACHE_SECONDS per
    process and family (access.families.LiveFamilies); this process's revocations at once."""
    live = current_app.extensions["token_families"]
    return not live.is_live(db.session, claims.get("fam"))


def bearer_scheme_in_any_case() -> None:
    """The auth scheme is case-insensitive (RFC 9110 §11.1): "bearer <token>" is "Bearer
    <token>" (Flask-JWT-Extended compares it exactly)."""
    header = request.environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, rest = header.strip().partition(" ")
    if scheme != "Bearer" and scheme.lower() == "bearer":
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {rest.strip()}"


def _unauthorized(message, error):
    return error_response(401, message, error=error)


def register_jwt_loaders(jwt) -> None:
    """flask-jwt-extended's callbacks: who the token's subject is, whether its family is live,
    and the envelope (with its code) for each way a token can be refused."""
    jwt.user_lookup_loader(load_subject)
    jwt.token_in_blocklist_loader(_family_revoked)
    jwt.unauthorized_loader(
        lambda r: _unauthorized("Missing or malformed bearer token.", "token_missing")
    )
    jwt.invalid_token_loader(lambda reason: _unauthorized("Invalid token.", "token_invalid"))
    jwt.expired_token_loader(
        lambda h, c: _unauthorized("Token expired; refresh it.", "token_expired")
    )
    jwt.revoked_token_loader(
        lambda h, c: _unauthorized("Token revoked; sign in again.", "token_revoked")
    )
    jwt.user_lookup_error_loader(
        lambda h, c: _unauthorized("Account inactive or unknown.", "account_inactive")
    )
    jwt.needs_fresh_token_loader(
        lambda h, c: _unauthorized("Fresh sign-in required.", "token_not_fresh")
    )
    jwt.token_verification_failed_loader(
        lambda h, c: _unauthorized("Invalid token.", "token_invalid")
    )


def roles_required(*roles: str):
    """Require an access token whose subject has one of `roles` (checked before any input)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            role = current_user.role if isinstance(current_user, Staff) else "patient"
            if role not in roles or get_jwt().get("role") != role:
                audit(
                    "access.role_denied",
                    target=(request.endpoint or "")[:64],
                    outcome="denied",
                    detail={"method": request.method, "role": role},
                )
                raise Forbidden("Your role may not use this endpoint.")
            return view(*args, **kwargs)

        wrapper._roles = roles
        return Blueprint.doc(security=[{"bearerAuth": []}])(wrapper)

    return decorator


def patient_of_my_clinic(patient_id: int, action: str, detail: dict | None = None) -> Patient:
    """The patient, if the calling staff member's clinic treats them (access.scoping)."""
    return scoping.patient_in_clinic(
        db.session, patient_id, clinic_id=current_user.clinic_id, action=action, detail=detail
    )


def of_my_clinic(model, object_id: int, action: str, noun: str):
    """An object of the calling staff member's clinic (staff, alert, message): access.scoping."""
    return scoping.in_clinic(
        db.session, model, object_id, clinic_id=current_user.clinic_id, action=action, noun=noun
    )


def staff_of_my_clinic(staff_id: int, action: str) -> Staff:
    return of_my_clinic(Staff, staff_id, action, "Staff member")
