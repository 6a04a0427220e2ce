"""Symptom triage (clinical-rules §2): pure functions of the report, the patient's facts, their
recent readings and the clinic's values (clinical.values.Parameters). No database, no Flask.

Every urgency level is PROPOSED in the spec (the label defines none); thresholds cite sources.
The highest matching level wins.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from clinical import windows
from clinical.values import Parameters
from models.vocabulary import Urgency
from models.vocabulary import Urgency as U

RULESET_VERSION = "2026-11-25.1"
# Advice keys that tell the patient to act now ("lab" is the care team's, for staff-entered labs).
ACTS_NOW = {
    "emergency",
    "urgent_liver",
    "urgent_infection",
    "urgent_bleeding",
    "urgent_call",
    "dizziness",
    "pregnancy",
    "lab",
}
LEVELS = tuple(Urgency)  # lowest first
worst = Urgency.worst


@dataclass(frozen=True)
class Item:
    code: str
    details: frozenset = frozenset()
    severity: int | None = None  # PRO-CTCAE 0-4
    value: Decimal | None = None  # normalised: degrees C, or kg


@dataclass(frozen=True)
class Facts:
    first_dose: date | None = None
    last_dose: date | None = None
    hsct_date: date | None = None
    last_infusion_end: datetime | None = None
    baseline_weight_kg: Decimal | None = None
    baseline_weight_hsct_kg: Decimal | None = None


@dataclass(frozen=True)
class Readings:
    """Earlier readings, oldest first: (instant, value) with °C and kg."""

    temperatures: tuple = ()
    weights: tuple = ()


@dataclass(frozen=True)
class Match:
    rule_id: str
    label_section: str
    urgency: str
    advice: str


@dataclass
class Result:
    urgency: Urgency = Urgency.NONE
    matches: list[Match] = field(default_factory=list)

    def add(self, rule_id, section, urgency, advice):
        self.matches.append(Match(rule_id, section, urgency, advice))
        self.urgency = worst(self.urgency, urgency)

    @property
    def rule_ids(self) -> list[str]:
        return sorted({m.rule_id for m in self.matches})

    @property
    def rules(self) -> list[Match]:
        """Each matched rule once, at the highest urgency it reached (a rule may add two
        advice lines, e.g. T-FEV's call now and its 1-hour recheck)."""
        best: dict[str, Match] = {}
        for match in self.matches:
            held = best.get(match.rule_id)
            if held is None or Urgency(match.urgency).rank > Urgency(held.urgency).rank:
                best[match.rule_id] = match
        return list(best.values())

    @property
    def advice(self) -> list[str]:
        """Advice keys, most urgent first. The highest level wins (§2.1) in the words too: an
        urgent or emergency report never carries "we will review this by ...", and always says
        to act now (T-IRR's "tell your nurse" alone does not, for a patient at home)."""
        keys = [m.advice for m in sorted(self.matches, key=lambda m: -Urgency(m.urgency).rank)]
        keys = list(dict.fromkeys(keys))
        if self.urgency.rank < U.URGENT.rank:
            return keys
        keys = [k for k in keys if k != "routine"]
        if self.urgency == U.EMERGENCY and "emergency" not in keys:
            keys.insert(0, "emergency")
        elif not ACTS_NOW.intersection(keys):
            keys.insert(0, "urgent_call")
        return keys


def in_vod_window(facts: Facts, today: date, s: Parameters) -> bool:
    """R-VOD-WIN (clinical.windows: the same window R-WEIGHT's daily prompt runs in)."""
    return windows.in_vod_window(facts.first_dose, facts.last_dose, facts.hsct_date, today, s)


def triage(
    items, facts: Facts, readings: Readings, s: Parameters, now: datetime, today: date
) -> Result:
    result = Result()
    codes = {i.code for i in items}
    by_code = {i.code: i for i in items}
    vod = in_vod_window(facts, today, s)
    _fever(result, items, codes, by_code, readings, s, now)
    _weight(result, items, codes, facts, readings, s, vod)
    _liver_and_abdomen(result, codes, by_code, vod)
    _breathing_rash_bleeding(result, codes, by_code)
    _others(result, codes)
    _infusion(result, codes, facts, s, now)
    return result


def _fever(result, items, codes, by_code, readings, s, now):
    temps = [i.value for i in items if i.code in ("fever", "temperature") and i.value is not None]
    hot = max(temps, default=None)
    febrile = "fever" in codes or (hot is not None and hot >= s.fever_sustained_c)
    if not febrile:
        return
    danger = by_code.get("fever", Item("fever")).details & {"rigors", "confusion"}
    if danger or codes & {"fainting", "breathing"}:
        result.add("T-FEV", "5.2, 5.3", U.EMERGENCY, "emergency")
    if hot is None:
        result.add("T-FEV", "5.2, 5.3", U.URGENT, "urgent_infection")  # reported, not measured
    elif hot >= s.fever_once_c or _sustained(hot, readings, s, now):
        result.add("T-FEV", "5.2, 5.3", U.URGENT, "urgent_infection")
    elif hot >= s.fever_sustained_c:
        result.add("T-FEV", "5.2, 5.3", U.URGENT, "urgent_infection")
        result.add("T-FEV", "5.2, 5.3", U.URGENT, "fever_recheck")  # PROPOSED 1-h recheck
    elif "fever" in codes:
        result.add("T-FEV", "5.2, 5.3", U.URGENT, "urgent_infection")


def _sustained(hot, readings, s, now) -> bool:
    """>= 38.0 °C now and at least an hour ago, with nothing lower in between (REF-10)."""
    if hot < s.fever_sustained_c:
        return False
    since = now - timedelta(minutes=s.fever_sustained_minutes)
    recent = [(t, v) for t, v in readings.temperatures if now - timedelta(hours=24) <= t <= now]
    for index, (taken, value) in enumerate(recent):
        if taken <= since and value >= s.fever_sustained_c:
            return all(v >= s.fever_sustained_c for _, v in recent[index:])
    return False


def _weight(result, items, codes, facts, readings, s, vod):
    if "weight_gain" in codes:
        result.add("T-WT", "5.1", U.URGENT, "urgent_liver")  # "seek immediate medical advice"
    weights = [i.value for i in items if i.code in ("weight", "weight_gain") and i.value]
    if not weights or not vod:
        return
    weight = weights[-1]
    baseline = (facts.baseline_weight_hsct_kg if facts.hsct_date else None) or (
        facts.baseline_weight_kg
    )
    if baseline:
        pct = (weight - baseline) / baseline * 100
        if pct >= s.weight_urgent_pct:
            result.add("W-1", "5.1", U.URGENT, "urgent_liver")
        elif pct > s.weight_watch_pct:
            if codes & {"abdominal_swelling", "abdominal_pain", "yellow_skin"}:
                result.add("W-2", "5.1", U.URGENT, "urgent_liver")
            else:
                result.add("W-2", "5.1", U.ROUTINE, "weight_recheck")
    daily = [v for _, v in readings.weights] + [weight]
    rises = daily[-(s.weight_rise_days + 1) :]
    if len(rises) == s.weight_rise_days + 1 and all(a < b for a, b in pairwise(rises)):
        result.add("W-3", "5.1", U.URGENT, "urgent_liver")
    week = [v for _, v in readings.weights[-s.weight_min_window_days :]]
    if week and weight >= min(week) * (1 + s.weight_above_min_pct / 100):
        result.add("W-4", "5.1", U.URGENT, "urgent_liver")


def _liver_and_abdomen(result, codes, by_code, vod):
    if "abdominal_swelling" in codes:
        urgency = U.EMERGENCY if "breathing" in codes else U.URGENT
        result.add(
            "T-ABD", "5.1", urgency, "emergency" if urgency is U.EMERGENCY else "urgent_liver"
        )
    if "abdominal_pain" in codes:
        pain = by_code["abdominal_pain"]
        if vod or "right_upper" in pain.details or (pain.severity or 0) >= 3:
            result.add("T-PAIN", "5.1", U.URGENT, "urgent_liver")
        else:
            result.add("T-PAIN", "5.1", U.ROUTINE, "routine")
    if "yellow_skin" in codes:
        result.add("T-JAUN", "5.1", U.URGENT, "urgent_liver")


def _breathing_rash_bleeding(result, codes, by_code):
    if "breathing" in codes:
        item = by_code["breathing"]
        if item.details & {"at_rest", "chest_pain"} or (item.severity or 0) >= 3:
            result.add("T-BREATH", "5.4", U.EMERGENCY, "emergency")
        else:
            result.add("T-BREATH", "5.4", U.URGENT, "urgent_call")
    if "rash" in codes:
        rash = by_code["rash"]
        if "face_lip_throat_swelling" in rash.details or "breathing" in codes:
            result.add("T-RASH", "5.4", U.EMERGENCY, "emergency")
        elif "pinpoint_or_purple_spots" in rash.details:
            result.add("T-RASH", "5.3", U.URGENT, "urgent_bleeding")
        else:
            result.add("T-RASH", "5.4", U.ROUTINE, "routine")
    if "bleeding" in codes:
        danger = {
            "unstoppable",
            "vomiting_blood",
            "black_or_bloody_stool",
            "sudden_severe_headache",
        }
        if by_code["bleeding"].details & danger:
            result.add("T-BLEED", "5.3", U.EMERGENCY, "emergency")
        else:
            result.add("T-BLEED", "5.3", U.URGENT, "urgent_bleeding")


def _others(result, codes):
    if "fainting" in codes:
        result.add("T-SYNC", "5.5", U.EMERGENCY, "emergency")
        result.add("T-SYNC", "5.5", U.EMERGENCY, "dizziness")
    if "dizziness" in codes:
        result.add("T-DIZZ", "5.5", U.URGENT, "dizziness")
    if "chills" in codes:
        result.add("T-CHILL", "5.4", U.URGENT, "urgent_infection")
    if "infection" in codes:
        result.add("T-INF", "5.2, 5.3", U.URGENT, "urgent_infection")
    if "pregnancy" in codes:
        result.add("T-PREG", "5.7, 8.1", U.URGENT, "pregnancy")
    if "new_medicine" in codes:
        result.add("T-MED", "5.5", U.ROUTINE, "medicine")


def _infusion(result, codes, facts, s, now):
    """T-IRR: fever, chills, rash or breathing trouble during or soon after an infusion."""
    if facts.last_infusion_end is None or not codes & {"fever", "chills", "rash", "breathing"}:
        return
    if (
        facts.last_infusion_end - timedelta(hours=2)
        <= now
        <= facts.last_infusion_end + timedelta(hours=s.infusion_tail_hours)
    ):
        result.add("T-IRR", "5.4", worst(U.URGENT, result.urgency), "infusion")


def triage_lab(
    kind: str,
    value: Decimal,
    unit: str,
    uln: Decimal | None,
    collected_at: datetime,
    earlier,
    latest_others,
    facts: Facts,
    s: Parameters,
    today: date,
) -> Result:
    """L-rules on a clinician-entered lab value. `earlier`: (instant, value) of the same kind and
    unit, oldest first; `latest_others`: {kind: (value, uln)} of recent AST and ALT (L-3)."""
    result = Result()
    if kind == "bilirubin":
        # The spec's threshold in µmol/L is the mg/dL one x 17.1 to a whole number, as labs
        # report it: 2 mg/dL is "34 µmol/L" (L-1), not 34.2.
        threshold = s.bilirubin_vod_mg_dl
        if unit != "mg/dL":
            threshold = (threshold * Decimal("17.1")).to_integral_value(ROUND_HALF_UP)
        if value >= threshold and in_vod_window(facts, today, s):
            result.add("L-1", "5.1", U.URGENT, "lab")
        window = collected_at - timedelta(hours=48)
        doubled = any(window <= t < collected_at and 0 < v and value >= 2 * v for t, v in earlier)
        values = [v for _, v in earlier[-3:]] + [value]  # a rise on each of 3 consecutive days
        rising = len(values) == 4 and all(a < b for a, b in pairwise(values))
        if doubled or rising:
            result.add("L-2", "5.1", U.URGENT, "lab")
        ratios = [v / u for v, u in latest_others.values() if u]
        if uln and value > Decimal("1.5") * uln and any(r > Decimal("2.5") for r in ratios):
            result.add("L-3", "dose modification", U.ROUTINE, "lab_dose_interruption")
    if kind == "qtc":
        if value > s.qtc_urgent_ms:
            result.add("L-4", "5.5", U.URGENT, "lab")
        elif value >= 481:
            result.add("L-4", "5.5", U.ROUTINE, "lab_dose_interruption")
    return result
