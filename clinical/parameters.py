"""One registry of the clinic-tunable clinical values, and one validation for all of them.

Each value has its default, unit and source (clinical-rules.md). PROPOSED values (no source
found) may be changed within a sane range. Values with a source may only be made stricter:
a label minimum may be lengthened, never shortened (the 56-day VOD watch); a guideline threshold
may be lowered, never raised (38.3 °C). Every refusal states the limit.
"""

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from models.errors import DomainError


@dataclass(frozen=True)
class Parameter:
    name: str
    default: int | Decimal
    unit: str
    source: str
    proposed: bool
    low: int | Decimal  # the smallest value allowed
    high: int | Decimal  # the largest value allowed
    why_low: str = ""  # said when a value is below `low` (a label minimum, a safety floor)
    why_high: str = ""  # said when a value is above `high`

    @property
    def decimal(self) -> bool:
        return isinstance(self.default, Decimal)


def _d(text: str) -> Decimal:
    return Decimal(text)


STRICTER = "a clinic may make it stricter, never looser"
LONGER = "the label's minimum: a clinic may lengthen it, never shorten it"

TRIAGE = [
    Parameter(
        "fever_once_c",
        _d("38.3"),
        "°C",
        "IDSA/ASCO (REF-10)",
        False,
        _d("37.5"),
        _d("38.3"),
        "below a normal temperature",
        STRICTER,
    ),
    Parameter(
        "fever_sustained_c",
        _d("38.0"),
        "°C",
        "IDSA/ASCO (REF-10)",
        False,
        _d("37.5"),
        _d("38.0"),
        "below a normal temperature",
        STRICTER,
    ),
    Parameter(
        "fever_sustained_minutes",
        60,
        "minutes",
        "IDSA/ASCO (REF-10)",
        False,
        15,
        60,
        "too short to be sustained",
        STRICTER,
    ),
    Parameter("weight_urgent_pct", _d("5"), "%", "PROPOSED (W-1)", True, _d("2"), _d("10")),
    Parameter("weight_watch_pct", _d("2"), "%", "PROPOSED (W-2)", True, _d("1"), _d("5")),
    Parameter("weight_rise_days", 3, "days", "PROPOSED (W-3, pediatric EBMT element)", True, 2, 5),
    Parameter("weight_above_min_pct", _d("2"), "%", "PROPOSED (W-4)", True, _d("1"), _d("5")),
    Parameter("weight_min_window_days", 7, "days", "PROPOSED (W-4)", True, 3, 14),
    Parameter(
        "vod_days_after_last_dose",
        56,
        "days",
        "R-VOD-WIN (a), SEED-1: latest observed onset, not a safe bound",
        False,
        56,
        180,
        LONGER,
    ),
    Parameter(
        "vod_days_after_hsct",
        100,
        "days",
        "PROPOSED (R-VOD-WIN b)",
        True,
        30,
        365,
        "most VOD after HSCT begins by day 30 (REF-8)",
    ),
    Parameter(
        "infusion_tail_hours",
        24,
        "hours",
        "PROPOSED (T-IRR)",
        True,
        1,
        72,
        "the label's own watch is the hour after the infusion",
    ),
    Parameter(
        "bilirubin_vod_mg_dl",
        _d("2"),
        "mg/dL",
        "REF-6, REF-7 (L-1)",
        False,
        _d("1"),
        _d("2"),
        "within the normal range",
        STRICTER,
    ),
    Parameter(
        "qtc_urgent_ms",
        500,
        "ms",
        "REF-11 (L-4)",
        False,
        450,
        500,
        "within the normal range",
        STRICTER,
    ),
]
TRIAGE_BY_NAME = {p.name: p for p in TRIAGE}

