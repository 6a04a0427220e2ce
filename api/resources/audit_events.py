"""The clinic's audit trail (clinic admins)."""

from flask.views import MethodView
from flask_jwt_extended import current_user
from sqlalchemy import select

from api.auth.guards import ADMIN, roles_required
from api.blueprint import Blueprint
from api.pagination import paginate
from api.schemas.audit import AuditEventSchema, AuditQueryArgsSchema
from models import AuditEvent

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-events", description="Audit trail")

_FILTERS = ("patient_id", "actor_type", "actor_id", "action", "outcome")


@blp.route("")
class AuditEvents(MethodView):
    @roles_required(*ADMIN)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Query the clinic's audit events, newest first"""
        stmt = select(AuditEvent).where(AuditEvent.clinic_id == current_user.clinic_id)
        for name in _FILTERS:
            if name in args:
                stmt = stmt.where(getattr(AuditEvent, name) == args[name])
        if "since" in args:
            stmt = stmt.where(AuditEvent.occurred_at >= args["since"])
        if "until" in args:
            stmt = stmt.where(AuditEvent.occurred_at < args["until"])
        order = (AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        return paginate(stmt.order_by(*order), pagination_parameters)
