"""The patient app's devices (register a push token, remove it) and its notices (read one, mark
it opened)."""

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.audit import audit
from api.auth.guards import PATIENT, roles_required
from api.blueprint import Blueprint
from api.schemas.devices import DeviceSchema, NotificationSchema
from messages import devices, notices
from models import db, utcnow
from models.vocabulary import NotificationKind

blp = Blueprint(
    "devices", __name__, url_prefix="/api/v1/me", description="The app's devices and notices"
)
PUBLIC_ID = "<string(length=22):public_id>"
CONTENT = {NotificationKind.REMINDER: "/api/v1/me/reminders", "case_seen": "/api/v1/me/alerts"}


def with_path(notification):
    notification.content_path = CONTENT[notification.kind]
    return notification


@blp.route("/devices")
class MyDevices(MethodView):
    @roles_required(*PATIENT)
    @blp.response(200, DeviceSchema(many=True))
    def get(self):
        """My registered devices (tokens are never returned)"""
        return devices.registered(db.session, current_user.id)

    @roles_required(*PATIENT)
    @blp.arguments(DeviceSchema)
    @blp.response(201, DeviceSchema)
    def post(self, body):
        """Register this app's push token, or update it (a rotated token replaces the old)"""
        device = devices.register_device(db.session, current_user, now=utcnow(), **body)
        audit("me.device.register", patient=current_user, target=f"device:{device.id}")
        db.session.commit()
        return device


@blp.route("/devices/<int:device_id>")
class MyDevice(MethodView):
    @roles_required(*PATIENT)
    @blp.response(204)
    def delete(self, device_id):
        """Remove one of my devices: no more pushes to it"""
        devices.remove_device(db.session, current_user, device_id)
        audit("me.device.remove", patient=current_user, target=f"device:{device_id}")
        db.session.commit()


@blp.route(f"/notifications/{PUBLIC_ID}")
class MyNotification(MethodView):
    @roles_required(*PATIENT)
    @blp.response(200, NotificationSchema)
    def get(self, public_id):
        """A notice the app received by push: what it is about"""
        return with_path(notices.my_notification(db.session, current_user, public_id))


@blp.route(f"/notifications/{PUBLIC_ID}/opened")
class MyNotificationOpened(MethodView):
    @roles_required(*PATIENT)
    @blp.response(200, NotificationSchema)
    def post(self, public_id):
        """Mark a notice opened (an unopened liver-test push is sent again by SMS)"""
        notification = notices.mark_opened(db.session, current_user, public_id, now=utcnow())
        db.session.commit()
        return with_path(notification)
