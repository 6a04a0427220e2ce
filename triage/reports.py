"""Record a symptom report: normalise measurements, triage it, store it, raise its alert."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from clinical.settings import clinic_parameters
from clinical.values import DEFAULTS, Parameters
from models import Dose, LabResult, Patient, ReportItem, SymptomReport
from triage import cases, engine, report_facts
from triage.advice import advice_text
from triage.catalogue import CATALOGUE

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


def facts_from(patient: Patient, doses: tuple, p: Parameters = DEFAULTS) -> engine.Facts:
    """The engine's facts from the patient and their doses' (first, last, last end, last start)."""
    first, last, ended_at, started_at = doses
    # R-IRR / T-IRR: a missing end is start + 60 min (PROPOSED; the clinic's value).
    assumed_end = started_at and started_at + timedelta(minutes=p.infusion_missing_end_minutes)
    candidates = [t for t in (ended_at, assumed_end) if t]
    kg = lambda w, u: to_kg(w, u) if w is not None else None  # noqa: E731
    return engine.Facts(
        first_dose=first,
        last_dose=last,
        hsct_date=patient.hsct_date,
        last_infusion_end=max(candidates) if candidates else None,
        baseline_weight_kg=kg(patient.baseline_weight, patient.baseline_weight_unit),
        baseline_weight_hsct_kg=kg(patient.baseline_weight_hsct, patient.baseline_weight_hsct_unit),
    )


def readings_from(patient: Patient, rows) -> engine.Readings:
    """Temperatures, and the last weight of each local day, from (code, instant, value) rows
    oldest first."""
    temps = tuple((t, v) for code, t, v in rows if CATALOGUE[code].measurement == "temperature")
    zone = ZoneInfo(patient.timezone)
    daily = {}
    for code, taken, value in rows:  # the last weight of each local day
        if CATALOGUE[code].measurement == "weight":
            daily[taken.astimezone(zone).date()] = (taken, value)
    return engine.Readings(temperatures=temps, weights=tuple(daily[d] for d in sorted(daily)))


def patient_facts(session, patient: Patient, p: Parameters = DEFAULTS) -> engine.Facts:
    doses = session.execute(
        select(
            func.min(Dose.administered_on),
            func.max(Dose.administered_on),
            func.max(Dose.infusion_ended_at),
            func.max(Dose.infusion_started_at),
        ).where(Dose.patient_id == patient.id)
    ).one()
    return facts_from(patient, tuple(doses), p)


@dataclass(frozen=True)
class Recorded:
    """A stored report as the patient is answered: its row and items as written (nothing is
    read back), and the clinic's numbers to call."""

    id: int
    alert_id: int | None
    urgency: str
    row: dict
    items: list
    care_team: dict


def record_report(
    session, patient: Patient, data: dict, *, now: datetime, base_url: str, outbox_policy
):
    """Triage and store the report; an urgent or emergency one raises (or joins) an alert and
    queues its first pages in this same transaction. The caller commits.

    Statements for a report that raises no alert: the facts query (triage.report_facts), the
    report's INSERT and one multi-row INSERT of its items (tests/test_report_statements.py)."""
    known = report_facts.load(session, patient, now)
    settings = (
        Parameters(known.overrides, known.settings_version)
        if known.settings_version is not None
        else Parameters()
    )
    facts = facts_from(patient, known.doses, settings)
    readings = readings_from(patient, known.readings)
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
        emergency_number=known.emergency_number,
        care_team_phone=known.care_team_phone or known.emergency_number,
        review_by=review_by,
    )
    alert_id = None
    if result.urgency != "none":  # first, so the report's row is written once, with its alert
        alert_id = cases.raise_alert(
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
    row = dict(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        reported_at=now,
        onset_at=data.get("onset_at"),
        note=data.get("note"),
        urgency=result.urgency,
        advice=lines,
        matched_rules=[
            {"rule_id": m.rule_id, "label_section": m.label_section, "urgency": m.urgency}
            for m in result.rules
        ],
        ruleset_version=engine.RULESET_VERSION,
        alert_id=alert_id,
    )
    report_id = session.execute(
        insert(SymptomReport.__table__).values(row).returning(SymptomReport.__table__.c.id)
    ).scalar_one()
    rows = [
        dict(
            report_id=report_id,
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
        for given, item in zip(data["items"], items, strict=True)
    ]
    items_table = ReportItem.__table__  # one INSERT of every row (insertmanyvalues), compiled once
    session.execute(insert(items_table).returning(items_table.c.id), rows)
    recorded = Recorded(
        id=report_id,
        alert_id=alert_id,
        urgency=result.urgency,
        row=row,
        items=rows,
        care_team={
            "care_team_phone": known.care_team_phone,
            "emergency_number": known.emergency_number,
        },
    )
    return recorded, result


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
        clinic_parameters(session, patient.clinic_id),
        today,
    )
    if result.urgency != "none":
        cases.raise_alert(
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
