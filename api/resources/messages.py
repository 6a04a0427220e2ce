"""The clinic's outbox, for admins: dead letters and failures, and a retry; plus /metrics."""

from flask import Blueprint as FlaskBlueprint
from flask.views import MethodView
from flask_jwt_extended import current_user
from sqlalchemy import select

from api.audit import audit
from api.auth.guards import ADMIN, of_my_clinic, roles_required
from api.blueprint import Blueprint
from api.pagination import paginate
from api.schemas.messages import MessageQueryArgsSchema, MessageSchema
from messages import outbox
from messages.metrics import outbox_metrics
from models import Message, db, utcnow

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="SMS outbox")
metrics = FlaskBlueprint("metrics", __name__)


@blp.route("")
class Messages(MethodView):
    @roles_required(*ADMIN)
    @blp.arguments(MessageQueryArgsSchema, location="query")
    @blp.response(200, MessageSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the clinic's SMS, newest first (e.g. ?status=dead for the dead letters)"""
        stmt = select(Message).where(Message.clinic_id == current_user.clinic_id)
        for name in ("status", "purpose"):
            if name in args:
                stmt = stmt.where(getattr(Message, name) == args[name])
        return paginate(stmt.order_by(Message.id.desc()), pagination_parameters)


@blp.route("/<int:message_id>/retry")
class RetryMessage(MethodView):
    @roles_required(*ADMIN)
    @blp.response(200, MessageSchema)
    def post(self, message_id):
        """Queue a dead or failed message again (after fixing the number or the account)"""
        message = of_my_clinic(Message, message_id, "message.retry", "Message")
        outbox.requeue(message, now=utcnow())
        audit("message.retry", target=f"message:{message.id}")
        db.session.commit()
        return message


@metrics.get("/metrics")
def prometheus_metrics():
    """Outbox counts, queue lag per purpose and sends in flight, in Prometheus text (no PHI)"""
    text = outbox_metrics(db.session, now=utcnow())
    return text, 200, {"Content-Type": "text/plain; version=0.0.4"}
