"""One validation for every clinic-tunable clinical value (issue 10, item 10): label minimums
are enforced, sourced thresholds only made stricter, PROPOSED values kept within sane limits,
coherence checked, and every 422 states the limit."""

from decimal import Decimal

import pytest

from clinical.parameters import RULE_PARAMS, TRIAGE, check
from tests.factories import auth, make_clinic, make_staff
from triage.engine import Settings
from triage.settings import clinic_settings


@pytest.fixture
def admin(app):
    return make_staff(make_clinic(), role="admin")


def test_the_registry_defaults_are_the_engines_defaults():
    for parameter in TRIAGE:
        assert getattr(Settings(), parameter.name) == parameter.default, parameter.name


@pytest.mark.parametrize("parameter", TRIAGE + list(RULE_PARAMS.values()), ids=lambda p: p.name)
def test_every_default_is_allowed_and_the_limits_hold(parameter):
    assert check(parameter, parameter.default) == parameter.default
    assert check(parameter, parameter.low) == parameter.low
    step = Decimal("0.1") if parameter.decimal else 1
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
    assert clinic_settings(admin.clinic.triage_settings) == clinic_settings(None)


@pytest.mark.parametrize("raw", ["1e309", "NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_not_stored(client, admin, raw):
    response = client.patch(
        "/api/v1/triage-settings",
        data=f'{{"fever_once_c": {raw}}}',
        headers=auth(admin) | {"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert admin.clinic.triage_settings in (None, {})


@pytest.mark.parametrize(
    "rule, params, message",
    [
        ("R-LFT-HSCT", {"until_day": 20}, "At least 28 days after HSCT"),  # below weekly_until
        ("R-LFT-HSCT", {"then_every_days": 365}, "At most 28 days"),
        ("R-WEIGHT", {"days_after_hsct": 10}, "At least 30 days after HSCT"),
        ("R-CONTRA-F", {"cadence_months": 12}, "At most 3 months"),
        ("R-PREG", {"months_partner": 2}, "At least 5 months"),
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
