"""Small pieces every resource mapping uses: references, instants, this service's code systems,
SQL for "the latest of these instants" on both databases."""

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.sql.functions import coalesce

from triage.codes import LOCAL


@dataclass(frozen=True)
class Context:
    """What a mapping or search needs besides the rows: the service's public base URL (resource
    URLs, identifier systems, local code systems), the clinic, its zone for date-only values."""

    base: str
    clinic_id: int
    zone: ZoneInfo


def local(base: str, key: str) -> str:
    return base + LOCAL[key]


def ref(resource_type: str, resource_id) -> dict:
    return {"reference": f"{resource_type}/{resource_id}"}


def instant(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def meta(updated: datetime, *profiles: str) -> dict:
    data = {"lastUpdated": instant(updated)}
    if profiles:
        data["profile"] = list(profiles)
    return data


def coding(system: str, code: str, display: str | None = None) -> dict:
    data = {"system": system, "code": code}
    if display:
        data["display"] = display
    return data


def latest(dialect: str, first, *others):
    """The latest of `first` (never NULL) and `others` (NULL ignored), in SQL."""
    values = [first, *(coalesce(o, first) for o in others)]
    return func.greatest(*values) if dialect == "postgresql" else func.max(*values)


def staff_reference(base: str, staff) -> dict:
    return {
        "identifier": {"system": local(base, "staff_id"), "value": str(staff.id)},
        "display": staff.name,
    }


def without_none(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in (None, [], {})}
