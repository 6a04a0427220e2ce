"""Staff accounts of the clinic and the clinic's settings (clinic admins)."""

from flask.views import MethodView
from flask_jwt_extended import current_user, verify_jwt_in_request
from sqlalchemy import select

from access import families
from access.passwords import hash_password
from api.audit import audit
from api.auth.guards import ADMIN, roles_required, staff_of_my_clinic
from api.blueprint import Blueprint
from api.pagination import paginate
from api.schemas.staff import ClinicSchema, ClinicUpdateSchema, StaffSchema, StaffUpdateSchema
from models import Staff, db, utcnow
from models.errors import Conflict

blp = Blueprint("staff", __name__, url_prefix="/api/v1", description="Staff and clinic (admins)")


@blp.route("/staff")
class StaffList(MethodView):
    @roles_required(*ADMIN)
    @blp.response(200, StaffSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """List the clinic's staff"""
        stmt = select(Staff).where(Staff.clinic_id == current_user.clinic_id).order_by(Staff.id)
        return paginate(stmt, pagination_parameters)

    @roles_required(*ADMIN)
    @blp.arguments(StaffSchema)
    @blp.response(201, StaffSchema)
    def post(self, body):
        """Add a staff member to the clinic"""
        password = body.pop("password")
        member = Staff(
            clinic_id=current_user.clinic_id,
            password_hash=hash_password(password),
            **(body | {"email": body["email"].lower()}),
        )
        db.session.add(member)
        db.session.flush()
        audit("staff.create", target=f"staff:{member.id}", detail={"role": member.role})
        db.session.commit()
        return member


@blp.route("/staff/<int:staff_id>")
class StaffById(MethodView):
    @roles_required(*ADMIN)
    @blp.response(200, StaffSchema)
    def get(self, staff_id):
        """Get a staff member"""
        return staff_of_my_clinic(staff_id, "staff.read")

    @roles_required(*ADMIN)
    @blp.arguments(StaffUpdateSchema)
    @blp.response(200, StaffSchema)
    def patch(self, changes, staff_id):
        """Change a staff member's role, name, phone, password or active flag"""
        member = staff_of_my_clinic(staff_id, "staff.update")
        if member.id == current_user.id and (
            changes.get("active") is False or changes.get("role") == "clinician"
        ):
            raise Conflict("Admins cannot deactivate or demote themselves.")
        changed = sorted(changes)
        if "password" in changes:
            verify_jwt_in_request(fresh=True)  # 401 token_not_fresh with a refreshed token
            member.password_hash = hash_password(changes.pop("password"))
        for name, value in changes.items():
            setattr(member, name, value)
        if member.active is False or "password" in changed:
            families.revoke_subject(db.session, member, now=utcnow(), reason="credentials_changed")
        audit("staff.update", target=f"staff:{member.id}", detail={"fields": changed})
        db.session.commit()
        return member


@blp.route("/clinic")
class ClinicSettings(MethodView):
    @roles_required(*ADMIN)
    @blp.response(200, ClinicSchema)
    def get(self):
        """Get the clinic's settings"""
        return current_user.clinic

    @roles_required(*ADMIN)
    @blp.arguments(ClinicUpdateSchema(partial=True))
    @blp.response(200, ClinicSchema)
    def patch(self, changes):
        """Change the clinic's name, time zone or default quiet hours"""
        clinic = current_user.clinic
        for name, value in changes.items():
            setattr(clinic, name, value)
        audit("clinic.update", target=f"clinic:{clinic.id}", detail={"fields": sorted(changes)})
        db.session.commit()
        return clinic
