"""The care team's pages: the alert board, an alert (the SMS link's target), a patient. Each
handler is a lookup, one domain call (or two reads), the audit, one commit, a render."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from access import scoping
from access.audit import record
from console import bp
from console.auth import ActionForm, me
from console.charts import temperature_chart, weight_chart
from messages.queries import patient_notices
from models import Alert, Patient, db, utcnow
from models.errors import Conflict
from schedules.overview import reminder_overview
from triage import acknowledgement, queries
from triage.catalogue import CATALOGUE
from triage.reports import patient_facts


class ResolveForm(FlaskForm):
    note = TextAreaField(validators=[DataRequired(), Length(max=1000)])


def my_alert(alert_id: int, action: str) -> Alert:
    return scoping.in_clinic(
        db.session, Alert, alert_id, clinic_id=me().clinic_id, action=action, noun="Alert"
    )


@bp.get("/")
@login_required
def board():
    """Open alerts by urgency and age, unacknowledged first; the routine queue below."""
    urgency, status = request.args.get("urgency"), request.args.get("status")
    rows = queries.board(
        db.session,
        me().clinic_id,
        urgency=urgency if urgency in ("emergency", "urgent", "routine") else None,
        status=status if status in ("open", "acknowledged") else None,
    )
    paged = [(a, p) for a, p in rows if a.urgency != "routine"]
    routine = [(a, p) for a, p in rows if a.urgency == "routine"]
    return render_template("console/board.html", paged=paged, routine=routine, now=utcnow())


@bp.get("/alerts/<int:alert_id>")
@login_required
def alert(alert_id):
    view = queries.case_view(db.session, my_alert(alert_id, "alert.read"))
    unseen_since = view.alert.seen_at if view.alert.has_unseen_report else None
    acknowledgement.mark_reviewed(view.alert, now=utcnow())
    record(db.session, "alert.read", patient=view.patient, target=f"alert:{alert_id}")
    db.session.commit()
    return render_template(
        "console/alert.html",
        alert=view.alert,
        patient=view.patient,
        reports=view.reports,
        staff=view.staff,
        deliveries=view.deliveries,
        unseen_since=unseen_since,
        catalogue=CATALOGUE,
        ack_form=ActionForm(),
        resolve_form=ResolveForm(),
        now=utcnow(),
    )


@bp.post("/alerts/<int:alert_id>/ack")
@login_required
def acknowledge(alert_id):
    alert = my_alert(alert_id, "alert.ack")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        acknowledgement.acknowledge(db.session, alert, me(), now=utcnow(), via="console")
        db.session.commit()
    except Conflict as exc:
        flash(exc.message)
    return redirect(url_for("console.alert", alert_id=alert.id))


@bp.post("/alerts/<int:alert_id>/resolve")
@login_required
def resolve(alert_id):
    alert = my_alert(alert_id, "alert.resolve")
    form = ResolveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        acknowledgement.resolve(db.session, alert, me(), form.note.data, now=utcnow())
        db.session.commit()
    except Conflict as exc:
        flash(exc.message)
    return redirect(url_for("console.alert", alert_id=alert.id))


@bp.get("/patients")
@login_required
def patients():
    rows = db.session.scalars(
        select(Patient).where(Patient.clinic_id == me().clinic_id).order_by(Patient.display_name)
    ).all()
    record(db.session, "patient.list")
    db.session.commit()
    return render_template("console/patients.html", patients=rows)


@bp.get("/patients/<int:patient_id>")
@login_required
def patient(patient_id):
    patient = scoping.patient_in_clinic(
        db.session, patient_id, clinic_id=me().clinic_id, action="patient.read"
    )
    clinical = queries.clinical_record(db.session, patient)
    upcoming, past = reminder_overview(db.session, patient, get_locale().language)
    notices = patient_notices(db.session, patient.id) if me().is_admin else []
    db.session.commit()
    return render_template(
        "console/patient.html",
        patient=patient,
        doses=clinical.doses,
        labs=clinical.labs,
        reports=clinical.reports,
        cases=clinical.cases,
        upcoming=upcoming,
        past=past,
        notices=notices,
        now=utcnow(),
        **patient_charts(patient, clinical.readings),
    )


def patient_charts(patient: Patient, readings: dict) -> dict:
    """Weight against the baseline (after HSCT: the HSCT baseline) and temperatures, as SVG."""
    facts = patient_facts(db.session, patient)
    baseline = facts.baseline_weight_hsct_kg if facts.hsct_date else facts.baseline_weight_kg
    points = {
        kind: [(t.strftime("%Y-%m-%d %H:%M"), v) for t, v in values]
        for kind, values in readings.items()
    }
    return {
        "weight_svg": weight_chart(points.get("weight", []), baseline, _("Weight (kg)")),
        "temperature_svg": temperature_chart(points.get("temperature", []), _("Temperature (°C)")),
    }
