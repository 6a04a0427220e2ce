"""One table per rule ID of clinical-rules §2, at its boundaries (pure engine, fixed clock)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from clinical.values import DEFAULTS
from triage.engine import Facts, Item, Readings, in_vod_window, triage, triage_lab
from triage.reports import to_celsius, to_kg

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
TODAY = NOW.date()
S = DEFAULTS
NO_READINGS = Readings()
IN_VOD = Facts(first_dose=date(2026, 3, 1), last_dose=date(2026, 3, 8), baseline_weight_kg=D("60"))
NO_VOD = Facts(first_dose=date(2025, 1, 1), last_dose=date(2025, 2, 1), baseline_weight_kg=D("60"))


def run(*items, facts=IN_VOD, readings=NO_READINGS, now=NOW):
    return triage(list(items), facts, readings, S, now, now.date())


def temp(celsius, *details):
    return Item("temperature", value=D(celsius), details=frozenset(details))


@pytest.mark.parametrize(
    "celsius, urgency, advice",
    [
        ("37.9", "none", []),
        ("38.0", "urgent", ["urgent_infection", "fever_recheck"]),  # single >= 38.0: recheck in 1 h
        ("38.2", "urgent", ["urgent_infection", "fever_recheck"]),
        ("38.3", "urgent", ["urgent_infection"]),  # IDSA/ASCO: >= 38.3 once
    ],
)
def test_t_fev_temperature_boundaries(celsius, urgency, advice):
    result = run(temp(celsius))
    assert result.urgency == urgency
    assert result.advice == advice
    assert result.rule_ids == (["T-FEV"] if urgency != "none" else [])


@pytest.mark.parametrize(
    "fahrenheit, celsius",
    [
        ("100.2", "37.89"),
        ("100.4", "38.00"),
        ("100.9", "38.28"),
        ("101.0", "38.33"),
    ],
)
def test_fahrenheit_is_converted_before_the_rules(fahrenheit, celsius):
    assert to_celsius(D(fahrenheit), "F") == D(celsius)


def test_t_fev_sustained_over_an_hour_is_idsa_fever():
    earlier = Readings(temperatures=((NOW - timedelta(minutes=61), D("38.1")),))
    assert run(temp("38.1"), readings=earlier).advice == ["urgent_infection"]  # no recheck
    broken = Readings(
        temperatures=(
            (NOW - timedelta(minutes=61), D("38.1")),
            (NOW - timedelta(minutes=30), D("37.6")),
        )
    )
    assert "fever_recheck" in run(temp("38.1"), readings=broken).advice
    too_recent = Readings(temperatures=((NOW - timedelta(minutes=59), D("38.1")),))
    assert "fever_recheck" in run(temp("38.1"), readings=too_recent).advice


@pytest.mark.parametrize(
    "extra",
    [
        Item("fever", details=frozenset({"rigors"})),
        Item("fever", details=frozenset({"confusion"})),
        Item("fainting"),
        Item("breathing"),
    ],
)
def test_t_fev_with_danger_signs_is_an_emergency(extra):
    assert run(temp("38.0"), extra).urgency == "emergency"


def test_t_fev_reported_without_a_reading_is_urgent():
    assert run(Item("fever")).urgency == "urgent"


@pytest.mark.parametrize(
    "weight, urgency, rules",
    [
        ("61.20", "none", []),  # +2.0 %: not > 2
        ("61.21", "routine", ["W-2"]),  # > 2 % alone: recheck tomorrow
        ("62.99", "routine", ["W-2"]),
        ("63.00", "urgent", ["W-1"]),  # >= 5 %
    ],
)
def test_w1_w2_weight_against_baseline(weight, urgency, rules):
    result = run(Item("weight", value=D(weight)))
    assert (result.urgency, result.rule_ids) == (urgency, rules)


def test_w2_with_an_abdominal_symptom_is_urgent():
    result = run(Item("weight", value=D("61.5")), Item("abdominal_swelling"))
    assert result.urgency == "urgent" and {"W-2", "T-ABD"} <= set(result.rule_ids)


def test_pounds_are_converted_before_the_rules():
    assert to_kg(D("138.89"), "lb") == D("63.00")  # 5 % over a 60 kg baseline
    assert run(Item("weight", value=to_kg(D("138.89"), "lb"))).rule_ids == ["W-1"]
    assert run(Item("weight", value=to_kg(D("138.8"), "lb"))).rule_ids == ["W-2"]


def test_weight_rules_apply_only_in_the_vod_window():
    assert run(Item("weight", value=D("66")), facts=NO_VOD).urgency == "none"
    assert in_vod_window(IN_VOD, date(2026, 3, 8) + timedelta(days=56), S)
    assert not in_vod_window(IN_VOD, date(2026, 3, 8) + timedelta(days=57), S)
    hsct = Facts(hsct_date=date(2026, 1, 1))
    assert in_vod_window(hsct, date(2026, 4, 11), S)  # day +100
    assert not in_vod_window(hsct, date(2026, 4, 12), S)


def test_hsct_baseline_replaces_the_treatment_baseline():
    facts = Facts(
        first_dose=date(2026, 3, 1),
        last_dose=date(2026, 3, 8),
        hsct_date=date(2026, 3, 9),
        baseline_weight_kg=D("60"),
        baseline_weight_hsct_kg=D("65"),
    )
    assert run(Item("weight", value=D("63.5")), facts=facts).urgency == "none"


def daily(*kg):
    return Readings(
        weights=tuple((NOW - timedelta(days=len(kg) - i), D(w)) for i, w in enumerate(kg))
    )


def test_w3_rises_on_three_consecutive_days():
    assert (
        "W-3"
        in run(Item("weight", value=D("60.6")), readings=daily("60.0", "60.2", "60.4")).rule_ids
    )
    assert (
        "W-3"
        not in run(Item("weight", value=D("60.6")), readings=daily("60.0", "60.2", "60.2")).rule_ids
    )
    assert (
        "W-3" not in run(Item("weight", value=D("60.6")), readings=daily("60.2", "60.4")).rule_ids
    )


def test_w4_two_percent_above_the_seven_day_minimum():
    week = daily("59.0", "58.5", "59.5", "59.0", "59.0", "59.0", "59.0")
    assert "W-4" in run(Item("weight", value=D("59.67")), readings=week).rule_ids  # 58.5 * 1.02
    assert "W-4" not in run(Item("weight", value=D("59.66")), readings=week).rule_ids


@pytest.mark.parametrize(
    "items, urgency, rule",
    [
        ([Item("weight_gain")], "urgent", "T-WT"),
        ([Item("abdominal_swelling")], "urgent", "T-ABD"),
        ([Item("abdominal_swelling"), Item("breathing")], "emergency", "T-ABD"),
        ([Item("yellow_skin")], "urgent", "T-JAUN"),
        ([Item("chills")], "urgent", "T-CHILL"),
        ([Item("rash")], "routine", "T-RASH"),
        ([Item("rash", details=frozenset({"pinpoint_or_purple_spots"}))], "urgent", "T-RASH"),
        ([Item("rash", details=frozenset({"face_lip_throat_swelling"}))], "emergency", "T-RASH"),
        ([Item("breathing")], "urgent", "T-BREATH"),
        ([Item("breathing", severity=2)], "urgent", "T-BREATH"),
        ([Item("breathing", severity=3)], "emergency", "T-BREATH"),
        ([Item("breathing", details=frozenset({"at_rest"}))], "emergency", "T-BREATH"),
        ([Item("bleeding", details=frozenset({"nose_or_gum"}))], "urgent", "T-BLEED"),
        ([Item("bleeding", details=frozenset({"vomiting_blood"}))], "emergency", "T-BLEED"),
        ([Item("bleeding", details=frozenset({"black_or_bloody_stool"}))], "emergency", "T-BLEED"),
        ([Item("dizziness")], "urgent", "T-DIZZ"),
        ([Item("fainting")], "emergency", "T-SYNC"),
        ([Item("pregnancy")], "urgent", "T-PREG"),
        ([Item("infection")], "urgent", "T-INF"),
        ([Item("new_medicine")], "routine", "T-MED"),
    ],
)
def test_symptom_rules(items, urgency, rule):
    result = run(*items, facts=NO_VOD)
    assert result.urgency == urgency
    assert rule in result.rule_ids


@pytest.mark.parametrize(
    "pain, facts, urgency",
    [
        (Item("abdominal_pain", severity=2), NO_VOD, "routine"),
        (Item("abdominal_pain", severity=3), NO_VOD, "urgent"),  # severe
        (Item("abdominal_pain", details=frozenset({"right_upper"})), NO_VOD, "urgent"),  # RUQ
        (Item("abdominal_pain", severity=1), IN_VOD, "urgent"),  # in R-VOD-WIN
    ],
)
def test_t_pain(pain, facts, urgency):
    result = run(pain, facts=facts)
    assert result.urgency == urgency and result.rule_ids == ["T-PAIN"]


def test_t_irr_within_24_hours_of_an_infusion():
    facts = Facts(last_infusion_end=NOW - timedelta(hours=23))
    result = run(Item("rash"), facts=facts)
    assert "T-IRR" in result.rule_ids and result.urgency == "urgent"
    assert "infusion" in result.advice
    later = Facts(last_infusion_end=NOW - timedelta(hours=25))
    assert "T-IRR" not in run(Item("rash"), facts=later).rule_ids


@pytest.mark.parametrize(
    "items, facts",
    [
        ((Item("rash"),), Facts(last_infusion_end=NOW - timedelta(hours=23))),  # T-IRR, T-RASH
        ((Item("abdominal_pain", severity=1), temp("38.6")), NO_VOD),  # T-FEV, T-PAIN routine
    ],
)
def test_the_highest_level_wins_in_the_words_too(items, facts):
    """§2.1: an urgent report never says "we will review this by ..." and always says act now."""
    result = run(*items, facts=facts)
    assert result.urgency == "urgent" and len(result.rule_ids) == 2
    assert "routine" not in result.advice
    acts_now = {"urgent_call", "urgent_infection", "urgent_liver", "urgent_bleeding"}
    assert acts_now & set(result.advice)


def test_a_routine_report_keeps_its_review_by_wording():
    result = run(Item("abdominal_pain", severity=1), facts=NO_VOD)
    assert result.urgency == "routine" and result.advice == ["routine"]


def lab(kind, value, unit, uln=None, earlier=(), others=None, facts=IN_VOD):
    return triage_lab(
        kind,
        D(value),
        unit,
        D(uln) if uln else None,
        NOW,
        list(earlier),
        others or {},
        facts,
        S,
        TODAY,
    )


@pytest.mark.parametrize(
    "value, unit, urgent",
    [
        ("1.99", "mg/dL", False),
        ("2.00", "mg/dL", True),
        ("34.2", "umol/L", True),
        ("34", "umol/L", True),  # the spec's own figure: "≥2 mg/dL (34 µmol/L)"
        ("33.9", "umol/L", False),
        ("33.0", "umol/L", False),
    ],
)
def test_l1_bilirubin_in_the_vod_window(value, unit, urgent):
    assert ("L-1" in lab("bilirubin", value, unit).rule_ids) is urgent
    assert "L-1" not in lab("bilirubin", value, unit, facts=NO_VOD).rule_ids


def test_l2_bilirubin_doubles_within_48_hours_or_rises_three_days():
    assert (
        "L-2"
        in lab(
            "bilirubin", "1.2", "mg/dL", earlier=[(NOW - timedelta(hours=47), D("0.6"))]
        ).rule_ids
    )
    assert (
        "L-2"
        not in lab(
            "bilirubin", "1.2", "mg/dL", earlier=[(NOW - timedelta(hours=49), D("0.6"))]
        ).rule_ids
    )
    rising = [(NOW - timedelta(days=3 - i), D(v)) for i, v in enumerate(["0.5", "0.6", "0.7"])]
    assert "L-2" in lab("bilirubin", "0.8", "mg/dL", earlier=rising).rule_ids


def test_l3_dose_interruption_flag():
    others = {"ast": (D("101"), D("40"))}  # 2.525 x ULN
    assert "L-3" in lab("bilirubin", "1.9", "mg/dL", "1.2", others=others, facts=NO_VOD).rule_ids
    low = {"ast": (D("100"), D("40"))}  # 2.5 x ULN: not above
    assert "L-3" not in lab("bilirubin", "1.9", "mg/dL", "1.2", others=low, facts=NO_VOD).rule_ids


@pytest.mark.parametrize(
    "ms, urgency", [("480", "none"), ("481", "routine"), ("500", "routine"), ("501", "urgent")]
)
def test_l4_qtc(ms, urgency):
    assert lab("qtc", ms, "ms").urgency == urgency
