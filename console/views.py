"""The care team's pages: the alert board, an alert (the SMS link's target), a patient."""

from collections import defaultdict

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import case, select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from api.audit import audit
from console import bp
from console.auth import ActionForm, staff_required
from console.charts import temperature_chart, weight_chart
from models import (
    Alert,
    Dose,
    LabResult,
    Message,
    Patient,
    Reminder,
    ReportItem,
    Staff,
    SymptomReport,
    db,
    utcnow,
)
from models.errors import Conflict
from schedules.reconcile import effective_rules
from triage import acknowledgement
from triage.catalogue import CATALOGUE
from triage.reports import patient_facts


class ResolveForm(FlaskForm):
    note = TextAreaField(validators=[DataRequired(), Length(max=1000)])


def my_alert(alert_id: int) -> Alert:
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.clinic_id != g.staff.clinic_id:
        audit("alert.read", actor=g.staff, target=f"alert:{alert_id}", outcome="denied")
        db.session.commit()
        abort(404)
    return alert


def my_patient(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != g.staff.clinic_id:
        audit("patient.read", actor=g.staff, target=f"patient:{patient_id}", outcome="denied")
        db.session.commit()
        abort(404)
    return patient


@bp.get("/")
@staff_required()
def board():
    """Open alerts by urgency and age, unacknowledged first; the routine queue below."""
    base = (
        select(Alert, Patient)
        .join(Patient)
        .where(Alert.clinic_id == g.staff.clinic_id, Alert.status != "resolved")
    )
    order = (
        case((Alert.status == "open", 0), else_=1),
        case((Alert.urgency == "emergency", 0), (Alert.urgency == "urgent", 1), else_=2),
        Alert.created_at,
    )
    urgency, status = request.args.get("urgency"), request.args.get("status")
    if urgency in ("emergency", "urgent", "routine"):
        base = base.where(Alert.urgency == urgency)
    if status in ("open", "acknowledged"):
        base = base.where(Alert.status == status)
    rows = db.session.execute(base.order_by(*order).limit(200)).all()
    paged = [r for r in rows if r.Alert.urgency != "routine"]
    routine = [r for r in rows if r.Alert.urgency == "routine"]
    return render_template("console/board.html", paged=paged, routine=routine, now=utcnow())


@bp.get("/alerts/<int:alert_id>")
@staff_required()
def alert(alert_id):
    alert = my_alert(alert_id)
    patient = db.session.get(Patient, alert.patient_id)
    reports = db.session.scalars(
        select(SymptomReport).where(SymptomReport.alert_id == alert.id).order_by(SymptomReport.id)
    ).all()
    staff = {
        s.id: s for s in db.session.scalars(select(Staff).where(Staff.clinic_id == alert.clinic_id))
    }
    deliveries = {
        m.id: m.status
        for m in db.session.scalars(
            select(Message).where(Message.id.in_([p.message_id for p in alert.pages]))
        )
    }
    unseen_since = alert.seen_at if alert.has_unseen_report else None
    acknowledgement.mark_reviewed(alert, now=utcnow())
    audit("alert.read", actor=g.staff, patient=patient, target=f"alert:{alert.id}")
    db.session.commit()
    return render_template(
        "console/alert.html",
        alert=alert,
        unseen_since=unseen_since,
        patient=patient,
        reports=reports,
        staff=staff,
        deliveries=deliveries,
        catalogue=CATALOGUE,
        ack_form=ActionForm(),
        resolve_form=ResolveForm(),
        now=utcnow(),
    )


@bp.post("/alerts/<int:alert_id>/ack")
@staff_required()
def acknowledge(alert_id):
    alert = my_alert(alert_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        acknowledgement.acknowledge(db.session, alert, g.staff, now=utcnow(), via="console")
        db.session.commit()
    except Conflict as exc:
        flash(exc.message)
    return redirect(url_for("console.alert", alert_id=alert.id))


@bp.post("/alerts/<int:alert_id>/resolve")
@staff_required()
def resolve(alert_id):
    alert = my_alert(alert_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        acknowledgement.resolve(db.session, alert, g.staff, form.note.data, now=utcnow())
        db.session.commit()
    except Conflict as exc:
        flash(exc.message)
    return redirect(url_for("console.alert", alert_id=alert.id))


def next_per_rule(reminders) -> list:
    """The next planned occurrence of each rule, and how many more follow it."""
    first, count = {}, defaultdict(int)
    for reminder in reminders:
        if reminder.status == "planned":
            first.setdefault(reminder.rule_id, reminder)
            count[reminder.rule_id] += 1
    for rule_id, reminder in first.items():
        reminder.more = count[rule_id] - 1
    return sorted(first.values(), key=lambda r: r.due_at)


@bp.get("/patients")
@staff_required()
def patients():
    rows = db.session.scalars(
        select(Patient).where(Patient.clinic_id == g.staff.clinic_id).order_by(Patient.display_name)
    ).all()
    audit("patient.list", actor=g.staff)
    db.session.commit()
    return render_template("console/patients.html", patients=rows)


@bp.get("/patients/<int:patient_id>")
@staff_required()
def patient(patient_id):
    patient = my_patient(patient_id)
    doses = db.session.scalars(
        select(Dose).where(Dose.patient_id == patient.id).order_by(Dose.administered_on)
    ).all()
    labs = db.session.scalars(
        select(LabResult)
        .where(LabResult.patient_id == patient.id)
        .order_by(LabResult.collected_at.desc())
    ).all()
    reminders = db.session.scalars(
        select(Reminder)
        .where(Reminder.patient_id == patient.id, Reminder.status != "cancelled")
        .order_by(Reminder.due_at)
    ).all()
    reports = db.session.scalars(
        select(SymptomReport)
        .where(SymptomReport.patient_id == patient.id)
        .order_by(SymptomReport.id.desc())
        .limit(50)
    ).all()
    texts = {
        r.id: r.texts.get("reminder", {}).get("en", "")
        for r in effective_rules(db.session, patient.clinic_id)
    }
    cases = dict(
        db.session.execute(
            select(Alert.id, Alert.case_code).where(Alert.patient_id == patient.id)
        ).all()
    )
    charts = patient_charts(patient)
    audit("patient.read", actor=g.staff, patient=patient)
    db.session.commit()
    return render_template(
        "console/patient.html",
        patient=patient,
        doses=doses,
        labs=labs,
        reports=reports,
        cases=cases,
        upcoming=next_per_rule(reminders),
        past=[r for r in reminders if r.status != "planned"][-30:],
        rule_texts=texts,
        now=utcnow(),
        **charts,
    )


def patient_charts(patient: Patient) -> dict:
    """Weight against the baseline (after HSCT: the HSCT baseline) and temperatures, as SVG."""
    readings = defaultdict(list)
    for item in db.session.scalars(
        select(ReportItem)
        .where(ReportItem.patient_id == patient.id, ReportItem.normalized_value.is_not(None))
        .order_by(ReportItem.measured_at)
    ):
        kind = CATALOGUE[item.symptom_code].measurement
        readings[kind].append((item.measured_at.strftime("%Y-%m-%d %H:%M"), item.normalized_value))
    facts = patient_facts(db.session, patient)
    baseline = facts.baseline_weight_hsct_kg if facts.hsct_date else facts.baseline_weight_kg
    return {
        "weight_svg": weight_chart(readings["weight"], baseline, _("Weight (kg)")),
        "temperature_svg": temperature_chart(readings["temperature"], _("Temperature (°C)")),
    }
