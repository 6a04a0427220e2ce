"""What the care team records about a patient: doses, HSCT, treatment end, lab results."""

from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from api.auth.guards import STAFF, patient_of_my_clinic, roles_required
from api.pagination import paginate
from api.policies import outbox_policy
from api.schemas.clinical import (
    DoseSchema,
    LabResultSchema,
    TransplantSchema,
    TreatmentEndSchema,
)
from api.schemas.patients import PatientSchema
from api.urls import base_url
from models import Dose, LabResult, db, utcnow
from models.errors import NotFound
from schedules import facts
from triage import reports

blp = Blueprint(
    "clinical",
    __name__,
    url_prefix="/api/v1/patients/<int:patient_id>",
    description="Doses, transplant, treatment end and labs of a patient",
)


@blp.route("/doses")
class Doses(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, DoseSchema(many=True))
    @blp.paginate()
    def get(self, patient_id, pagination_parameters):
        """List the doses given to a patient, oldest first"""
        patient = patient_of_my_clinic(patient_id, "patient.doses.read")
        stmt = select(Dose).where(Dose.patient_id == patient.id)
        result = paginate(stmt.order_by(Dose.administered_on, Dose.id), pagination_parameters)
        db.session.commit()
        return result

    @roles_required(*STAFF)
    @blp.arguments(DoseSchema)
    @blp.response(201, DoseSchema)
    def post(self, body, patient_id):
        """Record an infusion given to the patient"""
        detail = {"cycle": body["cycle"], "cycle_day": body["cycle_day"]}
        patient = patient_of_my_clinic(patient_id, "patient.dose.create", detail)
        dose = facts.record_dose(db.session, patient, body, staff_id=current_user.id, now=utcnow())
        db.session.commit()
        return dose


@blp.route("/transplant")
class Transplant(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, TransplantSchema)
    def get(self, patient_id):
        """Get the patient's HSCT date (404 when none is recorded)"""
        patient = patient_of_my_clinic(patient_id, "patient.transplant.read")
        db.session.commit()
        if patient.hsct_date is None:
            raise NotFound("No transplant is recorded.")
        return patient

    @roles_required(*STAFF)
    @blp.arguments(TransplantSchema)
    @blp.response(200, TransplantSchema)
    def put(self, body, patient_id):
        """Record or correct the HSCT date (day 0) and the pre-conditioning weight"""
        patient = patient_of_my_clinic(patient_id, "patient.transplant.update")
        facts.set_transplant(db.session, patient, body, now=utcnow())
        db.session.commit()
        return patient


@blp.route("/treatment-end")
class TreatmentEnd(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(TreatmentEndSchema)
    @blp.response(200, PatientSchema)
    def put(self, body, patient_id):
        """Record that treatment has ended: the last dose becomes final"""
        patient = patient_of_my_clinic(patient_id, "patient.treatment_end.update")
        facts.end_treatment(db.session, patient, body["treatment_ended_on"], now=utcnow())
        db.session.commit()
        return patient


@blp.route("/labs")
class Labs(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, LabResultSchema(many=True))
    @blp.paginate()
    def get(self, patient_id, pagination_parameters):
        """List a patient's lab results, newest first"""
        patient = patient_of_my_clinic(patient_id, "patient.labs.read")
        stmt = select(LabResult).where(LabResult.patient_id == patient.id)
        order = (LabResult.collected_at.desc(), LabResult.id.desc())
        result = paginate(stmt.order_by(*order), pagination_parameters)
        db.session.commit()
        return result

    @roles_required(*STAFF)
    @blp.arguments(LabResultSchema)
    @blp.response(201, LabResultSchema)
    def post(self, body, patient_id):
        """Record a lab result (bilirubin, AST, ALT, ALP, QTc)"""
        patient = patient_of_my_clinic(patient_id, "patient.lab.create", {"kind": body["kind"]})
        now = utcnow()
        lab = facts.record_lab(db.session, patient, body, staff_id=current_user.id, now=now)
        db.session.flush()
        reports.evaluate_lab(
            db.session, patient, lab, now=now, base_url=base_url(), outbox_policy=outbox_policy()
        )
        db.session.commit()
        return lab
