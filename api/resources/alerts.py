"""The care team's alerts (acknowledge, resolve) and the clinic's escalation settings (admins)."""

from flask.views import MethodView
from flask_jwt_extended import current_user
from sqlalchemy import select

from api.audit import audit
from api.auth.guards import ADMIN, STAFF, of_my_clinic, roles_required
from api.blueprint import Blueprint
from api.pagination import paginate
from api.schemas.triage import (
    AlertQueryArgsSchema,
    AlertSchema,
    EscalationPolicySchema,
    ResolveSchema,
    TriageSettingsOutSchema,
    TriageSettingsSchema,
)
from clinical.registry import TRIAGE
from clinical.settings import change_parameters, clinic_parameters
from clinical.values import describe
from models import Alert, Patient, db, utcnow
from triage import acknowledgement, policies, queries

blp = Blueprint("alerts", __name__, url_prefix="/api/v1", description="Alerts and escalation")


def alert_of_my_clinic(alert_id: int, action: str) -> Alert:
    return of_my_clinic(Alert, alert_id, action, "Alert")


@blp.route("/alerts")
class Alerts(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(AlertQueryArgsSchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the clinic's alerts: unacknowledged and most urgent first, then oldest first"""
        stmt = select(Alert).where(Alert.clinic_id == current_user.clinic_id)
        for name in ("urgency", "status", "patient_id"):
            if name in args:
                stmt = stmt.where(getattr(Alert, name) == args[name])
        return paginate(stmt.order_by(*queries.case_order()), pagination_parameters)


@blp.route("/alerts/<int:alert_id>")
class AlertById(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, AlertSchema)
    def get(self, alert_id):
        """Get an alert (its reports so far then count as seen by the care team)"""
        alert = alert_of_my_clinic(alert_id, "alert.read")
        acknowledgement.mark_reviewed(alert, now=utcnow())
        audit(
            "alert.read",
            target=f"alert:{alert.id}",
            patient=db.session.get(Patient, alert.patient_id),
        )
        db.session.commit()
        return alert


@blp.route("/alerts/<int:alert_id>/ack")
class AlertAck(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, AlertSchema)
    def post(self, alert_id):
        """Acknowledge an alert: paging stops, and the patient sees that it has been seen"""
        alert = alert_of_my_clinic(alert_id, "alert.ack")
        acknowledgement.acknowledge(db.session, alert, current_user, now=utcnow(), via="api")
        db.session.commit()
        return alert


@blp.route("/alerts/<int:alert_id>/resolve")
class AlertResolve(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ResolveSchema)
    @blp.response(200, AlertSchema)
    def post(self, body, alert_id):
        """Resolve an alert with a note"""
        alert = alert_of_my_clinic(alert_id, "alert.resolve")
        acknowledgement.resolve(db.session, alert, current_user, body["note"], now=utcnow())
        db.session.commit()
        return alert


@blp.route("/escalation-policy")
class Policy(MethodView):
    @roles_required(*ADMIN)
    @blp.response(200, EscalationPolicySchema)
    def get(self):
        """The escalation policy in force (the PROPOSED default until an admin sets one)"""
        return policies.current_policy(db.session, current_user.clinic_id)

    @roles_required(*ADMIN)
    @blp.arguments(EscalationPolicySchema)
    @blp.response(200, EscalationPolicySchema)
    def put(self, body):
        """Replace the escalation policy (a new version; earlier ones are kept)"""
        policy = policies.save_policy(
            db.session, current_user.clinic_id, body, staff_id=current_user.id, now=utcnow()
        )
        audit("escalation_policy.update", detail={"version": policy["version"]})
        db.session.commit()
        return policy


@blp.route("/triage-settings")
class TriageSettings(MethodView):
    @roles_required(*ADMIN)
    @blp.response(200, TriageSettingsOutSchema)
    def get(self):
        """The clinic's triage thresholds: defaults, overrides, limits and where each comes from"""
        return triage_view(clinic_parameters(db.session, current_user.clinic_id))

    @roles_required(*ADMIN)
    @blp.arguments(TriageSettingsSchema)
    @blp.response(200, TriageSettingsOutSchema)
    def patch(self, changes):
        """Change triage values within their limits, e.g. {"vod_days_after_hsct": 120}"""
        parameters = change_parameters(
            db.session,
            current_user.clinic_id,
            changes,
            staff_id=current_user.id,
            now=utcnow(),
            allowed=TRIAGE_NAMES,
        )
        audit(
            "triage_settings.update",
            detail={"fields": sorted(changes), "version": parameters.version},
        )
        db.session.commit()
        return triage_view(parameters)


TRIAGE_NAMES = [p.name for p in TRIAGE]


def triage_view(parameters) -> dict:
    return {"settings": describe(parameters, TRIAGE_NAMES), "version": parameters.version}
