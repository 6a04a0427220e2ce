"""The signed-in patient's own record (the phone app)."""

from flask.views import MethodView
from flask_jwt_extended import current_user

from api.audit import audit
from api.auth.guards import PATIENT, roles_required
from api.blueprint import Blueprint
from api.schemas.patients import MeSchema, MeUpdateSchema
from models import db, utcnow
from schedules import facts

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The patient's own data")


@blp.route("")
class Me(MethodView):
    @roles_required(*PATIENT)
    @blp.response(200, MeSchema)
    def get(self):
        """Get my profile"""
        return current_user

    @roles_required(*PATIENT)
    @blp.arguments(MeUpdateSchema(partial=True))
    @blp.response(200, MeSchema)
    def patch(self, changes):
        """Change my language, time zone, quiet hours or SMS consent"""
        facts.update_patient(db.session, current_user, changes, now=utcnow())
        audit("me.update", patient=current_user, detail={"fields": sorted(changes)})
        db.session.commit()
        return current_user
