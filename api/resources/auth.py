"""Sign-in for staff (email and password) and patients (enrollment code); refresh; logout."""

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user, decode_token, get_jwt
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError

from access import enrollment, families, signin
from api.audit import audit
from api.auth import tokens
from api.auth.guards import load_subject, roles_required
from api.blueprint import Blueprint
from api.extensions import limiter
from api.schemas.auth import EnrollSchema, LoginSchema, RefreshSchema, TokenSchema
from models import TokenFamily, db, utcnow
from models.errors import Unauthorized

REFRESH_REFUSED = "Invalid or expired refresh token."

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in and tokens")


def _tokens_for(subject, now):
    cfg = current_app.config
    issued, _ = tokens.issue_tokens(
        db.session, subject, now=now, refresh_days=cfg["REFRESH_TOKEN_DAYS"]
    )
    return issued | {"expires_in": cfg["ACCESS_TOKEN_MINUTES"] * 60}


@blp.route("/login")
class Login(MethodView):
    decorators = [limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong email or password")
    @blp.alt_response(429, "TOO_MANY_REQUESTS_RETRY")
    def post(self, body):
        """Sign in a staff member with email and password"""
        now = utcnow()
        staff = signin.authenticate_staff(
            db.session, body["email"], body["password"], via="api", now=now
        )
        issued = _tokens_for(staff, now)
        db.session.commit()
        return issued


@blp.route("/enroll")
class Enroll(MethodView):
    decorators = [limiter.limit(lambda: current_app.config["ENROLL_RATE_LIMIT"])]

    @blp.arguments(EnrollSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Unknown, used, expired or locked code")
    @blp.alt_response(429, "TOO_MANY_REQUESTS_RETRY")
    def post(self, body):
        """Exchange a patient's one-time enrollment code for the app's tokens"""
        cfg, now = current_app.config, utcnow()
        patient, code = enrollment.redeem_code(
            db.session,
            body["code"],
            now=now,
            key=cfg["SECRET_KEY"],
            max_attempts=cfg["ENROLLMENT_CODE_MAX_ATTEMPTS"],
        )
        if patient is None:
            audit(
                "auth.enroll",
                outcome="failure",
                clinic_id=None,
                target=f"enrollment_code:{code.id}" if code else None,
            )
            db.session.commit()  # keep the counted attempt
            raise Unauthorized(
                "Invalid or expired enrollment code.", code="enrollment_code_invalid"
            )
        audit("auth.enroll", actor=patient, patient=patient)
        issued = _tokens_for(patient, now)
        db.session.commit()
        return issued


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Invalid, expired, revoked or reused refresh token")
    def post(self, body):
        """Rotate a refresh token: returns a new pair; the old refresh token stops working"""
        try:
            claims = decode_token(body["refresh_token"])
        except (JWTExtendedException, PyJWTError) as exc:
            raise Unauthorized(REFRESH_REFUSED, code="refresh_token_invalid") from exc
        subject = load_subject(None, claims) if claims.get("type") == "refresh" else None
        if subject is None:
            raise Unauthorized(REFRESH_REFUSED, code="refresh_token_invalid")
        cfg, now = current_app.config, utcnow()
        outcome = families.rotate(
            db.session,
            claims["jti"],
            now=now,
            days=cfg["REFRESH_TOKEN_DAYS"],
            grace_seconds=cfg["REFRESH_REUSE_GRACE_SECONDS"],
        )
        if outcome.successor is None:
            if outcome.reuse_detected:
                audit(
                    "auth.refresh_reuse",
                    actor=subject,
                    outcome="denied",
                    detail={"family": outcome.family.id},
                )
            db.session.commit()  # keep the family's revocation
            raise Unauthorized(REFRESH_REFUSED, code="refresh_token_invalid")
        issued = tokens.encode_pair(subject, outcome.family, outcome.successor.jti)
        db.session.commit()
        return issued | {"expires_in": cfg["ACCESS_TOKEN_MINUTES"] * 60}


@blp.route("/logout")
class Logout(MethodView):
    @roles_required("admin", "clinician", "patient")
    @blp.response(204)
    def post(self):
        """Sign out: revoke this sign-in's access and refresh tokens"""
        family = db.session.get(TokenFamily, get_jwt()["fam"])
        families.revoke_family(family, now=utcnow(), reason="logout")
        audit("auth.logout", actor=current_user._get_current_object())
        db.session.commit()
