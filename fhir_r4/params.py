"""Search parameter values (FHIR R4 search, https://hl7.org/fhir/R4/search.html): references,
tokens, dates with prefixes, and the paging controls. Malformed values are InvalidRequest."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, or_

from fhir_r4.errors import InvalidRequest

DEFAULT_COUNT, MAX_COUNT = 20, 100
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class DateValue:
    """`prefix` applied to the range [low, high) that the value's precision covers."""

    prefix: str
    low: datetime
    high: datetime


def resource_id(value: str) -> str | None:
    return value if _ID.match(value or "") else None


def reference(name: str, value: str, resource_type: str) -> int:
    """`123`, `Patient/123` or `<base>/Patient/123` -> 123."""
    tail = value.rsplit("/", 2)
    if len(tail) >= 2 and tail[-2] != resource_type:
        raise InvalidRequest(name, f"{name} must reference a {resource_type}.")
    raw = tail[-1]
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise InvalidRequest(name, f"{name} must be a {resource_type} id.")
    return int(raw)


def tokens(name: str, value: str) -> list[tuple[str | None, str]]:
    """`code`, `system|code`, `|code` (no system) or `system|` (any code), comma-separated."""
    result = []
    for part in value.split(","):
        system, bar, code = part.partition("|")
        if not bar:
            system, code = None, system
        if not (code or system) or len(part) > 256:
            raise InvalidRequest(name, f"{name} must be a token: code or system|code.")
        result.append((system, code))
    return result


def _date_range(name: str, text: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    match = _DATE.match(text)
    if match:  # a date: the clinic's calendar day, month or year
        year, month, day = match.groups()
        try:
            start = date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            raise InvalidRequest(name, f"{name}: {text!r} is not a date.") from None
        if day:
            end = start + timedelta(days=1)
        elif month:
            end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        else:
            end = date(start.year + 1, 1, 1)
        low = datetime.combine(start, time(), zone)
        return low.astimezone(UTC), datetime.combine(end, time(), zone).astimezone(UTC)
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(name, f"{name}: {text!r} is not a date or dateTime.") from None
    if instant.tzinfo is None:
        raise InvalidRequest(name, f"{name}: a dateTime needs a time zone (e.g. Z).")
    step = timedelta(microseconds=1) if instant.microsecond else timedelta(seconds=1)
    return instant.astimezone(UTC), instant.astimezone(UTC) + step


def date_value(name: str, value: str, zone: ZoneInfo) -> DateValue:
    prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
    low, high = _date_range(name, text, zone)
    return DateValue(prefix, low, high)


def date_condition(value: DateValue, start, end=None):
    """SQL for a date search on a point (`end` None) or a period [start, end] whose end may be
    NULL (still going): the R4 prefix rules on ranges."""
    low, high = value.low, value.high
    ends_after = (lambda t: or_(end.is_(None), end >= t)) if end is not None else (start.__ge__)
    if value.prefix == "eq":
        inside = and_(start >= low, start < high)
        return inside if end is None else and_(inside, end.is_not(None), end < high)
    if value.prefix == "ne":
        return or_(start < low, start >= high)
    if value.prefix == "ge":
        return ends_after(low)
    if value.prefix == "gt":
        return ends_after(high)
    if value.prefix == "le":
        return start < high
    return start < low  # lt


def count(values: list[str]) -> int:
    if not values:
        return DEFAULT_COUNT
    raw = values[-1]
    if not raw.isdigit() or len(raw) > 6:
        raise InvalidRequest("_count", "_count must be a whole number.")
    return min(int(raw), MAX_COUNT)


def offset(values: list[str]) -> int:
    raw = values[-1] if values else "0"
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidRequest("_offset", "_offset must be a whole number.")
    return int(raw)


def nothing():
    return false()
