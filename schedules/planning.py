"""plan(): patient facts + rules + now -> the reminder occurrences that should exist. Pure.

Calendar arithmetic follows clinical-rules §1.4: "N months after" adds calendar months clamped to
the month's end (dateutil's relativedelta), and the end day is inclusive (D-1), so "at least N
months" holds whether or not clamping occurred. Local times become UTC through the patient's IANA
zone: a time that does not exist (spring forward) moves forward by the gap; an ambiguous one (fall
back) fires once, at its first occurrence.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from clinical.values import DEFAULTS, Parameters
from clinical.windows import vod_spans
from schedules.rules import Rule, parse_time


@dataclass(frozen=True)
class DoseFact:
    administered_on: date
    infusion_started_at: datetime
    infusion_ended_at: datetime | None
    cycle: int
    cycle_day: int


@dataclass(frozen=True)
class Facts:
    patient_id: int
    timezone: str
    sex: str
    reproductive_potential: bool
    partner_reproductive_potential: bool
    breastfeeding: bool
    enrolled_on: date
    doses: tuple[DoseFact, ...] = ()
    hsct_date: date | None = None
    treatment_ended_on: date | None = None
    active: bool = True

    @property
    def first_dose(self) -> date | None:
        return min((d.administered_on for d in self.doses), default=None)

    @property
    def last_dose(self) -> date | None:
        return max((d.administered_on for d in self.doses), default=None)


@dataclass(frozen=True)
class Occurrence:
    key: str  # stable: patient, rule, occurrence
    rule_id: str
    kind: str  # reminder | window_end
    local_date: date
    due_at: datetime  # UTC
    ends_on: date | None = None  # window rules: the window's last day (D-1)


# A slot that passed shortly before the plan was made (a patient enrolled at 15:50 after a 10:00
# slot, a transplant recorded at 13:00 for day +7 at 09:00) is still sent, at once, unless the
# rule's next occurrence comes within this time (tomorrow's weigh-in makes today's moot). It is
# an hour inside the default REMINDER_STALE_HOURS, so the release does not expire it.
CATCH_UP = timedelta(hours=23)


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end: Jan 31 + 1 month = Feb 28/29."""
    return day + relativedelta(months=months)


def window_end(last_dose: date, months: int) -> date:
    """D-1: the last day (inclusive) still covered by "N months after the last dose"."""
    return add_months(last_dose, months)


def local_to_utc(day: date, at: time, zone: str) -> datetime:
    # fold=0: a nonexistent wall time takes the offset before the gap, i.e. moves forward; an
    # ambiguous one is its first occurrence.
    return datetime.combine(day, at).replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def _occurrence(facts, rule, kind, day, at=None, due=None, suffix="", ends_on=None):
    due = due or local_to_utc(day, at, facts.timezone)
    key = f"{facts.patient_id}:{rule.id}:{kind}:{day.isoformat()}{suffix}"
    return Occurrence(key, rule.id, kind, day, due, ends_on)


def applies(rule: Rule, facts: Facts) -> bool:
    female, male = facts.sex == "female", facts.sex == "male"
    return {
        "R-CONTRA-F": female and facts.reproductive_potential,
        "R-CONTRA-M": male and facts.partner_reproductive_potential,
        # "Advise women against breastfeeding" (SEED-0 §17): every woman who could be nursing,
        # not only one recorded as nursing today (a record is often behind).
        "R-LACT": female and (facts.reproductive_potential or facts.breastfeeding),
        "R-PREG": (female and facts.reproductive_potential)
        or (male and facts.partner_reproductive_potential),
    }.get(rule.id, True)


def _window_months(rule: Rule, facts: Facts) -> int:
    if rule.id == "R-PREG":
        female = facts.sex == "female"
        return rule.params["months_female"] if female else rule.params["months_partner"]
    return rule.params["months"]


def _window(facts, rule, p):
    """R-CONTRA-F/M, R-LACT, R-PREG: monthly from the first dose while the window lasts, then
    "ask before stopping" on the first free day (never an automatic all-clear)."""
    if facts.first_dose is None:
        return
    end = window_end(facts.last_dose, _window_months(rule, facts))
    at = parse_time(rule.params["time_of_day"])
    step, k = rule.params["cadence_months"], 0
    while (day := add_months(facts.first_dose, k * step)) <= end:
        yield _occurrence(facts, rule, "reminder", day, at, ends_on=end)
        k += 1
    if "window_end" in rule.texts and facts.treatment_ended_on is not None:
        yield _occurrence(facts, rule, "window_end", end + timedelta(days=1), at, ends_on=end)


def vod_days(facts: Facts, p: Parameters) -> set[date]:
    """R-VOD-WIN's days (clinical.windows, the same window the VOD triage rules watch)."""
    days = set()
    for start, end in vod_spans(facts.first_dose, facts.last_dose, facts.hsct_date, p):
        days |= {start + timedelta(days=n) for n in range((end - start).days + 1)}
    return days


