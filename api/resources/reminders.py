"""Reminders: the patient's own (with their in-app text), the care team's views, and the
schedule rules clinic admins configure."""

from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user
from sqlalchemy import select

from api.audit import audit
from api.auth.guards import ADMIN, PATIENT, STAFF, patient_of_my_clinic, roles_required
from api.blueprint import Blueprint
from api.pagination import paginate
from api.schemas.reminders import (
    CustomRuleSchema,
    ReminderAckSchema,
    ReminderQueryArgsSchema,
    ReminderSchema,
    RuleSchema,
    RuleUpdateSchema,
)
from models import Reminder, db, utcnow
from models.errors import Conflict, NotFound
from schedules import settings
from schedules.reconcile import effective_rules
from schedules.texts import reminder_text, reminder_title

blp = Blueprint("reminders", __name__, url_prefix="/api/v1", description="Reminders and rules")


def with_texts(reminders, clinic_id: int, language: str):
    """Attach each reminder's title and full in-app text (the SMS only says "new message")."""
    rules = {r.id: r for r in effective_rules(db.session, clinic_id)}
    for reminder in reminders:
        rule = rules.get(reminder.rule_id)
        reminder.title = reminder_title(rule, language) if rule else reminder.rule_id
        reminder.text = (
            reminder_text(rule, reminder.kind, language, reminder.ends_on) if rule else None
        )
    return reminders


def listed(stmt, args, pagination_parameters, clinic_id, language):
    if args.get("when") == "upcoming":
        stmt = stmt.where(Reminder.status == "planned").order_by(Reminder.due_at)
    elif args.get("when") == "past":
        stmt = stmt.where(Reminder.status != "planned").order_by(Reminder.due_at.desc())
    else:
        stmt = stmt.order_by(Reminder.due_at)
    return with_texts(paginate(stmt, pagination_parameters), clinic_id, language)


@blp.route("/me/reminders")
class MyReminders(MethodView):
    @roles_required(*PATIENT)
    @blp.arguments(ReminderQueryArgsSchema, location="query")
    @blp.response(200, ReminderSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """My reminders, upcoming and past, with their full text in my language"""
        stmt = select(Reminder).where(
            Reminder.patient_id == current_user.id, Reminder.status != "cancelled"
        )
        return listed(
            stmt, args, pagination_parameters, current_user.clinic_id, current_user.language
        )


@blp.route("/me/reminders/<int:reminder_id>/ack")
class MyReminderAck(MethodView):
    @roles_required(*PATIENT)
    @blp.arguments(ReminderAckSchema)
    @blp.response(200, ReminderSchema)
    def post(self, body, reminder_id):
        """Mark one of my released reminders as done or read"""
        reminder = db.session.get(Reminder, reminder_id)
        if reminder is None or reminder.patient_id != current_user.id:
            raise NotFound("Reminder not found.")
        if reminder.status != "released":
            raise Conflict("Only a reminder that has been sent can be acknowledged.")
        reminder.acknowledge(body["kind"], utcnow())
        db.session.commit()
        return with_texts([reminder], current_user.clinic_id, current_user.language)[0]


@blp.route("/patients/<int:patient_id>/reminders")
class PatientReminders(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ReminderQueryArgsSchema, location="query")
    @blp.response(200, ReminderSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters, patient_id):
        """A patient's planned and past reminders"""
        patient = patient_of_my_clinic(patient_id, "patient.reminders.read")
        stmt = select(Reminder).where(Reminder.patient_id == patient.id)
        result = listed(stmt, args, pagination_parameters, patient.clinic_id, "en")
        db.session.commit()
        return result


@blp.route("/reminders/unacknowledged-liver-tests")
class OverdueLiverTests(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, ReminderSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """R-LFT-HSCT reminders sent but not acknowledged within LFT_ACK_HOURS: call these"""
        cutoff = utcnow() - timedelta(hours=current_app.config["LFT_ACK_HOURS"])
        stmt = (
            select(Reminder)
            .where(
                Reminder.clinic_id == current_user.clinic_id,
                Reminder.rule_id == "R-LFT-HSCT",
                Reminder.status == "released",
                Reminder.acknowledged_at.is_(None),
                Reminder.released_at <= cutoff,
            )
            .order_by(Reminder.released_at)
        )
        return with_texts(paginate(stmt, pagination_parameters), current_user.clinic_id, "en")


@blp.route("/schedule-rules")
class Rules(MethodView):
    @roles_required(*ADMIN)
    @blp.response(200, RuleSchema(many=True))
    def get(self):
        """Every reminder rule: defaults, provenance, PROPOSED values, the clinic's overrides"""
        return settings.describe_rules(db.session, current_user.clinic_id)

    @roles_required(*ADMIN)
    @blp.arguments(CustomRuleSchema)
    @blp.response(201, RuleSchema)
    def post(self, body):
        """Add a clinic reminder that is not from the label (every N days during treatment)"""
        rule_id = settings.add_custom_rule(
            db.session, current_user.clinic_id, body, staff_id=current_user.id, now=utcnow()
        )
        audit("schedule_rule.create", target=f"rule:{rule_id}")
        db.session.commit()
        return next(
            r
            for r in settings.describe_rules(db.session, current_user.clinic_id)
            if r["id"] == rule_id
        )


@blp.route("/schedule-rules/<string:rule_id>")
class RuleById(MethodView):
    @roles_required(*ADMIN)
    @blp.arguments(RuleUpdateSchema)
    @blp.response(200, RuleSchema)
    def patch(self, body, rule_id):
        """Change a rule's PROPOSED values, cadence, time of day, texts, or switch a custom one
        off; the clinic's patients are re-planned"""
        settings.change_rule(
            db.session,
            current_user.clinic_id,
            rule_id,
            body,
            staff_id=current_user.id,
            now=utcnow(),
        )
        audit("schedule_rule.update", target=f"rule:{rule_id}", detail={"fields": sorted(body)})
        db.session.commit()
        return next(
            r
            for r in settings.describe_rules(db.session, current_user.clinic_id)
            if r["id"] == rule_id
        )
