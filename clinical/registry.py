"""Every clinic-tunable clinical value, once: default, unit, source, PROPOSED or not, limits.

Names are the triage engine's (`fever_once_c`), `<rule id>.<param>` for the reminder rules
(`R-LFT-HSCT.until_day`), and `escalation.<...>` for the limits of escalation policies. Values
with a source may only be made stricter (a label minimum lengthened, a guideline threshold
lowered); PROPOSED ones move within the range given. Sources: ../shared/clinical-rules.md.
"""

from decimal import Decimal as D

from clinical.parameters import Parameter

STRICTER = "a clinic may make it stricter, never looser"
LONGER = "the label's minimum: a clinic may lengthen it, never shorten it"
NORMAL = "within the normal range"


def _p(name, default, unit, source, proposed, low, high, why_low="", why_high=""):
    return Parameter(name, default, unit, source, proposed, low, high, why_low, why_high)


def _time(rule_id: str, default: str, source: str = "PROPOSED (time of day)") -> Parameter:
    return Parameter(f"{rule_id}.time_of_day", default, "local time", source, True, None, None)


def _window(rule_id: str, months: int, months_name: str = "months") -> list[Parameter]:
    return [
        _p(
            f"{rule_id}.{months_name}",
            months,
            "months",
            f"{rule_id}, SEED-0/1",
            False,
            months,
            24,
            LONGER,
        ),
        _p(
            f"{rule_id}.cadence_months",
            1,
            "months",
            "PROPOSED (§1.3: monthly)",
            True,
            1,
            3,
            "",
            "a window reminder at least every 3 months",
        ),
        _time(rule_id, "10:00"),
    ]


# fmt: off
TRIAGE = [
    _p("fever_once_c", D("38.3"), "°C", "IDSA/ASCO (REF-10)", False, D("37.5"), D("38.3"),
       "below a normal temperature", STRICTER),
    _p("fever_sustained_c", D("38.0"), "°C", "IDSA/ASCO (REF-10)", False, D("37.5"), D("38.0"),
       "below a normal temperature", STRICTER),
    _p("fever_sustained_minutes", 60, "minutes", "IDSA/ASCO (REF-10)", False, 15, 60,
       "too short to be sustained", STRICTER),
    _p("weight_urgent_pct", D("5"), "%", "PROPOSED (W-1)", True, D("2"), D("10")),
    _p("weight_watch_pct", D("2"), "%", "PROPOSED (W-2)", True, D("1"), D("5")),
    _p("weight_rise_days", 3, "days", "PROPOSED (W-3, pediatric EBMT element)", True, 2, 5),
    _p("weight_above_min_pct", D("2"), "%", "PROPOSED (W-4)", True, D("1"), D("5")),
    _p("weight_min_window_days", 7, "days", "PROPOSED (W-4)", True, 3, 14),
    # R-VOD-WIN: read by the VOD triage rules and by R-WEIGHT's daily prompt alike.
    _p("vod_days_after_last_dose", 56, "days",
       "R-VOD-WIN (a), SEED-1: latest observed onset, not a safe bound", False, 56, 180, LONGER),
    _p("vod_days_after_hsct", 100, "days", "PROPOSED (R-VOD-WIN b)", True, 30, 365,
       "most VOD after HSCT begins by day 30 (REF-8)"),
    _p("infusion_tail_hours", 24, "hours", "PROPOSED (T-IRR)", True, 1, 72,
       "the label's own watch is the hour after the infusion"),
    # R-IRR and T-IRR: an infusion recorded without its end.
    _p("infusion_missing_end_minutes", 60, "minutes", "PROPOSED (R-IRR: start + 60 min)", True,
       60, 240, "the infusion lasts an hour (REF-4)"),
    _p("bilirubin_vod_mg_dl", D("2"), "mg/dL", "REF-6, REF-7 (L-1)", False, D("1"), D("2"),
       NORMAL, STRICTER),
    _p("qtc_urgent_ms", 500, "ms", "REF-11 (L-4)", False, 450, 500, NORMAL, STRICTER),
]

RULES = [
    *_window("R-CONTRA-F", 8),
    *_window("R-CONTRA-M", 5),
    *_window("R-LACT", 2),
    *_window("R-PREG", 8, "months_female"),
    _p("R-PREG.months_partner", 5, "months", "PROPOSED (R-PREG, mirrors R-CONTRA-M)", True, 5,
       12, "not shorter than R-CONTRA-M's 5 months"),
    _p("R-LFT-HSCT.weekly_until_day", 28, "days after HSCT",
       "SEED-1, REF-5 (PROPOSED reading of the first month)", False, 28, 100, LONGER),
    _p("R-LFT-HSCT.then_every_days", 14, "days", "PROPOSED (R-LFT-HSCT)", True, 7, 28, "",
       "liver tests at least every 4 weeks to the end"),
    _p("R-LFT-HSCT.until_day", 100, "days after HSCT", "PROPOSED (R-LFT-HSCT)", True, 28, 365,
       "the label's weekly tests run to day +28"),
    _time("R-LFT-HSCT", "09:00"),
    # A liver-test reminder must not go unread: a push not opened by then is sent again as SMS.
    _p("R-LFT-HSCT.push_fallback_minutes", 120, "minutes", "PROPOSED (push not opened: SMS)",
       True, 15, 720, "", "the reminder is still read the same day"),
    _time("R-WEIGHT", "08:00"),
    _p("R-IRR.minutes_after_end", 60, "minutes", "SEED-1, REF-4 (end + at least 60 min)", False,
       60, 240, LONGER),
    _p("R-CBC.days_before", 1, "days", "PROPOSED (R-CBC)", True, 0, 2, "",
       "the count is due in the 2 days before the dose"),
    _p("R-CBC.cycle1_days", 21, "days", "REF-4 (21, or 28)", True, 21, 28,
       "cycle 1 lasts 21 or 28 days (REF-4)", "cycle 1 lasts 21 or 28 days (REF-4)"),
    _p("R-CBC.cycle_days", 28, "days", "REF-4", False, 28, 28, "cycles 2-6 last 28 days",
       "cycles 2-6 last 28 days"),
    _time("R-CBC", "09:00"),
    _time("R-ECG", "10:00"),
]

ESCALATION = [
    # clinical-rules §2.1: an urgent report gets a callback within 30 minutes (PROPOSED), so no
    # level may wait longer than that before the next is paged.
    _p("escalation.urgent_timeout_minutes", 10, "minutes", "PROPOSED (§2.1: 30-min callback)",
       True, 1, 30, "", "the urgent callback target is 30 minutes"),
    _p("escalation.emergency_timeout_minutes", 5, "minutes", "PROPOSED (§2.1)", True, 1, 15, "",
       "an emergency cannot wait longer for the next person"),
]
# fmt: on

REGISTRY = {p.name: p for p in TRIAGE + RULES + ESCALATION}
