"""A clinic-tunable clinical value (see clinical.registry) and the check every change passes."""

import math
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Parameter:
    name: str
    default: int | Decimal | str  # str: a local time of day, "HH:MM"
    unit: str
    source: str
    proposed: bool
    low: int | Decimal | None  # the smallest value allowed (None for times of day)
    high: int | Decimal | None  # the largest value allowed
    why_low: str = ""  # said when a value is below `low` (a label minimum, a safety floor)
    why_high: str = ""  # said when a value is above `high`

    @property
    def kind(self) -> str:
        if isinstance(self.default, str):
            return "time"
        return "decimal" if isinstance(self.default, Decimal) else "integer"

    def parse(self, stored) -> int | Decimal | str:
        """A stored (JSON) value as this parameter's type."""
        if self.kind == "decimal":
            return Decimal(str(stored))
        return int(stored) if self.kind == "integer" else str(stored)


def parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    if len(hours) != 2 or len(minutes) != 2:
        raise ValueError(value)
    return time(int(hours), int(minutes))


def _number(parameter: Parameter, value) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("Must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Must be a finite number.")
    if parameter.kind == "integer":
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


def check(parameter: Parameter, value) -> int | Decimal | str:
    """The value, if the parameter allows it; else a ValueError that states the limit."""
    if parameter.kind == "time":
        try:
            parse_time(value)
        except (ValueError, AttributeError, TypeError):
            raise ValueError("Use HH:MM, 24-hour.") from None
        return value
    number = _number(parameter, value)
    unit = f" {parameter.unit}"
    if number < parameter.low:
        why = f" ({parameter.why_low})" if parameter.why_low else ""
        raise ValueError(f"At least {parameter.low}{unit}{why}; source: {parameter.source}.")
    if number > parameter.high:
        why = f" ({parameter.why_high})" if parameter.why_high else ""
        raise ValueError(f"At most {parameter.high}{unit}{why}; source: {parameter.source}.")
    return number
