"""What the care team reads: the board of cases, one case with its reports and pages, a patient's
clinical record. One ordering of cases for the API and the console alike."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, select

from models import Alert, Dose, LabResult, Message, Patient, ReportItem, Staff, SymptomReport
from models.vocabulary import AlertStatus, Urgency
from triage.catalogue import CATALOGUE

BOARD_LIMIT = 200


def case_order():
    """Unacknowledged first, then acknowledged, then resolved; most urgent first; oldest first."""
    status = case(
        (Alert.status == AlertStatus.OPEN, 0),
        (Alert.status == AlertStatus.ACKNOWLEDGED, 1),
        else_=2,
    )
    urgency = -Urgency.sql_rank(Alert.urgency)
    return status, urgency, Alert.created_at


def board(session, clinic_id: int, *, urgency=None, status=None) -> list[tuple[Alert, Patient]]:
    """The clinic's unresolved cases with their patients, in case_order()."""
    stmt = (
        select(Alert, Patient)
        .join(Patient, Patient.id == Alert.patient_id)
        .where(Alert.clinic_id == clinic_id, Alert.status != AlertStatus.RESOLVED)
    )
    if urgency is not None:
        stmt = stmt.where(Alert.urgency == urgency)
    if status is not None:
        stmt = stmt.where(Alert.status == status)
    return [tuple(row) for row in session.execute(stmt.order_by(*case_order()).limit(BOARD_LIMIT))]


@dataclass
class CaseView:
    alert: Alert
    patient: Patient
    reports: list[SymptomReport]
    staff: dict[int, Staff]  # the clinic's staff by id, for names in the history
    # message id -> (channel, status, error code) of each page and notice: SMS, call
    deliveries: dict[int, tuple[str, str, str | None]]


def case_view(session, alert: Alert) -> CaseView:
    reports = session.scalars(
        select(SymptomReport).where(SymptomReport.alert_id == alert.id).order_by(SymptomReport.id)
    ).all()
    staff = session.scalars(select(Staff).where(Staff.clinic_id == alert.clinic_id))
    message_ids = [p.message_id for p in alert.pages]
    statuses = select(Message.id, Message.channel, Message.status, Message.error_code).where(
        Message.id.in_(message_ids)
    )
    deliveries = {
        mid: (channel, status, code) for mid, channel, status, code in session.execute(statuses)
    }
    return CaseView(
        alert=alert,
        patient=session.get(Patient, alert.patient_id),
        reports=list(reports),
        staff={s.id: s for s in staff},
        deliveries=deliveries,
    )


@dataclass
class ClinicalRecord:
    doses: list[Dose]
    labs: list[LabResult]  # newest first
    reports: list[SymptomReport]  # the newest 50, newest first
    cases: dict[int, str]  # alert id -> case code
    readings: dict[str, list] = field(default_factory=dict)  # kind -> [(instant, °C or kg)]


def clinical_record(session, patient: Patient) -> ClinicalRecord:
    doses = session.scalars(
        select(Dose).where(Dose.patient_id == patient.id).order_by(Dose.administered_on)
    ).all()
    labs = session.scalars(
        select(LabResult)
        .where(LabResult.patient_id == patient.id)
        .order_by(LabResult.collected_at.desc())
    ).all()
    reports = session.scalars(
        select(SymptomReport)
        .where(SymptomReport.patient_id == patient.id)
        .order_by(SymptomReport.id.desc())
        .limit(50)
    ).all()
    cases = session.execute(select(Alert.id, Alert.case_code).where(Alert.patient_id == patient.id))
    readings = defaultdict(list)
    for item in session.scalars(
        select(ReportItem)
        .where(ReportItem.patient_id == patient.id, ReportItem.normalized_value.is_not(None))
        .order_by(ReportItem.measured_at)
    ):
        readings[CATALOGUE[item.symptom_code].measurement].append(
            (item.measured_at, item.normalized_value)
        )
    return ClinicalRecord(list(doses), list(labs), list(reports), dict(cases.all()), readings)
