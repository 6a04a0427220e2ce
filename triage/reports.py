"""Record a symptom report: normalise measurements, triage it, store it, raise its alert."""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models import Dose, LabResult, Patient, ReportItem, SymptomReport
from triage import engine, escalation
from triage.advice import advice_text
from triage.catalogue import CATALOGUE
from triage.settings import clinic_settings

LB = Decimal("0.45359237")


def to_celsius(value: Decimal, unit: str) -> Decimal:
    celsius = value if unit == "C" else (value - 32) * 5 / 9
    return celsius.quantize(Decimal("0.01"), ROUND_HALF_UP)


def to_kg(value: Decimal, unit: str) -> Decimal:
    return (value if unit == "kg" else value * LB).quantize(Decimal("0.01"), ROUND_HALF_UP)


def normalise(symptom: str, value, unit):
    if value is None:
        return None
    kind = CATALOGUE[symptom].measurement
    return to_celsius(value, unit) if kind == "temperature" else to_kg(value, unit)


def patient_facts(session, patient: Patient) -> engine.Facts:
    first, last, ended_at, started_at = session.execute(
        select(
            func.min(Dose.administered_on),
            func.max(Dose.administered_on),
            func.max(Dose.infusion_ended_at),
            func.max(Dose.infusion_started_at),
        ).where(Dose.patient_id == patient.id)
    ).one()
    # R-IRR: a missing end is start + 60 min (PROPOSED).
    candidates = [t for t in (ended_at, started_at and started_at + timedelta(minutes=60)) if t]
    kg = lambda w, u: to_kg(w, u) if w is not None else None  # noqa: E731
    return engine.Facts(
        first_dose=first,
        last_dose=last,
        hsct_date=patient.hsct_date,
        last_infusion_end=max(candidates) if candidates else None,
        baseline_weight_kg=kg(patient.baseline_weight, patient.baseline_weight_unit),
        baseline_weight_hsct_kg=kg(patient.baseline_weight_hsct, patient.baseline_weight_hsct_unit),
    )


def patient_readings(session, patient: Patient, now: datetime) -> engine.Readings:
    rows = session.execute(
        select(ReportItem.symptom_code, ReportItem.measured_at, ReportItem.normalized_value)
        .where(
            ReportItem.patient_id == patient.id,
            ReportItem.normalized_value.is_not(None),
            ReportItem.measured_at >= now - timedelta(days=9),
        )
        .order_by(ReportItem.measured_at)
    ).all()
    temps = tuple((t, v) for code, t, v in rows if CATALOGUE[code].measurement == "temperature")
    zone = ZoneInfo(patient.timezone)
    daily = {}
    for code, taken, value in rows:  # the last weight of each local day
        if CATALOGUE[code].measurement == "weight":
            daily[taken.astimezone(zone).date()] = (taken, value)
    return engine.Readings(temperatures=temps, weights=tuple(daily[d] for d in sorted(daily)))


def record_report(
    session, patient: Patient, data: dict, *, now: datetime, base_url: str, outbox_policy
):
    """Triage and store the report; an urgent or emergency one raises (or joins) an alert and
    queues its first pages in this same transaction. The caller commits."""
    clinic = patient.clinic
    settings = clinic_settings(clinic.triage_settings)
    facts, readings = patient_facts(session, patient), patient_readings(session, patient, now)
    items = [
        engine.Item(
            code=i["symptom"],
            details=frozenset(i.get("details", ())),
            severity=i.get("severity"),
            value=normalise(i["symptom"], i.get("value"), i.get("unit")),
        )
        for i in data["items"]
    ]
    today = now.astimezone(ZoneInfo(patient.timezone)).date()
    result = engine.triage(items, facts, readings, settings, now, today)
    review_by = (today + timedelta(days=1)).isoformat()
    lines = advice_text(
        result.advice,
        patient.language,
        emergency_number=clinic.emergency_number,
        care_team_phone=clinic.care_team_phone or clinic.emergency_number,
        review_by=review_by,
    )
    report = SymptomReport(
        patient_id=patient.id,
        clinic_id=clinic.id,
        reported_at=now,
        onset_at=data.get("onset_at"),
        note=data.get("note"),
        urgency=result.urgency,
        advice=lines,
        matched_rules=[
            {"rule_id": m.rule_id, "label_section": m.label_section, "urgency": m.urgency}
            for m in result.matches
        ],
        ruleset_version=engine.RULESET_VERSION,
    )
    for given, item in zip(data["items"], items, strict=True):
        report.items.append(
            ReportItem(
                patient_id=patient.id,
                symptom_code=item.code,
                details=sorted(item.details),
                presence=given.get("presence"),
                frequency=given.get("frequency"),
                severity=given.get("severity"),
                interference=given.get("interference"),
                value=given.get("value"),
                unit=given.get("unit"),
                site=given.get("site"),
                normalized_value=item.value,
                measured_at=given.get("measured_at") or now,
            )
        )
    session.add(report)
    session.flush()
    if result.urgency != "none":
        report.alert_id = escalation.raise_alert(
            session,
            patient,
            urgency=result.urgency,
            source="report",
            symptom_codes=sorted({i.code for i in items}),
            rule_ids=result.rule_ids,
            now=now,
            base_url=base_url,
            outbox_policy=outbox_policy,
        ).id
    return report, result


def evaluate_lab(session, patient: Patient, lab, *, now: datetime, base_url: str, outbox_policy):
    """Run the L-rules on a lab value the care team entered; urgent ones raise an alert."""
    earlier = session.execute(
        select(LabResult.collected_at, LabResult.value)
        .where(
            LabResult.patient_id == patient.id,
            LabResult.kind == lab.kind,
            LabResult.unit == lab.unit,
            LabResult.id != lab.id,
            LabResult.collected_at < lab.collected_at,
        )
        .order_by(LabResult.collected_at)
    ).all()
    others = {}
    for kind in ("ast", "alt"):
        row = session.execute(
            select(LabResult.value, LabResult.upper_limit_normal)
            .where(
                LabResult.patient_id == patient.id,
                LabResult.kind == kind,
                LabResult.collected_at >= lab.collected_at - timedelta(hours=72),
            )
            .order_by(LabResult.collected_at.desc())
        ).first()
        if row is not None:
            others[kind] = tuple(row)
    today = now.astimezone(ZoneInfo(patient.timezone)).date()
    result = engine.triage_lab(
        lab.kind,
        lab.value,
        lab.unit,
        lab.upper_limit_normal,
        lab.collected_at,
        [tuple(r) for r in earlier],
        others,
        patient_facts(session, patient),
        clinic_settings(patient.clinic.triage_settings),
        today,
    )
    if result.urgency != "none":
        escalation.raise_alert(
            session,
            patient,
            urgency=result.urgency,
            source="lab",
            symptom_codes=[f"lab:{lab.kind}"],
            rule_ids=result.rule_ids,
            now=now,
            base_url=base_url,
            outbox_policy=outbox_policy,
        )
    return result