# Reminder-rule values a clinic may change ("<rule id>.<param>"); times of day are checked apart.
RULE_PARAMS = {
    f"{rule}.cadence_months": Parameter(
        f"{rule}.cadence_months",
        1,
        "months",
        "PROPOSED (§1.3: monthly)",
        True,
        1,
        3,
        "",
        "a window reminder at least every 3 months",
    )
    for rule in ("R-CONTRA-F", "R-CONTRA-M", "R-LACT", "R-PREG")
} | {
    "R-PREG.months_partner": Parameter(
        "R-PREG.months_partner",
        5,
        "months",
        "PROPOSED (R-PREG, mirrors R-CONTRA-M)",
        True,
        5,
        12,
        "not shorter than R-CONTRA-M's 5 months",
    ),
    "R-LFT-HSCT.then_every_days": Parameter(
        "R-LFT-HSCT.then_every_days",
        14,
        "days",
        "PROPOSED (R-LFT-HSCT)",
        True,
        7,
        28,
        "",
        "liver tests at least every 4 weeks to the end",
    ),
    "R-LFT-HSCT.until_day": Parameter(
        "R-LFT-HSCT.until_day",
        100,
        "days after HSCT",
        "PROPOSED (R-LFT-HSCT)",
        True,
        28,
        365,
        "the label's weekly tests run to day +28",
    ),
    "R-WEIGHT.days_after_hsct": Parameter(
        "R-WEIGHT.days_after_hsct",
        100,
        "days after HSCT",
        "PROPOSED (R-VOD-WIN b)",
        True,
        30,
        365,
        "most VOD after HSCT begins by day 30 (REF-8)",
    ),
    "R-IRR.missing_end_minutes": Parameter(
        "R-IRR.missing_end_minutes",
        60,
        "minutes",
        "PROPOSED (R-IRR)",
        True,
        60,
        240,
        "the infusion lasts an hour (REF-4)",
    ),
    "R-CBC.days_before": Parameter(
        "R-CBC.days_before",
        1,
        "days",
        "PROPOSED (R-CBC)",
        True,
        0,
        2,
        "",
        "the count is due in the 2 days before the dose",
    ),
    "R-CBC.cycle1_days": Parameter(
        "R-CBC.cycle1_days",
        21,
        "days",
        "REF-4 (21, or 28)",
        True,
        21,
        28,
        "cycle 1 lasts 21 or 28 days (REF-4)",
        "cycle 1 lasts 21 or 28 days (REF-4)",
    ),
}


# A clinic's own (non-label) reminders: CustomRuleSchema's limits, for later changes too.
CUSTOM_PARAMS = {
    "every_days": Parameter("every_days", 7, "days", "Clinic", True, 1, 90),
    "until_days_after_last_dose": Parameter(
        "until_days_after_last_dose", 0, "days", "Clinic", True, 0, 400
    ),
}


def _number(parameter: Parameter, value) -> int | Decimal:
    """The value as the parameter's type; a ValueError says why not."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("Must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Must be a finite number.")
    if not parameter.decimal:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("Must be a whole number.")
        return int(value)
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError("Must be a number.") from exc
    if not number.is_finite():
        raise ValueError("Must be a finite number.")
    return number


def check(parameter: Parameter, value) -> int | Decimal:
    """The value, if the parameter allows it; else a ValueError that states the limit."""
    number = _number(parameter, value)
    unit = f" {parameter.unit}"
    if number < parameter.low:
        why = f" ({parameter.why_low})" if parameter.why_low else ""
        raise ValueError(f"At least {parameter.low}{unit}{why}; source: {parameter.source}.")
    if number > parameter.high:
        why = f" ({parameter.why_high})" if parameter.why_high else ""
        raise ValueError(f"At most {parameter.high}{unit}{why}; source: {parameter.source}.")
    return number


def check_all(specs: dict[str, Parameter], changes: dict) -> tuple[dict, dict]:
    """(accepted values by name, errors by name) for a set of changes."""
    values, errors = {}, {}
    for name, value in changes.items():
        if name not in specs:
            errors[name] = ["Unknown setting."]
            continue
        try:
            values[name] = check(specs[name], value)
        except ValueError as exc:
            errors[name] = [str(exc)]
    return values, errors


def check_triage(current: dict, changes: dict) -> dict:
    """The clinic's new triage overrides (JSON-safe), or DomainError with every reason."""
    if not changes:
        raise DomainError("Send a JSON object of settings to change.")
    values, errors = check_all(TRIAGE_BY_NAME, changes)
    merged = {p.name: p.default for p in TRIAGE} | _typed(current) | values
    if not errors and merged["weight_watch_pct"] >= merged["weight_urgent_pct"]:
        errors["weight_watch_pct"] = [
            f"Must stay below weight_urgent_pct ({merged['weight_urgent_pct']} %): W-2 watches "
            "what W-1 has not yet made urgent."
        ]
    if not errors and merged["fever_sustained_c"] > merged["fever_once_c"]:
        errors["fever_sustained_c"] = [
            f"Must not be above fever_once_c ({merged['fever_once_c']} °C)."
        ]
    if errors:
        raise DomainError("Some settings are invalid.", errors)
    return current | {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def _typed(overrides: dict) -> dict:
    typed = {}
    for name, value in overrides.items():
        spec = TRIAGE_BY_NAME.get(name)
        if spec is not None:
            typed[name] = Decimal(str(value)) if spec.decimal else int(value)
    return typed


def typed_triage(overrides: dict | None) -> dict:
    """A clinic's stored triage overrides as typed values (unknown names dropped)."""
    return _typed(overrides or {})
