"""Symptom reports from the app, the catalogue they draw on, and the patient's alerts."""

from flask import current_app, jsonify
from flask.views import MethodView
from flask_jwt_extended import current_user
from sqlalchemy import select

from api import idempotency
from api.auth.guards import PATIENT, STAFF, patient_of_my_clinic, roles_required
from api.blueprint import Blueprint
from api.deployment import outbox_policy
from api.pagination import paginate
from api.schemas.triage import (
    CatalogueEntrySchema,
    MyAlertSchema,
    SymptomReportOutSchema,
    SymptomReportSchema,
)
from api.urls import base_url
from models import Alert, SymptomReport, db, utcnow
from triage import reports
from triage.catalogue import CATALOGUE

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Symptom reports")


def report_view(recorded: reports.Recorded) -> dict:
    """The stored answer: replays of the same Idempotency-Key get exactly this. Made from what
    was written, so nothing is read back."""
    body = SymptomReportOutSchema().dump(
        recorded.row | {"id": recorded.id, "items": recorded.items}
    )
    body["care_team"] = recorded.care_team
    return body


@blp.route("/symptom-catalogue")
class Catalogue(MethodView):
    @roles_required("patient", *STAFF)
    @blp.response(200, CatalogueEntrySchema(many=True))
    def get(self):
        """The symptoms and measurements a report may contain, with their details"""
        return [
            {
                "symptom": s.code,
                "rule_id": s.rule_id,
                "label_section": s.label_section,
                "text": s.text,
                "details": list(s.details),
                "measurement": s.measurement,
            }
            for s in CATALOGUE.values()
        ]


@blp.route("/me/symptom-reports")
class MyReports(MethodView):
    @roles_required(*PATIENT)
    @blp.arguments(SymptomReportSchema)
    @blp.response(201, SymptomReportOutSchema)
    @blp.alt_response(
        409, description="The same Idempotency-Key is still being processed (see Retry-After)"
    )
    @blp.doc(
        parameters=[
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 8, "maxLength": 128},
            }
        ]
    )
    def post(self, body):
        """Report symptoms; the answer says how urgent it is and what to do now"""
        now = utcnow()
        record_id, stored = idempotency.claim(
            db.session,
            patient_id=current_user.id,
            key=idempotency.request_key(),
            digest=idempotency.body_hash(),
            now=now,
            wait_seconds=current_app.config["IDEMPOTENCY_WAIT_SECONDS"],
        )
        if stored is None:  # the claim, the report, its alert and pages commit together
            recorded, _ = reports.record_report(
                db.session,
                current_user,
                body,
                now=now,
                base_url=base_url(),
                outbox_policy=outbox_policy(),
            )
            stored = report_view(recorded)
            idempotency.complete(db.session, record_id, stored)
        db.session.commit()
        response = jsonify(stored)
        response.status_code = 201
        return response

    @roles_required(*PATIENT)
    @blp.response(200, SymptomReportOutSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """List my reports, newest first"""
        stmt = select(SymptomReport).where(SymptomReport.patient_id == current_user.id)
        return paginate(stmt.order_by(SymptomReport.id.desc()), pagination_parameters)


@blp.route("/patients/<int:patient_id>/symptom-reports")
class PatientReports(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, SymptomReportOutSchema(many=True))
    @blp.paginate()
    def get(self, patient_id, pagination_parameters):
        """List a patient's reports, newest first"""
        patient = patient_of_my_clinic(patient_id, "patient.reports.read")
        stmt = select(SymptomReport).where(SymptomReport.patient_id == patient.id)
        result = paginate(stmt.order_by(SymptomReport.id.desc()), pagination_parameters)
        db.session.commit()
        return result


@blp.route("/me/alerts")
class MyAlerts(MethodView):
    @roles_required(*PATIENT)
    @blp.response(200, MyAlertSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """My reports that reached the care team, and whether they have seen them"""
        stmt = select(Alert).where(Alert.patient_id == current_user.id, Alert.source == "report")
        return paginate(stmt.order_by(Alert.id.desc()), pagination_parameters)
