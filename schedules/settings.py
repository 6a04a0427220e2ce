"""Clinic admins' changes to the reminder rules. A label rule's values (months, days, times of
day) are clinical values: they go through clinical.settings, checked against the registry (label
minimums never shortened, PROPOSED values within their limits); its texts are a version of its
rule setting. Custom (non-label) reminders hold their own values. Every change is a version."""

from datetime import datetime

from sqlalchemy import func, select

from clinical.parameters import Parameter, check
from clinical.settings import change_parameters, clinic_parameters
from models import ScheduleRuleSetting
from models.errors import DomainError, NotFound
from schedules.reconcile import effective_rules, replan_clinic
from schedules.rules import RULES_BY_ID


def describe_rules(session, clinic_id: int) -> list[dict]:
    parameters = clinic_parameters(session, clinic_id)
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
            "values_version": None if r.custom else parameters.version,
        }
        for r in effective_rules(session, clinic_id, parameters)
    ]


# A clinic's own (non-label) reminders: CustomRuleSchema's limits, for later changes too.
CUSTOM_PARAMS = {
    "every_days": Parameter("every_days", 7, "days", "Clinic", True, 1, 90),
    "until_days_after_last_dose": Parameter(
        "until_days_after_last_dose", 0, "days", "Clinic", True, 0, 400
    ),
    "time_of_day": Parameter("time_of_day", "10:00", "local time", "Clinic", True, None, None),
}


def _check_custom(params: dict) -> dict:
    errors = {}
    for name, value in params.items():
        try:
            check(CUSTOM_PARAMS[name], value)
        except KeyError:
            errors[name] = ["Unknown value."]
        except ValueError as exc:
            errors[name] = [str(exc)]
    return errors


# Values that rules share with triage: one home, changed in the triage settings.
SHARED = {
    "days_after_last_dose": "vod_days_after_last_dose",
    "days_after_hsct": "vod_days_after_hsct",
    "missing_end_minutes": "infusion_missing_end_minutes",
}


def _no_such_value(rule_id: str, name: str) -> str:
    if name in SHARED:
        return f"{rule_id} reads the shared value {SHARED[name]}: change it in the triage settings."
    return f"{rule_id} has no value {name}."


def change_rule(
    session, clinic_id: int, rule_id: str, changes: dict, *, staff_id: int, now: datetime
) -> None:
    rules = {r.id: r for r in effective_rules(session, clinic_id)}
    rule = rules.get(rule_id)
    if rule is None:
        raise NotFound("Rule not found.")
    params = changes.get("params", {})
    errors = _check_custom(params) if rule.custom else {}
    if not rule.custom:
        errors |= {n: [_no_such_value(rule_id, n)] for n in params if n not in rule.params}
    if changes.get("enabled") is False and not rule.custom:
        errors["enabled"] = [f"{rule_id} comes from the label and cannot be switched off."]
    if errors:
        raise DomainError("The change would break the label's rules.", errors)
    if params and not rule.custom:  # one validation for every clinical value
        named = {f"{rule_id}.{n}": v for n, v in params.items()}
        change_parameters(session, clinic_id, named, staff_id=staff_id, now=now)
    if rule.custom or "texts" in changes or "enabled" in changes:
        latest = _latest(session, clinic_id, rule_id)
        _new_version(
            session,
            clinic_id,
            rule_id,
            staff_id=staff_id,
            now=now,
            params=(dict(latest.params) | params) if rule.custom else {},
            texts=(dict(latest.texts) if latest else {}) | changes.get("texts", {}),
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
