"""Search: which parameters each resource type takes, parsing them, and running one page.
The same key queries feed the API's searches and the Bulk Data export, so their counts agree."""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from fhir_r4 import communications, flags, observations, params, patients
from fhir_r4.common import Context
from fhir_r4.errors import InvalidRequest

TYPES = {
    "Patient": patients,
    "Observation": observations,
    "Flag": flags,
    "Communication": communications,
}
CONTROL = ("_count", "_offset", "_format")


@dataclass
class Query:
    resource_type: str
    parsed: dict = field(default_factory=dict)
    count: int = params.DEFAULT_COUNT
    offset: int = 0
    pairs: list = field(default_factory=list)  # the search parameters as given, for links

    @property
    def patient_ids(self) -> list[int]:
        return self.parsed.get("patient", [])

    @property
    def names(self) -> list[str]:
        return sorted({name for name, _ in self.pairs})


def _value(name: str, kind: str, value: str, zone):
    if kind == "reference":
        return params.reference(name, value, "Patient")
    if kind == "date":
        return params.date_value(name, value, zone)
    return params.tokens(name, value)


def parse(resource_type: str, args: list[tuple[str, list[str]]], zone) -> Query:
    """`args` as (name, values) pairs; an unknown parameter or modifier is refused rather than
    ignored, so a mistyped filter never widens the result."""
    module = TYPES[resource_type]
    query = Query(resource_type)
    for name, values in args:
        if name in CONTROL:
            continue
        if name not in module.SEARCH_PARAMS:
            raise InvalidRequest(
                name, f"{resource_type} has no search parameter {name!r} (see metadata)."
            )
        kind = module.SEARCH_PARAMS[name][0]
        key = "patient" if name == "subject" else name
        for value in values:
            query.parsed.setdefault(key, []).append(_value(name, kind, value, zone))
            query.pairs.append((name, value))
    as_dict = dict(args)
    query.count = params.count(as_dict.get("_count", []))
    query.offset = params.offset(as_dict.get("_offset", []))
    return query


def run(session, ctx: Context, query: Query) -> tuple[int, list[dict]]:
    """The total and one page of resources."""
    module = TYPES[query.resource_type]
    stmt = module.keys(ctx, query.parsed, session.get_bind().dialect.name)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (
        session.execute(stmt.limit(query.count).offset(query.offset)).all() if query.count else []
    )
    return total, module.load(session, ctx, [tuple(r) if len(r) > 1 else r[0] for r in rows])


def all_keys(session, ctx: Context, resource_type: str, parsed: dict) -> list:
    module = TYPES[resource_type]
    rows = session.execute(module.keys(ctx, parsed, session.get_bind().dialect.name)).all()
    return [tuple(r) if len(r) > 1 else r[0] for r in rows]


def owner(session, resource_type: str, resource_id: str) -> int | None:
    """The patient a resource belongs to; None when there is no such resource."""
    if params.resource_id(resource_id) is None:
        return None
    return TYPES[resource_type].owner(session, resource_id)


def read(session, ctx: Context, resource_type: str, resource_id: str) -> dict:
    return TYPES[resource_type].read(session, ctx, resource_id)


def patients_in(resources: list[dict]) -> list[str]:
    """The ids of the patients whose records `resources` show (for the audit trail)."""
    ids = {
        r["id"] if r["resourceType"] == "Patient" else r["subject"]["reference"].split("/")[1]
        for r in resources
    }
    return sorted(ids, key=int)
