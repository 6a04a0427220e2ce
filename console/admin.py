"""Clinic admins' pages: reminder rules, escalation policy, staff, undelivered SMS, audit log.
Each handler: a lookup, one domain call, the audit, one commit, a render or redirect."""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from access import audit, scoping, untrusted
from console import bp
from console.auth import ActionForm, admin_required, me
from messages import outbox, queries
from models import Message, Staff, db, utcnow
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


def _mine(model, field: str, action: str, noun: str):
    """The object a form names, of the admin's clinic (access.scoping: audited 404 otherwise)."""
    object_id = request.form.get(field, type=int)
    return scoping.in_clinic(
        db.session, model, object_id, clinic_id=me().clinic_id, action=action, noun=noun
    )


@bp.route("/admin/rules", methods=["GET", "POST"])
@admin_required
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
                me().clinic_id,
                rule_id,
                {"params": {form.name.data: value}},
                staff_id=me().id,
                now=utcnow(),
            )
            audit.record(
                db.session,
                "schedule_rule.update",
                target=f"rule:{rule_id}",
                detail={"fields": [form.name.data]},
            )
            db.session.commit()
            flash(_("Saved; patients re-planned."))
            return redirect(url_for("console.rules"))
        except DomainError as exc:
            db.session.rollback()
            errors = {rule_id: [m for ms in exc.errors.values() for m in ms] or [exc.message]}
    described = settings.describe_rules(db.session, me().clinic_id)
    return render_template(
        "console/admin_rules.html", rules=described, form=form, errors=errors
    ), 422 if errors else 200


@bp.route("/admin/escalation", methods=["GET", "POST"])
@admin_required
def escalation_policy():
    current = policies.current_policy(db.session, me().clinic_id)
    form, error = PolicyForm(), None
    if request.method == "GET":
        form.levels.data = json.dumps(current["levels"], indent=1)
        form.repeat_count.data = current["repeat_count"]
        form.fallback_phone.data = current["fallback_phone"] or ""
    elif form.validate_on_submit():
        try:
            body = {
                "levels": untrusted.loads(form.levels.data.encode()),  # no NaN, no depth
                "repeat_count": form.repeat_count.data,
                "fallback_phone": form.fallback_phone.data or None,
            }
            policy = policies.save_policy(  # checks the whole policy (triage.policies)
                db.session, me().clinic_id, body, staff_id=me().id, now=utcnow()
            )
            audit.record(
                db.session, "escalation_policy.update", detail={"version": policy["version"]}
            )
            db.session.commit()
            flash(_("Saved."))
            return redirect(url_for("console.escalation_policy"))
        except untrusted.UnsafeJSON:
            error = _("Not valid JSON.")
        except DomainError as exc:
            db.session.rollback()
            error = exc.errors or exc.message
    else:
        abort(400)
    return render_template("console/admin_escalation.html", form=form, current=current, error=error)


@bp.route("/admin/staff", methods=["GET", "POST"])
@admin_required
def staff():
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        member = _mine(Staff, "staff_id", "staff.update", "Staff member")
        member.on_call = not member.on_call
        audit.record(
            db.session, "staff.update", target=f"staff:{member.id}", detail={"fields": ["on_call"]}
        )
        db.session.commit()
        return redirect(url_for("console.staff"))
    members = scoping.clinic_staff(db.session, me().clinic_id)
    return render_template("console/admin_staff.html", members=members, form=ActionForm())


@bp.route("/admin/messages", methods=["GET", "POST"])
@admin_required
def dead_letters():
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        message = _mine(Message, "message_id", "message.retry", "Message")
        outbox.requeue(message, now=utcnow())
        audit.record(db.session, "message.retry", target=f"message:{message.id}")
        db.session.commit()
        return redirect(url_for("console.dead_letters"))
    rows = queries.undeliverable(db.session, me().clinic_id)
    return render_template("console/admin_messages.html", messages=rows, form=ActionForm())


@bp.get("/admin/audit")
@admin_required
def audit_log():
    events = audit.recent(
        db.session,
        me().clinic_id,
        action=request.args.get("action"),
        patient_id=request.args.get("patient_id", type=int),
    )
    return render_template("console/admin_audit.html", events=events)
