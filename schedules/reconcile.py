"""Keep each patient's stored reminders equal to what plan() wants: add new occurrences, move
planned ones whose time changed, cancel planned ones no longer wanted, never touch released,
cancelled or expired ones. Runs in the transaction of the change that made it necessary."""

from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from clinical.settings import clinic_parameters
from clinical.values import Parameters
from models import Dose, Patient, Reminder, ScheduleRuleSetting
from models.vocabulary import PatientStatus, ReminderStatus
from schedules.planning import DoseFact, Facts, plan
from schedules.rules import DEFAULT_RULES, RULES_BY_ID, Rule

CHUNK = 500


def effective_rules(session, clinic_id: int, parameters: Parameters | None = None) -> list[Rule]:
    """The label's rules with the clinic's values (clinical.settings) and its newest texts and
    switches, plus the clinic's custom rules."""
    parameters = parameters or clinic_parameters(session, clinic_id)
    latest = {}
    for setting in session.scalars(
        select(ScheduleRuleSetting)
        .where(ScheduleRuleSetting.clinic_id == clinic_id)
        .order_by(ScheduleRuleSetting.version)
    ):
        latest[setting.rule_id] = setting
    rules = []
    for rule in DEFAULT_RULES:
        setting, rule = latest.get(rule.id), rule.resolved(parameters)
        rules.append(
            rule if setting is None else rule.with_overrides(None, setting.enabled, setting.texts)
        )
    for rule_id, setting in latest.items():
        if rule_id not in RULES_BY_ID and setting.custom:
            rules.append(custom_rule(rule_id, setting))
    return rules


def custom_rule(rule_id: str, setting: ScheduleRuleSetting) -> Rule:
    return Rule(
        rule_id,
        "interval",
        setting.custom["title"],
        "Clinic (not from the label)",
        "—",
        params=setting.params,
        enabled=setting.enabled,
        custom=True,
        texts=setting.texts,
    )


def facts_for(patient: Patient, doses: list[Dose]) -> Facts:
    return Facts(
        patient_id=patient.id,
        timezone=patient.timezone,
        sex=patient.sex,
        reproductive_potential=patient.reproductive_potential,
        partner_reproductive_potential=patient.partner_reproductive_potential,
        breastfeeding=patient.breastfeeding,
        enrolled_on=patient.created_at.astimezone(ZoneInfo(patient.timezone)).date(),
        doses=tuple(
            DoseFact(
                d.administered_on, d.infusion_started_at, d.infusion_ended_at, d.cycle, d.cycle_day
            )
            for d in doses
        ),
        hsct_date=patient.hsct_date,
        treatment_ended_on=patient.treatment_ended_on,
        active=patient.status == PatientStatus.ACTIVE,
    )


def replan_patients(
    session, patients: list[Patient], *, now: datetime, rules: dict[int, list[Rule]] | None = None
) -> Counter:
    """Re-plan many patients with a few queries per chunk (the benchmark's path too)."""
    stats, rules, values = Counter(), dict(rules or {}), {}
    session.flush()
    for start in range(0, len(patients), CHUNK):
        chunk = patients[start : start + CHUNK]
        ids = [p.id for p in chunk]
        doses, existing = defaultdict(list), defaultdict(dict)
        for dose in session.scalars(select(Dose).where(Dose.patient_id.in_(ids))):
            doses[dose.patient_id].append(dose)
        for reminder in session.scalars(select(Reminder).where(Reminder.patient_id.in_(ids))):
            existing[reminder.patient_id][reminder.occurrence_key] = reminder
        rows = []
        for patient in chunk:
            clinic = patient.clinic_id
            if clinic not in values:
                values[clinic] = clinic_parameters(session, clinic)
            if clinic not in rules:
                rules[clinic] = effective_rules(session, clinic, values[clinic])
            facts = facts_for(patient, doses[patient.id])
            wanted = plan(facts, rules[clinic], now, values[clinic])
            rows += _reconcile(patient, wanted, existing[patient.id], now, stats)
        if rows:
            session.execute(insert(Reminder), rows)
    return stats


def _reconcile(patient, wanted, existing, now, stats) -> list[dict]:
    rows, keys = [], set()
    for occurrence in wanted:
        keys.add(occurrence.key)
        stored = existing.get(occurrence.key)
        if stored is None:
            rows.append(
                dict(
                    patient_id=patient.id,
                    clinic_id=patient.clinic_id,
                    rule_id=occurrence.rule_id,
                    occurrence_key=occurrence.key,
                    kind=occurrence.kind,
                    local_date=occurrence.local_date,
                    ends_on=occurrence.ends_on,
                    planned_at=occurrence.due_at,
                    due_at=occurrence.due_at,
                    status=ReminderStatus.PLANNED,
                    created_at=now,
                    updated_at=now,
                )
            )
            stats["added"] += 1
        elif (
            stored.status == ReminderStatus.CANCELLED
        ):  # wanted again (a corrected date): plan it anew
            stored.status, stored.planned_at, stored.due_at = (
                ReminderStatus.PLANNED,
                occurrence.due_at,
                (occurrence.due_at),
            )
            stored.updated_at = now
            stats["added"] += 1
        elif stored.status == ReminderStatus.PLANNED and stored.planned_at != occurrence.due_at:
            stored.planned_at = stored.due_at = occurrence.due_at
            stored.updated_at = now
            stats["moved"] += 1
        if stored is not None and stored.status == ReminderStatus.PLANNED:
            stored.ends_on = occurrence.ends_on  # a new dose moves a window's end
    for key, stored in existing.items():
        # A reminder whose slot has come is the release's to send (or to defer past quiet hours).
        if key not in keys and stored.status == ReminderStatus.PLANNED and stored.planned_at > now:
            stored.status, stored.updated_at = ReminderStatus.CANCELLED, now
            stats[ReminderStatus.CANCELLED] += 1
    return rows


def replan_patient(session, patient: Patient, *, now: datetime) -> Counter:
    return replan_patients(session, [patient], now=now)


def replan_clinic(session, clinic_id: int, *, now: datetime) -> Counter:
    patients = session.scalars(
        select(Patient)
        .where(Patient.clinic_id == clinic_id, Patient.status == PatientStatus.ACTIVE)
        .order_by(Patient.id)
    ).all()
    return replan_patients(session, list(patients), now=now)
