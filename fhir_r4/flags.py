"""Alerts as Flags: a prospective warning about the patient that stays active until the care
team resolves it. Urgency is the core flag-priority extension; acknowledgement, the alert's own
status and its rule IDs are this service's extensions (docs/ARCHITECTURE.md, "FHIR")."""

from sqlalchemy import select

from fhir_r4 import params
from fhir_r4.common import Context, coding, instant, latest, local, meta, ref, staff_reference
from fhir_r4.observations import observation_ids
from models import Alert, ReportItem, Staff, SymptomReport
from triage import codes
from triage.catalogue import CATALOGUE

SEARCH_PARAMS = {
    "patient": ("reference", "The patient (Patient/<id>)"),
    "subject": ("reference", "Same as patient"),
    "date": ("date", "When the flag is active (raised until resolved)"),
    "_lastUpdated": ("date", "Raised, joined by a report, acknowledged or resolved"),
    "_id": ("token", "The alert's id"),
}


def parse_id(resource_id: str) -> int | None:
    return int(resource_id) if resource_id.isdigit() and 0 < int(resource_id) < 2**31 else None


def last_updated(dialect: str):
    return latest(
        dialect, Alert.created_at, Alert.last_report_at, Alert.acknowledged_at, Alert.resolved_at
    )


def keys(ctx: Context, parsed: dict, dialect: str):
    stmt = select(Alert.id).where(Alert.clinic_id == ctx.clinic_id)
    for patient_id in parsed.get("patient", []):
        stmt = stmt.where(Alert.patient_id == patient_id)
    for values in parsed.get("_id", []):
        stmt = stmt.where(Alert.id.in_([parse_id(c) or 0 for _, c in values]))
    for value in parsed.get("date", []):
        stmt = stmt.where(params.date_condition(value, Alert.created_at, Alert.resolved_at))
    for value in parsed.get("_lastUpdated", []):
        stmt = stmt.where(params.date_condition(value, last_updated(dialect)))
    return stmt.order_by(Alert.created_at, Alert.id)


def owner(session, resource_id: str) -> int | None:
    number = parse_id(resource_id)
    alert = session.get(Alert, number) if number else None
    return alert.patient_id if alert else None


def load(session, ctx: Context, found: list) -> list[dict]:
    ids = [row[0] if isinstance(row, tuple) else row for row in found]
    alerts = {a.id: a for a in session.scalars(select(Alert).where(Alert.id.in_(ids)))}
    staff_ids = {a.acknowledged_by_id for a in alerts.values()} - {None}
    staff = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))}
    evidence = {}
    rows = session.execute(
        select(SymptomReport.alert_id, ReportItem.id, ReportItem.symptom_code, ReportItem.value)
        .join(ReportItem, ReportItem.report_id == SymptomReport.id)
        .where(SymptomReport.alert_id.in_(ids))
        .order_by(ReportItem.id)
    )
    for alert_id, item_id, code, value in rows:
        evidence.setdefault(alert_id, []).extend(observation_ids(item_id, code, value is not None))
    return [
        flag(alerts[i], ctx.base, staff.get(alerts[i].acknowledged_by_id), evidence.get(i, []))
        for i in ids
    ]


def read(session, ctx: Context, resource_id: str) -> dict:
    return load(session, ctx, [parse_id(resource_id)])[0]


def _describe(alert: Alert) -> str:
    names = [
        CATALOGUE[c].text["en"].lower() if c in CATALOGUE else c.replace("lab:", "lab ")
        for c in alert.symptom_codes
    ]
    return (
        f"{alert.urgency.capitalize()} alert, case {alert.case_code}: {', '.join(names)} "
        f"(rules {', '.join(alert.rule_ids)})"
    )


def _extensions(alert: Alert, base: str, staff: Staff | None, evidence: list[str]) -> list:
    priority, display = codes.FLAG_PRIORITIES[alert.urgency]
    concept = {
        "coding": [
            coding(codes.FLAG_PRIORITY, priority, display),
            coding(local(base, "urgency"), alert.urgency, alert.urgency.capitalize()),
        ],
        "text": alert.urgency,
    }
    found = [{"url": codes.FLAG_PRIORITY_EXTENSION, "valueCodeableConcept": concept}]
    found.append({"url": local(base, "alert_status"), "valueCode": alert.status})
    for rule_id in alert.rule_ids:
        found.append(
            {"url": local(base, "alert_rule"), "valueCoding": coding(local(base, "rule"), rule_id)}
        )
    if alert.acknowledged_at is not None:
        parts = [{"url": "at", "valueDateTime": instant(alert.acknowledged_at)}]
        if staff is not None:
            parts.append({"url": "by", "valueReference": staff_reference(base, staff)})
        found.append({"url": local(base, "acknowledgement"), "extension": parts})
    for observation_id in evidence:
        found.append(
            {
                "url": codes.FLAG_DETAIL_EXTENSION,
                "valueReference": ref("Observation", observation_id),
            }
        )
    return found


def flag(alert: Alert, base: str, staff: Staff | None, evidence: list[str]) -> dict:
    updated = max(
        t
        for t in (alert.created_at, alert.last_report_at, alert.acknowledged_at, alert.resolved_at)
        if t is not None
    )
    period = {"start": instant(alert.created_at)}
    if alert.resolved_at is not None:
        period["end"] = instant(alert.resolved_at)
    return {
        "resourceType": "Flag",
        "id": str(alert.id),
        "meta": meta(updated),
        "extension": _extensions(alert, base, staff, evidence),
        "identifier": [{"system": local(base, "case_code"), "value": alert.case_code}],
        "status": "inactive" if alert.status == "resolved" else "active",
        "category": [
            {"coding": [coding(codes.FLAG_CATEGORY, "clinical", "Clinical")], "text": "Clinical"}
        ],
        "code": {"text": _describe(alert)},
        "subject": ref("Patient", alert.patient_id),
        "period": period,
    }
