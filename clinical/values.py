"""A clinic's resolved clinical values (defaults with its overrides), passed to plan(),
triage() and escalation; and the one validation of a change to them."""

from collections.abc import Mapping
from decimal import Decimal

from clinical.parameters import check
from clinical.registry import REGISTRY
from models.errors import DomainError

# Changed with the escalation policy (each level's timeouts), not one by one.
POLICY_LIMITS = {name for name in REGISTRY if name.startswith("escalation.")}


class Parameters:
    """Read-only: `p.fever_once_c`, `p["R-LFT-HSCT.until_day"]`, `p.rule("R-LFT-HSCT")`."""

    def __init__(self, overrides: Mapping | None = None, version: int | None = None):
        values = {name: spec.default for name, spec in REGISTRY.items()}
        for name, stored in (overrides or {}).items():
            if name in REGISTRY:
                values[name] = REGISTRY[name].parse(stored)
        self._values, self.version = values, version
        self.overridden = frozenset(n for n in (overrides or {}) if n in REGISTRY)

    def __getitem__(self, name: str):
        return self._values[name]

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __eq__(self, other) -> bool:
        return isinstance(other, Parameters) and self._values == other._values

    def __hash__(self):
        return hash(tuple(sorted((k, str(v)) for k, v in self._values.items())))

    def rule(self, rule_id: str) -> dict:
        """A reminder rule's values, by their short names."""
        prefix = f"{rule_id}."
        return {n[len(prefix) :]: v for n, v in self._values.items() if n.startswith(prefix)}


DEFAULTS = Parameters()


def _coherence(p: Parameters) -> dict:
    errors = {}
    if p.weight_watch_pct >= p.weight_urgent_pct:
        errors["weight_watch_pct"] = [
            f"Must stay below weight_urgent_pct ({p.weight_urgent_pct} %): W-2 watches what W-1 "
            "has not yet made urgent."
        ]
    if p.fever_sustained_c > p.fever_once_c:
        errors["fever_sustained_c"] = [f"Must not be above fever_once_c ({p.fever_once_c} °C)."]
    if p["R-LFT-HSCT.until_day"] < p["R-LFT-HSCT.weekly_until_day"]:
        errors["R-LFT-HSCT.until_day"] = [
            f"Must not end before the weekly tests do (day +{p['R-LFT-HSCT.weekly_until_day']})."
        ]
    return errors


def validate(current: Mapping, changes: Mapping, allowed=None) -> dict:
    """The clinic's new overrides (JSON-safe), or DomainError naming each refusal and its limit:
    unknown names (or names outside `allowed`), values out of their limits, combinations that
    contradict each other."""
    if not changes:
        raise DomainError("Send the values to change.")
    accepted, errors = {}, {}
    for name, value in changes.items():
        if name not in REGISTRY or (allowed is not None and name not in allowed):
            errors[name] = ["Unknown setting."]
        elif name in POLICY_LIMITS:
            errors[name] = ["Set through the escalation policy's level timeouts."]
        else:
            try:
                accepted[name] = check(REGISTRY[name], value)
            except ValueError as exc:
                errors[name] = [str(exc)]
    overrides = dict(current) | {
        k: str(v) if isinstance(v, Decimal) else v for k, v in accepted.items()
    }
    if not errors:
        errors = _coherence(Parameters(overrides))
    if errors:
        raise DomainError("Some clinical values are invalid.", errors)
    return overrides


def describe(p: Parameters, names) -> list[dict]:
    """What an admin sees of each value: current, default, unit, limits, source."""
    rows = []
    for name in names:
        spec = REGISTRY[name]
        rows.append(
            {
                "name": name,
                "value": str(p[name]),
                "default": str(spec.default),
                "unit": spec.unit,
                "proposed": spec.proposed,
                "lowest": spec.low,
                "highest": spec.high,
                "overridden": name in p.overridden,
                "source": spec.source,
            }
        )
    return rows
