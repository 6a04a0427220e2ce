"""Fields that validate what the API receives: phones, time zones, instants, strict types."""

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from messages.phones import e164


@functools.cache
def _known_zones() -> frozenset[str]:
    """A region's zones (Area/Location, which follow its daylight saving time) and UTC; not the
    fixed-offset names (EST, Etc/GMT+5), with which reminders drift an hour every summer."""
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name == "UTC" or ("/" in name and not name.startswith("Etc/"))
    )


class Phone(fields.String):
    """A phone number in international form, stored and returned in E.164."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "+12025550143")
        super().__init__(validate=validate.Length(max=32), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return e164(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class TimeZone(fields.String):
    """An IANA time zone name such as America/New_York."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "America/New_York")
        super().__init__(validate=validate.Length(max=64), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in _known_zones():
            raise ValidationError(
                "Unknown time zone; use a region's IANA name such as Europe/Madrid (fixed-offset "
                "names such as EST or Etc/GMT+5 ignore daylight saving time)."
            )
        return name


CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's clock may run a little ahead


def not_in_the_future(value: dt.datetime) -> None:
    """For what has happened (a reading, an onset): not after now, give or take a phone's clock."""
    if value > dt.datetime.now(dt.UTC) + CLOCK_SKEW:
        raise ValidationError("Must not be in the future.")


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant with its UTC offset; returned in UTC."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "2026-03-02T15:00:00Z")
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > 40:
            raise ValidationError("Not a valid datetime.")
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not 2000 <= parsed.year <= 2100:
            raise ValidationError("Out of range (years 2000 to 2100).")
        return parsed.astimezone(dt.UTC)


class Day(fields.Date):
    """A calendar date (YYYY-MM-DD) between 2000 and 2100."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "2026-03-02")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > 10:
            raise ValidationError("Not a valid date; use YYYY-MM-DD.")
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not 2000 <= parsed.year <= 2100:
            raise ValidationError("Out of range (years 2000 to 2100).")
        return parsed


def StrictBool(**kwargs) -> fields.Boolean:  # noqa: N802 - a field factory reads like a class
    """JSON true/false only: "yes", 1 or "on" are refused rather than guessed at."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)


def Int(**kwargs) -> fields.Integer:  # noqa: N802
    return fields.Integer(strict=True, **kwargs)


def Id(**kwargs) -> fields.Integer:  # noqa: N802
    """A row id: 1 to 2**31 - 1, the range of an INTEGER column on every database."""
    return fields.Integer(validate=validate.Range(1, 2**31 - 1), **kwargs)


class LocalTime(fields.Time):
    """A local wall-clock time (HH:MM or HH:MM:SS) in the patient's or clinic's zone. A UTC
    offset is refused: 22:00 means 22:00 wherever the person is, in summer and in winter."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > 15:
            raise ValidationError("Not a valid time.")
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is not None:
            raise ValidationError("A local wall-clock time without a UTC offset, e.g. 21:30.")
        return parsed


def Text(max_length: int, min_length: int = 0, **kwargs) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(min=min_length, max=max_length), **kwargs)


class DecimalNumber(fields.Decimal):
    """A decimal measurement: read exactly (a JSON number, or a numeric string), kept as a
    Decimal, returned as a JSON number. Our values have at most 3 places and 6 digits, which a
    double holds and prints back exactly; a number is what the document always promised."""

    def _serialize(self, value, attr, obj, **kwargs):
        number = super()._serialize(value, attr, obj, **kwargs)
        return None if number is None else _json_number(number)


def _json_number(value) -> int | float:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def Amount(low: str, high: str, places: int = 2, **kwargs) -> fields.Decimal:  # noqa: N802
    """A bounded decimal measurement (see DecimalNumber); the bounds are published as numbers."""
    return DecimalNumber(
        places=places,
        validate=validate.Range(min=_json_number(low), max=_json_number(high)),
        **kwargs,
    )


class Number(fields.Field):
    """Output only: a number held as int, float, Decimal or numeric string, as a JSON number."""

    def __init__(self, **kwargs):
        super().__init__(dump_only=True, metadata={"type": "number"} | kwargs.pop("metadata", {}))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else _json_number(value)


def OneOf(values, **kwargs) -> fields.String:  # noqa: N802
    """A string from a fixed vocabulary, published as an enum."""
    return fields.String(validate=validate.OneOf(list(values)), **kwargs)
