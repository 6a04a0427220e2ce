"""Clinic admins' pages: reminder rules, escalation policy, staff, undelivered SMS, audit log."""

import json

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from api import inputs
from api.audit import audit
from api.schemas.triage import EscalationPolicySchema
from console import bp
from console.auth import ActionForm, staff_required
from messages import outbox
from models import AuditEvent, Message, Staff, db, utcnow
from models.errors import DomainError
from schedules import settings
from triage import policies


class RuleForm(FlaskForm):
    name = SelectField(validators=[DataRequired()], validate_choice=False)
    value = StringField(validators=[DataRequired(), Length(max=16)])


class PolicyForm(FlaskForm):
    levels = TextAreaField(validators=[DataRequired(), Length(max=4000)])
    repeat_count = IntegerField(validators=[NumberRange(0, 5)])
    fallback_phone = StringField(validators=[Optional(), Length(max=32)])


def _mine(model, object_id, action: str, kind: str):
    """An object of the admin's clinic; another clinic's is a 404 like a missing one, audited."""
    in_range = object_id is not None and 0 < object_id < 2**31
    found = db.session.get(model, object_id) if in_range else None
    if found is None or found.clinic_id != g.staff.clinic_id:
        audit(action, actor=g.staff, target=f"{kind}:{object_id}", outcome="denied")
        abort(404)  # the error handler keeps the refusal's audit event
    return found


@bp.route("/admin/rules", methods=["GET", "POST"])
@staff_required(admin=True)
def rules():
    """Every reminder rule with its provenance; PROPOSED values are changed here."""
    form, errors = RuleForm(), {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        rule_id = request.form.get("rule_id", "")
        raw = form.value.data.strip()
        value = int(raw) if raw.isdigit() else raw
        try:
            settings.change_rule(
                db.session,
                g.staff.clinic_id,
                rule_id,
                {"params": {form.name.data: value}},
                staff_id=g.staff.id,
                now=utcnow(),
            )
            audit(
                "schedule_rule.update",
                actor=g.staff,
                target=f"rule:{rule_id}",
                detail={"fields": [form.name.data]},
            )
            db.session.commit()
            flash(_("Saved; patients re-planned."))
            return redirect(url_for("console.rules"))
        except DomainError as exc:
            db.session.rollback()
            errors = {rule_id: [m for ms in exc.errors.values() for m in ms] or [exc.message]}
    described = settings.describe_rules(db.session, g.staff.clinic_id)
    return render_template(
        "console/admin_rules.html", rules=described, form=form, errors=errors
    ), 422 if errors else 200


@bp.route("/admin/escalation", methods=["GET", "POST"])
@staff_required(admin=True)
def escalation_policy():
    current = policies.current_policy(db.session, g.staff.clinic_id)
    form, error = PolicyForm(), None
    if request.method == "GET":
        form.levels.data = json.dumps(current["levels"], indent=1)
        form.repeat_count.data = current["repeat_count"]
        form.fallback_phone.data = current["fallback_phone"] or ""
    elif form.validate_on_submit():
        try:
            body = EscalationPolicySchema().load(
                {
                    "levels": inputs.loads(form.levels.data.encode()),  # no NaN, no depth
                    "repeat_count": form.repeat_count.data,
                    "fallback_phone": form.fallback_phone.data or None,
                }
            )
            policy = policies.save_policy(
                db.session, g.staff.clinic_id, body, staff_id=g.staff.id, now=utcnow()
            )
            audit("escalation_policy.update", actor=g.staff, detail={"version": policy["version"]})
            db.session.commit()
            flash(_("Saved."))
            return redirect(url_for("console.escalation_policy"))
        except (ValidationError, ValueError) as exc:
            error = exc.messages if isinstance(exc, ValidationError) else _("Not valid JSON.")
        except DomainError as exc:
            db.session.rollback()
            error = exc.errors or exc.message
    else:
        abort(400)
    return render_template("console/admin_escalation.html", form=form, current=current, error=error)


@bp.route("/admin/staff", methods=["GET", "POST"])
@staff_required(admin=True)
def staff():
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        member = _mine(Staff, request.form.get("staff_id", type=int), "staff.update", "staff")
        member.on_call = not member.on_call
        audit(
            "staff.update",
            actor=g.staff,
            target=f"staff:{member.id}",
            detail={"fields": ["on_call"]},
        )
        db.session.commit()
        return redirect(url_for("console.staff"))
    members = db.session.scalars(
        select(Staff).where(Staff.clinic_id == g.staff.clinic_id).order_by(Staff.name)
    ).all()
    return render_template("console/admin_staff.html", members=members, form=ActionForm())


@bp.route("/admin/messages", methods=["GET", "POST"])
@staff_required(admin=True)
def dead_letters():
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        message = _mine(
            Message, request.form.get("message_id", type=int), "message.retry", "message"
        )
        outbox.requeue(message, now=utcnow())
        audit("message.retry", actor=g.staff, target=f"message:{message.id}")
        db.session.commit()
        return redirect(url_for("console.dead_letters"))
    rows = db.session.scalars(
        select(Message)
        .where(
            Message.clinic_id == g.staff.clinic_id,
            Message.status.in_(["dead", "failed", "undelivered", "expired", "opted_out"]),
        )
        .order_by(Message.id.desc())
        .limit(200)
    ).all()
    return render_template("console/admin_messages.html", messages=rows, form=ActionForm())


@bp.get("/admin/audit")
@staff_required(admin=True)
def audit_log():
    stmt = select(AuditEvent).where(AuditEvent.clinic_id == g.staff.clinic_id)
    if request.args.get("action"):
        stmt = stmt.where(AuditEvent.action == request.args["action"][:64])
    patient_id = request.args.get("patient_id", type=int)
    if patient_id and 0 < patient_id < 2**31:  # an INTEGER column: larger ids match nothing
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    events = db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(200)).all()
    return render_template("console/admin_audit.html", events=events)
