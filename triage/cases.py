"""Cases: a report (or lab value) joins the patient's case for the same symptom, or opens one.

The joining rule is clinical-rules §2.5 (E-JOIN-1 to E-JOIN-4): repeated reports of a symptom
join one case so that a nurse does not get ten texts for ten readings, but de-duplication never
hides a deterioration: a report more urgent than its case always pages.
"""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from models import Alert, Patient
from models.vocabulary import PAGED, AlertStatus, Urgency
from triage import escalation
from triage.escalation import audit_case
from triage.policies import current_policy

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class Join(StrEnum):
    NEW_CASE = "new_case"  # E-JOIN-3 (resolved case), E-JOIN-4 (no shared symptom)
    JOIN = "join"  # E-JOIN-1, open case: paging goes on as it was
    NOTICE = "notice"  # E-JOIN-1, acknowledged case: one notice to whoever acknowledged it
    REPAGE = "repage"  # E-JOIN-2, open case: page its level now, deadline shortened
    REOPEN = "reopen"  # E-JOIN-2, acknowledged case: re-opened, paged from level 1


def decide(status: str, old_urgency: str, new_urgency: str, shares_symptom: bool) -> Join:
    """The joining table: (case status, its urgency, the report's urgency, shared symptom)."""
    if status == AlertStatus.RESOLVED or not shares_symptom:
        return Join.NEW_CASE  # E-JOIN-3, E-JOIN-4
    if Urgency(new_urgency).rank > Urgency(old_urgency).rank:
        return Join.REOPEN if status == AlertStatus.ACKNOWLEDGED else Join.REPAGE  # E-JOIN-2
    return Join.NOTICE if status == AlertStatus.ACKNOWLEDGED else Join.JOIN  # E-JOIN-1


def _case_for(session, patient: Patient, symptom_codes) -> Alert | None:
    """The patient's unresolved case sharing a symptom with the report: the most urgent, then
    the newest. Locked, so two reports of one patient join it one after the other."""
    cases = session.scalars(
        select(Alert)
        .where(Alert.patient_id == patient.id, Alert.status != AlertStatus.RESOLVED)
        .order_by(Alert.id.desc())
        .with_for_update()
    ).all()
    shared = [a for a in cases if set(a.symptom_codes) & set(symptom_codes)]
    return max(shared, key=lambda a: Urgency(a.urgency).rank, default=None)


def _new_case_code(session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))
        if session.scalar(select(Alert.id).where(Alert.case_code == code)) is None:
            return code


def raise_alert(
    session,
    patient: Patient,
    *,
    urgency: str,
    source: str,
    symptom_codes,
    rule_ids,
    now: datetime,
    base_url: str,
    outbox_policy,
) -> Alert:
    """Apply the joining table to the report's case; open and page a new case when it says so.
    Pages and notices are queued in the caller's transaction."""
    alert = _case_for(session, patient, symptom_codes)
    decision = (
        Join.NEW_CASE
        if alert is None
        else decide(alert.status, alert.urgency, urgency, shares_symptom=True)
    )
    if decision is Join.NEW_CASE:
        return _open_case(
            session, patient, urgency, source, symptom_codes, rule_ids, now, base_url, outbox_policy
        )
    before = alert.urgency
    alert.urgency = Urgency.worst(alert.urgency, urgency)
    alert.symptom_codes = sorted(set(alert.symptom_codes) | set(symptom_codes))
    alert.rule_ids = sorted(set(alert.rule_ids) | set(rule_ids))
    alert.last_report_at = now
    detail = {"urgency": urgency, "case_urgency": before, "decision": str(decision)}
    audit_case(session, alert, "alert.joined", detail=detail, now=now)
    if decision is Join.NOTICE:
        escalation.notify_holder(session, alert, now=now, outbox_policy=outbox_policy)
    elif decision is Join.REPAGE:
        escalation.repage(session, alert, now=now, outbox_policy=outbox_policy)
    elif decision is Join.REOPEN:
        escalation.reopen(session, alert, now=now, outbox_policy=outbox_policy)
    return alert


def _open_case(session, patient, urgency, source, codes, rule_ids, now, base_url, outbox_policy):
    policy = current_policy(session, patient.clinic_id)
    alert = Alert(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        case_code=_new_case_code(session),
        urgency=urgency,
        source=source,
        symptom_codes=sorted(set(codes)),
        rule_ids=rule_ids,
        status=AlertStatus.OPEN,
        level=0,
        round=0,
        epoch=0,
        policy_version=policy["version"],
        link_base=base_url,
        created_at=now,
        last_report_at=now,
    )
    session.add(alert)
    session.flush()
    audit_case(
        session, alert, "alert.raised", detail={"urgency": urgency, "rules": rule_ids}, now=now
    )
    if urgency in PAGED:
        escalation.page_level(session, alert, policy, now=now, outbox_policy=outbox_policy)
    return alert