def _daily_vod(facts, rule, p):
    """R-WEIGHT: every day of R-VOD-WIN."""
    at = parse_time(rule.params["time_of_day"])
    for day in sorted(vod_days(facts, p)):
        yield _occurrence(facts, rule, "reminder", day, at)


def _hsct_series(facts, rule, p):
    """R-LFT-HSCT: weekly to day +28, then every 14 days (PROPOSED) to day +100 (PROPOSED)."""
    if facts.hsct_date is None:
        return
    p, at = rule.params, parse_time(rule.params["time_of_day"])
    offsets = list(range(7, p["weekly_until_day"] + 1, 7))
    offsets += list(
        range(offsets[-1] + p["then_every_days"], p["until_day"] + 1, p["then_every_days"])
    )
    for offset in offsets:
        yield _occurrence(facts, rule, "reminder", facts.hsct_date + timedelta(days=offset), at)


def _post_infusion(facts, rule, p):
    """R-IRR: a check-in 60 minutes after each infusion ends (missing end: start + 60 min)."""
    for dose in facts.doses:
        end = dose.infusion_ended_at or dose.infusion_started_at + timedelta(
            minutes=p.infusion_missing_end_minutes
        )
        due = end + timedelta(minutes=rule.params["minutes_after_end"])
        yield _occurrence(
            facts,
            rule,
            "reminder",
            dose.administered_on,
            due=due,
            suffix=f":c{dose.cycle}d{dose.cycle_day}",
        )


def next_dose_date(facts: Facts, rule: Rule) -> date | None:
    """The expected next dose from the regimen (REF-4: days 1, 8, 15; cycle 1 of 21 days,
    later cycles 28; at most 6 cycles). None once treatment has ended."""
    if not facts.doses or facts.treatment_ended_on is not None:
        return None
    last = max(facts.doses, key=lambda d: (d.administered_on, d.cycle, d.cycle_day))
    if last.cycle_day in (1, 8):
        return last.administered_on + timedelta(days=7)
    if last.cycle >= 6:
        return None
    length = rule.params["cycle1_days"] if last.cycle == 1 else rule.params["cycle_days"]
    return last.administered_on + timedelta(days=length - 14)


def _pre_dose(facts, rule, p):
    """R-CBC: before the expected next dose."""
    expected = next_dose_date(facts, rule)
    if expected is not None:
        day = expected - timedelta(days=rule.params["days_before"])
        yield _occurrence(facts, rule, "reminder", day, parse_time(rule.params["time_of_day"]))


def _before_first_dose(facts, rule, p):
    """R-ECG: while no dose is recorded, once, on the day of enrolment."""
    if not facts.doses:
        yield _occurrence(
            facts, rule, "reminder", facts.enrolled_on, parse_time(rule.params["time_of_day"])
        )


def _interval(facts, rule, p):
    """A clinic's own reminder: every N days from the first dose to the last dose + M days."""
    if facts.first_dose is None:
        return
    p, at = rule.params, parse_time(rule.params["time_of_day"])
    end = facts.last_dose + timedelta(days=p["until_days_after_last_dose"])
    day = facts.first_dose
    while day <= end:
        yield _occurrence(facts, rule, "reminder", day, at)
        day += timedelta(days=p["every_days"])


PLANNERS = {
    "interval": _interval,
    "window": _window,
    "daily_vod": _daily_vod,
    "hsct_series": _hsct_series,
    "post_infusion": _post_infusion,
    "pre_dose": _pre_dose,
    "before_first_dose": _before_first_dose,
}


def _wanted(occurrences: list[Occurrence], now: datetime) -> list[Occurrence]:
    """A rule's occurrences from `now` on, and the one whose slot just passed (CATCH_UP) when
    the rule has nothing sooner to say."""
    upcoming = [o for o in occurrences if o.due_at >= now]
    if any(o.due_at < now + CATCH_UP for o in upcoming):
        return upcoming
    missed = [o for o in occurrences if now - CATCH_UP <= o.due_at < now]
    return upcoming + sorted(missed, key=lambda o: o.due_at)[-1:]


def plan(
    facts: Facts, rules: list[Rule], now: datetime, p: Parameters = DEFAULTS
) -> list[Occurrence]:
    """Every occurrence the patient should have from `now` on, each once, by due time; `rules`
    carry the clinic's values, `p` the values rules share (R-VOD-WIN, a missing infusion end)."""
    if not facts.active:
        return []
    wanted = {}
    for rule in rules:
        if rule.enabled and applies(rule, facts) and rule.kind in PLANNERS:
            for occurrence in _wanted(list(PLANNERS[rule.kind](facts, rule, p)), now):
                wanted.setdefault(occurrence.key, occurrence)
    return sorted(wanted.values(), key=lambda o: (o.due_at, o.key))
