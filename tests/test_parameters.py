"""One validation for every clinic-tunable clinical value (issue 10, item 10): label minimums
are enforced, sourced thresholds only made stricter, PROPOSED values kept within sane limits,
coherence checked, and every 422 states the limit."""

from decimal import Decimal

import pytest

from clinical.parameters import check
from clinical.registry import REGISTRY
from clinical.settings import clinic_parameters
from clinical.values import DEFAULTS
from models import db
from schedules.rules import DEFAULT_RULES
from tests.factories import auth, make_clinic, make_staff


@pytest.fixture
def admin(app):
    return make_staff(make_clinic(), role="admin")


def test_every_rule_value_has_one_home_in_the_registry():
    """A rule's values are exactly its registry entries: nothing configured twice."""
    for rule in DEFAULT_RULES:
        names = {n for n in REGISTRY if n.startswith(f"{rule.id}.")}
        assert {f"{rule.id}.{n}" for n in rule.params} == names, rule.id
    assert "R-WEIGHT.days_after_hsct" not in REGISTRY  # R-VOD-WIN is vod_days_after_hsct


NUMBERS = [p for p in REGISTRY.values() if p.kind != "time"]


@pytest.mark.parametrize("parameter", NUMBERS, ids=lambda p: p.name)
def test_every_default_is_allowed_and_the_limits_hold(parameter):
    assert check(parameter, parameter.default) == parameter.default
    assert check(parameter, parameter.low) == parameter.low
    step = Decimal("0.1") if parameter.kind == "decimal" else 1
    for outside in (parameter.low - step, parameter.high + step):
        with pytest.raises(ValueError, match="At (least|most)"):
            check(parameter, outside)


@pytest.mark.parametrize(
    "body, name, message",
    [
        # Not PROPOSED: the label's 56-day VOD watch may be lengthened, never shortened.
        ({"vod_days_after_last_dose": 30}, "vod_days_after_last_dose", "At least 56 days"),
        ({"vod_days_after_last_dose": 90}, None, None),
        # A guideline threshold may be made stricter (lower), never looser.
        ({"fever_once_c": 39.5}, "fever_once_c", "At most 38.3 °C"),
        ({"fever_once_c": 38.0}, None, None),
        ({"qtc_urgent_ms": 520}, "qtc_urgent_ms", "At most 500 ms"),
        ({"bilirubin_vod_mg_dl": "2"}, "bilirubin_vod_mg_dl", "Must be a number"),
        # PROPOSED values within their limits; coherence between W-1 and W-2.
        ({"weight_watch_pct": 6}, "weight_watch_pct", "At most 5 %"),
        ({"weight_urgent_pct": 2}, "weight_watch_pct", "below weight_urgent_pct"),
        ({"infusion_tail_hours": 0}, "infusion_tail_hours", "At least 1 hours"),
        ({"weight_rise_days": 2.5}, "weight_rise_days", "whole number"),
        ({"weight_rise_days": True}, "weight_rise_days", "Must be a number"),
    ],
)
def test_triage_settings_follow_the_registry(client, admin, body, name, message):
    response = client.patch("/api/v1/triage-settings", json=body, headers=auth(admin))
    if name is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert message in " ".join(response.json["errors"][name])
    assert clinic_parameters(db.session, admin.clinic_id) == DEFAULTS


@pytest.mark.parametrize("raw", ["1e309", "NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_not_stored(client, admin, raw):
    response = client.patch(
        "/api/v1/triage-settings",
        data=f'{{"fever_once_c": {raw}}}',
        headers=auth(admin) | {"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert clinic_parameters(db.session, admin.clinic_id) == DEFAULTS


@pytest.mark.parametrize(
    "rule, params, message",
    [
        ("R-LFT-HSCT", {"until_day": 20}, "At least 28 days after HSCT"),  # below weekly_until
        ("R-LFT-HSCT", {"then_every_days": 365}, "At most 28 days"),
        ("R-CONTRA-F", {"months": 6}, "At least 8 months"),
        ("R-CONTRA-F", {"cadence_months": 12}, "At most 3 months"),
        ("R-PREG", {"months_partner": 2}, "At least 5 months"),
        ("R-WEIGHT", {"days_after_hsct": 120}, "shared value vod_days_after_hsct"),
        ("R-ECG", {"months": 2}, "R-ECG has no value months"),
        ("R-CBC", {"cycle1_days": 35}, "At most 28 days"),
    ],
)
def test_rule_values_that_undo_label_monitoring_are_refused(client, admin, rule, params, message):
    response = client.patch(
        f"/api/v1/schedule-rules/{rule}", json={"params": params}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert message in str(response.json["errors"])


def test_a_rule_value_inside_its_limits_is_saved(client, admin):
    response = client.patch(
        "/api/v1/schedule-rules/R-LFT-HSCT",
        json={"params": {"then_every_days": 21, "until_day": 120}},
        headers=auth(admin),
    )
    assert response.status_code == 200
    assert response.json["params"]["then_every_days"] == 21


def test_one_vod_window_for_triage_and_the_daily_weigh_in(client, admin):
    """Issue 12: widening R-VOD-WIN (b) for triage widens R-WEIGHT's daily prompts too."""
    from datetime import UTC, date, datetime, time

    from schedules.planning import DoseFact, Facts, local_to_utc, plan
    from schedules.reconcile import effective_rules
    from triage.engine import Facts as TriageFacts
    from triage.engine import in_vod_window

    response = client.patch(
        "/api/v1/triage-settings", json={"vod_days_after_hsct": 150}, headers=auth(admin)
    )
    assert response.status_code == 200 and response.json["version"] == 1
    p = clinic_parameters(db.session, admin.clinic_id)
    start = local_to_utc(date(2026, 1, 5), time(10), "UTC")
    facts = Facts(
        7,
        "UTC",
        "male",
        False,
        False,
        False,
        date(2026, 1, 1),
        (DoseFact(date(2026, 1, 5), start, None, 1, 1),),
        hsct_date=date(2026, 3, 1),
    )
    rules = effective_rules(db.session, admin.clinic_id)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    weights = [o.local_date for o in plan(facts, rules, now, p) if o.rule_id == "R-WEIGHT"]
    assert weights[-1] == date(2026, 7, 29)  # day +150
    triage_facts = TriageFacts(date(2026, 1, 5), date(2026, 1, 5), date(2026, 3, 1))
    assert in_vod_window(triage_facts, date(2026, 7, 29), p)
    assert not in_vod_window(triage_facts, date(2026, 7, 30), p)


def test_escalation_timeouts_keep_the_30_minute_callback_target(client, admin):
    body = {
        "levels": [{"recipients": ["on_call"], "timeout_minutes": {"urgent": 45, "emergency": 5}}],
        "repeat_count": 1,
    }
    response = client.put("/api/v1/escalation-policy", json=body, headers=auth(admin))
    assert response.status_code == 422
    assert "Level 1, urgent: At most 30 minutes" in str(response.json["errors"])
