"""Patients of the caller's clinic, their enrollment codes and unenrolment (staff)."""

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user
from sqlalchemy import select

from access import enrollment, families
from api.audit import audit
from api.auth.guards import STAFF, patient_of_my_clinic, roles_required
from api.blueprint import Blueprint
from api.pagination import paginate
from api.schemas.auth import EnrollmentCodeSchema
from api.schemas.patients import PatientQueryArgsSchema, PatientSchema, PatientUpdateSchema
from models import Patient, db, utcnow
from schedules import facts

blp = Blueprint("patients", __name__, url_prefix="/api/v1/patients", description="Patients")


@blp.route("")
class Patients(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(PatientQueryArgsSchema, location="query")
    @blp.response(200, PatientSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the clinic's patients"""
        stmt = select(Patient).where(Patient.clinic_id == current_user.clinic_id)
        if "status" in args:
            stmt = stmt.where(Patient.status == args["status"])
        audit("patient.list", detail={"filters": sorted(args)})
        result = paginate(stmt.order_by(Patient.id), pagination_parameters)
        db.session.commit()
        return result

    @roles_required(*STAFF)
    @blp.arguments(PatientSchema)
    @blp.response(201, PatientSchema)
    def post(self, body):
        """Enroll a new patient in the clinic"""
        patient = facts.create_patient(db.session, current_user.clinic, body, now=utcnow())
        db.session.flush()
        audit("patient.create", patient=patient)
        db.session.commit()
        return patient


@blp.route("/<int:patient_id>")
class PatientById(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, PatientSchema)
    def get(self, patient_id):
        """Get a patient's record"""
        patient = patient_of_my_clinic(patient_id, "patient.read")
        db.session.commit()
        return patient

    @roles_required(*STAFF)
    @blp.arguments(PatientUpdateSchema(partial=True))
    @blp.response(200, PatientSchema)
    def patch(self, changes, patient_id):
        """Change a patient's facts (phone, time zone, reproductive status...)"""
        patient = patient_of_my_clinic(
            patient_id, "patient.update", detail={"fields": sorted(changes)}
        )
        facts.update_patient(db.session, patient, changes, now=utcnow())
        db.session.commit()
        return patient

    @roles_required(*STAFF)
    @blp.response(200, PatientSchema)
    def delete(self, patient_id):
        """Unenroll a patient: sign the app out and stop everything pending (record is kept)"""
        patient = patient_of_my_clinic(patient_id, "patient.unenroll")
        now = utcnow()
        facts.unenroll_patient(db.session, patient, now=now)
        families.revoke_subject(db.session, patient, now=now, reason="unenrolled")
        enrollment.revoke_codes(db.session, patient, now=now)
        db.session.commit()
        return patient


@blp.route("/<int:patient_id>/enrollment-code")
class EnrollmentCode(MethodView):
    @roles_required(*STAFF)
    @blp.response(201, EnrollmentCodeSchema)
    def post(self, patient_id):
        """Issue a one-time code for the patient's app (earlier unused codes stop working)"""
        patient = patient_of_my_clinic(patient_id, "patient.enrollment_code")
        facts.require_active(patient)
        cfg = current_app.config
        code, row = enrollment.issue_code(
            db.session,
            patient,
            staff_id=current_user.id,
            now=utcnow(),
            hours=cfg["ENROLLMENT_CODE_HOURS"],
            key=cfg["SECRET_KEY"],
        )
        db.session.commit()
        return {"code": code, "expires_at": row.expires_at}
