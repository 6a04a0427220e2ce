"""plan(): one table per rule ID (clinical-rules §1.3, §1.4), DST, and properties (hypothesis)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.planning import DoseFact, Facts, add_months, local_to_utc, plan, window_end
from schedules.rules import DEFAULT_RULES, RULES_BY_ID

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def dose(day: date, cycle=1, cycle_day=1, zone="America/New_York", end_minutes=60):
    start = local_to_utc(day, time(10, 0), zone)
    return DoseFact(day, start, start + timedelta(minutes=end_minutes), cycle, cycle_day)


def facts(**kw):
    base = dict(
        patient_id=7,
        timezone="America/New_York",
        sex="female",
        reproductive_potential=True,
        partner_reproductive_potential=False,
        breastfeeding=False,
        enrolled_on=date(2026, 1, 2),
    )
    return Facts(**(base | kw))


def occurrences(f, rule_id, kind="reminder"):
    return [o for o in plan(f, DEFAULT_RULES, EPOCH) if o.rule_id == rule_id and o.kind == kind]


@pytest.mark.parametrize(
    "last, months, end",
    [
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2026, 1, 31), 5, date(2026, 6, 30)),  # clamped
        (date(2026, 1, 31), 8, date(2026, 9, 30)),  # clamped
        (date(2026, 3, 15), 2, date(2026, 5, 15)),
        (date(2026, 3, 15), 5, date(2026, 8, 15)),
        (date(2026, 3, 15), 8, date(2026, 11, 15)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),  # 59 days: the clamp the spec warns about
        (date(2027, 12, 31), 2, date(2028, 2, 29)),  # leap year
    ],
)
def test_section_1_4_examples(last, months, end):
    """D-1: the end day is the clamped calendar date, covered inclusively."""
    assert window_end(last, months) == end
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


@pytest.mark.parametrize(
    "rule_id, patient, months",
    [
        ("R-CONTRA-F", dict(sex="female", reproductive_potential=True), 8),
        (
            "R-CONTRA-M",
            dict(sex="male", reproductive_potential=False, partner_reproductive_potential=True),
            5,
        ),
        ("R-LACT", dict(sex="female", reproductive_potential=False, breastfeeding=True), 2),
        ("R-PREG", dict(sex="female", reproductive_potential=True), 8),
        (
            "R-PREG",
            dict(sex="male", reproductive_potential=False, partner_reproductive_potential=True),
            5,
        ),
    ],
)
def test_window_rules_run_monthly_to_the_inclusive_end(rule_id, patient, months):
    doses = (dose(date(2026, 1, 5)), dose(date(2026, 1, 31), cycle_day=8))
    f = facts(doses=doses, treatment_ended_on=date(2026, 1, 31), **patient)
    found = occurrences(f, rule_id)
    end = window_end(date(2026, 1, 31), months)
    assert [o.local_date for o in found] == [
        add_months(date(2026, 1, 5), k)
        for k in range(months + 1)
        if add_months(date(2026, 1, 5), k) <= end
    ]
    if rule_id != "R-PREG":  # "ask before stopping" on the first free day, never an all-clear
        assert [o.local_date for o in occurrences(f, rule_id, "window_end")] == [
            end + timedelta(days=1)
        ]


@pytest.mark.parametrize(
    "rule_id, patient",
    [
        ("R-CONTRA-F", dict(sex="female", reproductive_potential=False)),
        ("R-CONTRA-F", dict(sex="male", reproductive_potential=True)),
        ("R-CONTRA-M", dict(sex="male", partner_reproductive_potential=False)),
        ("R-CONTRA-M", dict(sex="female", reproductive_potential=True)),
        ("R-LACT", dict(sex="female", reproductive_potential=False, breastfeeding=False)),
        ("R-LACT", dict(sex="male")),
        ("R-PREG", dict(sex="female", reproductive_potential=False)),
    ],
)
def test_rules_follow_the_patients_facts(rule_id, patient):
    assert occurrences(facts(doses=(dose(date(2026, 1, 5)),), **patient), rule_id) == []


@pytest.mark.parametrize(
    "patient",
    [
        dict(sex="female", reproductive_potential=True, breastfeeding=False),
        dict(sex="female", reproductive_potential=False, breastfeeding=True),
    ],
)
def test_r_lact_counsels_every_woman_who_could_be_nursing(patient):
    """SEED-0 §17 "Advise women against breastfeeding": not only one recorded as nursing today."""
    assert occurrences(facts(doses=(dose(date(2026, 1, 5)),), **patient), "R-LACT")


def test_window_end_waits_for_treatment_end():
    f = facts(doses=(dose(date(2026, 1, 5)),))
    assert occurrences(f, "R-CONTRA-F", "window_end") == []  # last dose still provisional


def test_r_lft_hsct_weekly_to_day_28_then_every_14_days_to_day_100():
    found = occurrences(facts(hsct_date=date(2026, 3, 1)), "R-LFT-HSCT")
    offsets = [(o.local_date - date(2026, 3, 1)).days for o in found]
    assert offsets == [7, 14, 21, 28, 42, 56, 70, 84, 98]


def test_r_weight_daily_in_the_vod_window():
    f = facts(doses=(dose(date(2026, 1, 5)), dose(date(2026, 1, 12), cycle_day=8)))
    days = [o.local_date for o in occurrences(f, "R-WEIGHT")]
    assert days[0] == date(2026, 1, 5) and days[-1] == date(2026, 1, 12) + timedelta(days=56)
    assert len(days) == 7 + 56 + 1
    hsct = [o.local_date for o in occurrences(facts(hsct_date=date(2026, 5, 1)), "R-WEIGHT")]
    assert hsct[-1] == date(2026, 5, 1) + timedelta(days=100)


def test_r_irr_60_minutes_after_each_infusion_ends():
    with_end, without_end = dose(date(2026, 1, 5), end_minutes=70), dose(date(2026, 1, 12), 1, 8)
    without_end = DoseFact(without_end.administered_on, without_end.infusion_started_at, None, 1, 8)
    found = occurrences(facts(doses=(with_end, without_end)), "R-IRR")
    assert found[0].due_at == with_end.infusion_ended_at + timedelta(minutes=60)
    assert found[1].due_at == without_end.infusion_started_at + timedelta(minutes=120)


@pytest.mark.parametrize(
    "last, expected",
    [
        ((1, 1), 7),
        ((1, 8), 7),
        ((1, 15), 7),  # cycle 1: 21 days
        ((2, 15), 14),  # later cycles: 28 days
    ],
)
def test_r_cbc_before_the_expected_next_dose(last, expected):
    cycle, cycle_day = last
    f = facts(doses=(dose(date(2026, 2, 2), cycle, cycle_day),))
    found = occurrences(f, "R-CBC")
    assert [o.local_date for o in found] == [date(2026, 2, 2) + timedelta(days=expected - 1)]
    assert occurrences(facts(doses=f.doses, treatment_ended_on=date(2026, 2, 2)), "R-CBC") == []


def test_r_ecg_before_the_first_dose_only():
    assert [o.local_date for o in occurrences(facts(), "R-ECG")] == [date(2026, 1, 2)]
    assert occurrences(facts(doses=(dose(date(2026, 1, 5)),)), "R-ECG") == []


@pytest.mark.parametrize(
    "zone, day, wall, expected_utc",
    [
        (
            "America/New_York",
            date(2026, 3, 8),
            time(2, 30),
            datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        ),
        (
            "America/New_York",
            date(2026, 11, 1),
            time(1, 30),
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        ),
        ("Europe/London", date(2026, 3, 29), time(1, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        (
            "Europe/London",
            date(2026, 10, 25),
            time(1, 30),
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            time(2, 15),
            datetime(2026, 10, 3, 15, 45, tzinfo=UTC),
        ),
    ],
)
def test_dst_nonexistent_moves_forward_ambiguous_fires_once(zone, day, wall, expected_utc):
    assert local_to_utc(day, wall, zone) == expected_utc
    local = expected_utc.astimezone(ZoneInfo(zone))
    assert local.date() == day and local.time() >= wall


ZONES = st.sampled_from(
    [
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "UTC",
        "Asia/Kolkata",
        "America/Sao_Paulo",
    ]
)


@st.composite
def patients(draw):
    zone = draw(ZONES)
    first = draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    gaps = draw(st.lists(st.integers(6, 30), max_size=5))
    days, d = [first], first
    for gap in gaps:
        d += timedelta(days=gap)
        days.append(d)
    doses = tuple(dose(day, 1 + i // 3, (1, 8, 15)[i % 3], zone) for i, day in enumerate(days))
    sex = draw(st.sampled_from(["female", "male"]))
    return facts(
        timezone=zone,
        sex=sex,
        reproductive_potential=draw(st.booleans()),
        partner_reproductive_potential=sex == "male" and draw(st.booleans()),
        breastfeeding=sex == "female" and draw(st.booleans()),
        doses=doses,
        hsct_date=draw(st.none() | st.just(days[-1] + timedelta(days=40))),
        treatment_ended_on=draw(st.none() | st.just(days[-1])),
    )


@settings(max_examples=150, deadline=None)
@given(patients())
def test_plan_properties(f):
    occurrences = plan(f, DEFAULT_RULES, EPOCH)
    keys = [o.key for o in occurrences]
    assert len(keys) == len(set(keys))  # no duplicates
    assert plan(f, DEFAULT_RULES, EPOCH) == occurrences  # re-planning is idempotent
    zone = ZoneInfo(f.timezone)
    for o in occurrences:
        rule = RULES_BY_ID[o.rule_id]
        local = o.due_at.astimezone(zone)
        if "time_of_day" in rule.params:  # on its local day, at or just after its time (DST)
            wanted = datetime.combine(o.local_date, time.fromisoformat(rule.params["time_of_day"]))
            assert timedelta(0) <= local.replace(tzinfo=None) - wanted <= timedelta(hours=1)
        if rule.kind == "window":
            months = (
                (
                    rule.params["months_female"]
                    if f.sex == "female"
                    else rule.params["months_partner"]
                )
                if o.rule_id == "R-PREG"
                else (rule.params["months"])
            )
            end = window_end(f.last_dose, months)
            # The window covers at least N calendar months after the last dose...
            assert end >= f.last_dose + relativedelta(months=months) - timedelta(days=0)
            assert (end - f.last_dose).days >= 28 * months
            if o.kind == "reminder":  # ...and every reminder falls inside it
                assert f.first_dose <= o.local_date <= end
            else:
                assert o.local_date == end + timedelta(days=1)


def test_r_ecg_is_planned_for_a_patient_enrolled_after_its_slot():
    """Issue 10, item 7: enrolled at 15:50 in Etc/GMT-5, after the 10:00 slot: R-ECG is still
    planned, due at once (the release sends it now, quiet hours permitting)."""
    f = facts(timezone="Etc/GMT-5", enrolled_on=date(2026, 6, 1))
    now = local_to_utc(date(2026, 6, 1), time(15, 50), "Etc/GMT-5")
    ecg = [o for o in plan(f, DEFAULT_RULES, now) if o.rule_id == "R-ECG"]
    assert [o.due_at for o in ecg] == [local_to_utc(date(2026, 6, 1), time(10), "Etc/GMT-5")]
    tomorrow = now + timedelta(days=1)  # past the catch-up window: gone, not sent a day late
    assert [o for o in plan(f, DEFAULT_RULES, tomorrow) if o.rule_id == "R-ECG"] == []


def test_a_transplant_recorded_after_its_day_7_slot_keeps_the_day_7_liver_tests():
    """R-LFT-HSCT: HSCT recorded at 13:00 for a date 7 days ago; day +7 at 09:00 has passed."""
    hsct = date(2026, 6, 1)
    f = facts(doses=(dose(date(2026, 5, 1)),), hsct_date=hsct)
    now = local_to_utc(hsct + timedelta(days=7), time(13, 0), "America/New_York")
    lft = [o.local_date for o in plan(f, DEFAULT_RULES, now) if o.rule_id == "R-LFT-HSCT"]
    assert lft[:2] == [hsct + timedelta(days=7), hsct + timedelta(days=14)]


def test_a_missed_daily_weigh_in_is_not_caught_up_when_tomorrows_is_near():
    """R-WEIGHT: at 15:00, today's 08:00 prompt is moot; tomorrow's 08:00 stands."""
    day = date(2026, 6, 1)
    f = facts(doses=(dose(day - timedelta(days=1)),))
    now = local_to_utc(day, time(15, 0), "America/New_York")
    weights = [o.local_date for o in plan(f, DEFAULT_RULES, now) if o.rule_id == "R-WEIGHT"]
    assert weights[0] == day + timedelta(days=1)
