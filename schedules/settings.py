"""Clinic admins' changes to the reminder rules: PROPOSED values, cadence, time of day, texts;
custom (non-label) reminders. Label minimums are never shortened. Every change is a version."""

from datetime import datetime

from sqlalchemy import func, select

from clinical.parameters import CUSTOM_PARAMS, RULE_PARAMS, check
from models import ScheduleRuleSetting
from models.errors import DomainError, NotFound
from schedules.reconcile import effective_rules, replan_clinic
from schedules.rules import RULES_BY_ID, parse_time


def describe_rules(session, clinic_id: int) -> list[dict]:
    versions = dict(
        session.execute(
            select(ScheduleRuleSetting.rule_id, func.max(ScheduleRuleSetting.version))
            .where(ScheduleRuleSetting.clinic_id == clinic_id)
            .group_by(ScheduleRuleSetting.rule_id)
        ).all()
    )
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "title": r.title,
            "source": r.source,
            "label_section": r.label_section,
            "params": r.params,
            "defaults": RULES_BY_ID[r.id].params if r.id in RULES_BY_ID else r.params,
            "proposed": list(r.proposed),
            "minimums": r.minimums,
            "enabled": r.enabled,
            "custom": r.custom,
            "texts": r.texts,
            "version": versions.get(r.id, 0),
        }
        for r in effective_rules(session, clinic_id)
    ]


def _check_params(rule, params: dict) -> dict:
    """Errors by name: only PROPOSED values change, each within its limits (clinical.parameters);
    a custom rule's own values within theirs."""
    errors = {}
    for name, value in params.items():
        spec = RULE_PARAMS.get(f"{rule.id}.{name}") or (
            CUSTOM_PARAMS.get(name) if rule.custom else None
        )
        if name not in rule.proposed:
            errors[name] = [f"{rule.id}: {name} is not a PROPOSED value; it cannot be changed."]
        elif name == "time_of_day":
            try:
                parse_time(value)
            except (ValueError, AttributeError, TypeError):
                errors[name] = ["Use HH:MM, 24-hour."]
        elif spec is None:
            errors[name] = [f"{rule.id}: {name} cannot be changed here."]
        else:
            try:
                check(spec, value)
            except ValueError as exc:
                errors[name] = [f"{rule.id}: {exc}"]
    return errors


def change_rule(
    session, clinic_id: int, rule_id: str, changes: dict, *, staff_id: int, now: datetime
) -> None:
    rules = {r.id: r for r in effective_rules(session, clinic_id)}
    rule = rules.get(rule_id)
    if rule is None:
        raise NotFound("Rule not found.")
    errors = _check_params(rule, changes.get("params", {}))
    if changes.get("enabled") is False and not rule.custom:
        errors["enabled"] = [f"{rule_id} comes from the label and cannot be switched off."]
    if errors:
        raise DomainError("The change would break the label's rules.", errors)
    # A label rule's version stores only the clinic's overrides; a custom rule stores itself.
    latest = _latest(session, clinic_id, rule_id)
    params = dict(latest.params) if latest else {}
    texts = dict(latest.texts) if latest else {}
    _new_version(
        session,
        clinic_id,
        rule_id,
        staff_id=staff_id,
        now=now,
        params=params | changes.get("params", {}),
        texts=texts | changes.get("texts", {}),
        enabled=changes.get("enabled", rule.enabled),
        custom=latest.custom if latest else None,
    )
    replan_clinic(session, clinic_id, now=now)


def add_custom_rule(session, clinic_id: int, data: dict, *, staff_id: int, now: datetime) -> str:
    count = session.scalar(
        select(func.count(func.distinct(ScheduleRuleSetting.rule_id))).where(
            ScheduleRuleSetting.clinic_id == clinic_id, ScheduleRuleSetting.custom.is_not(None)
        )
    )
    rule_id = f"CUSTOM-{count + 1}"
    texts = {"reminder": {"en": data["text_en"], "es": data.get("text_es") or data["text_en"]}}
    params = {
        "every_days": data["every_days"],
        "time_of_day": data["time_of_day"],
        "until_days_after_last_dose": data["until_days_after_last_dose"],
    }
    _new_version(
        session,
        clinic_id,
        rule_id,
        staff_id=staff_id,
        now=now,
        params=params,
        texts=texts,
        enabled=True,
        custom={"title": data["title"]},
    )
    replan_clinic(session, clinic_id, now=now)
    return rule_id


def _latest(session, clinic_id, rule_id):
    return session.scalars(
        select(ScheduleRuleSetting)
        .where(ScheduleRuleSetting.clinic_id == clinic_id, ScheduleRuleSetting.rule_id == rule_id)
        .order_by(ScheduleRuleSetting.version.desc())
    ).first()


def _new_version(session, clinic_id, rule_id, *, staff_id, now, **values):
    latest = _latest(session, clinic_id, rule_id)
    session.add(
        ScheduleRuleSetting(
            clinic_id=clinic_id,
            rule_id=rule_id,
            version=(latest.version if latest else 0) + 1,
            created_by_id=staff_id,
            created_at=now,
            **values,
        )
    )
    session.flush()
