"""Report items as Observations: a measured value (temperature, weight) is a vital sign; a
symptom is a patient-reported Observation with its PRO-CTCAE-style attributes as components.

One item can be both (a fever with a reading): `vs-<item id>` is its measurement, `sx-<item id>`
its symptom. Codes and units come from triage/codes.py.
"""

from sqlalchemy import String, and_, literal, or_, select, union_all

from fhir_r4 import params
from fhir_r4.common import Context, coding, instant, local, meta, ref, without_none
from models import ReportItem, SymptomReport
from triage import codes
from triage.catalogue import CATALOGUE

READINGS = ("temperature", "weight")  # bare readings: a value, never a symptom
SEARCH_PARAMS = {
    "patient": ("reference", "The patient (Patient/<id>)"),
    "subject": ("reference", "Same as patient"),
    "code": ("token", "LOINC 8310-5 or 29463-7, a SNOMED CT symptom, or this service's code"),
    "category": ("token", "vital-signs or survey"),
    "date": ("date", "When measured or felt (effective)"),
    "_lastUpdated": ("date", "When reported"),
    "_id": ("token", "vs-<n> or sx-<n>"),
}


def observation_ids(item_id: int, symptom_code: str, has_value: bool) -> list[str]:
    ids = [f"vs-{item_id}"] if has_value else []
    return ids + ([f"sx-{item_id}"] if symptom_code not in READINGS else [])


def parse_id(resource_id: str) -> tuple[str, int] | None:
    kind, _, number = resource_id.partition("-")
    if kind in ("vs", "sx") and number.isdigit() and 0 < int(number) < 2**31:
        return kind, int(number)
    return None


def _rows(kind: str, condition, clinic_id: int):
    return (
        select(
            literal(kind, String).label("kind"),
            ReportItem.id.label("id"),
            ReportItem.patient_id.label("patient_id"),
            ReportItem.symptom_code.label("code"),
            ReportItem.measured_at.label("effective"),
            SymptomReport.reported_at.label("updated"),
        )
        .join(SymptomReport, SymptomReport.id == ReportItem.report_id)
        .where(SymptomReport.clinic_id == clinic_id, condition)
    )


def _code_condition(u, ctx: Context, values):
    by_measurement = {m.code.code: kind for kind, m in codes.MEASUREMENTS.items()}
    by_snomed = {c.code: symptom for symptom, c in codes.SNOMED_SYMPTOMS.items()}
    matches = []
    for system, code in values:
        if system in (None, codes.LOINC) and code in by_measurement:
            kind = by_measurement[code]
            symptoms = [s for s in CATALOGUE.values() if s.measurement == kind]
            matches.append(and_(u.c.kind == "vs", u.c.code.in_([s.code for s in symptoms])))
        if system in (None, codes.SNOMED) and code in by_snomed:
            matches.append(and_(u.c.kind == "sx", u.c.code == by_snomed[code]))
        if system in (None, local(ctx.base, "symptom")) and code in CATALOGUE:
            matches.append(and_(u.c.kind == "sx", u.c.code == code))
    return or_(*matches) if matches else params.nothing()


def keys(ctx: Context, parsed: dict, dialect: str):
    """The matching observations as (kind, item id), in effective-time order."""
    vs = _rows("vs", ReportItem.value.is_not(None), ctx.clinic_id)
    sx = _rows("sx", ReportItem.symptom_code.not_in(READINGS), ctx.clinic_id)
    u = union_all(vs, sx).subquery()
    stmt = select(u.c.kind, u.c.id)
    for patient_id in parsed.get("patient", []):
        stmt = stmt.where(u.c.patient_id == patient_id)
    for values in parsed.get("code", []):
        stmt = stmt.where(_code_condition(u, ctx, values))
    for values in parsed.get("category", []):
        kinds = {"vital-signs": "vs", "survey": "sx"}
        wanted = [kinds[c] for s, c in values if c in kinds and s in (None, codes.SURVEY.system)]
        stmt = stmt.where(u.c.kind.in_(wanted) if wanted else params.nothing())
    for values in parsed.get("_id", []):
        ids = [parse_id(c) for _, c in values]
        stmt = stmt.where(
            or_(params.nothing(), *(and_(u.c.kind == k, u.c.id == n) for k, n in filter(None, ids)))
        )
    for value in parsed.get("date", []):
        stmt = stmt.where(params.date_condition(value, u.c.effective))
    for value in parsed.get("_lastUpdated", []):
        stmt = stmt.where(params.date_condition(value, u.c.updated))
    return stmt.order_by(u.c.effective, u.c.id, u.c.kind)


def load(session, ctx: Context, found: list[tuple[str, int]]) -> list[dict]:
    items = {
        i.id: i
        for i in session.scalars(select(ReportItem).where(ReportItem.id.in_({n for _, n in found})))
    }
    reports = {
        r.id: r
        for r in session.scalars(
            select(SymptomReport).where(SymptomReport.id.in_({i.report_id for i in items.values()}))
        )
    }
    mapper = {"vs": vital_sign, "sx": symptom}
    return [mapper[k](items[n], reports[items[n].report_id], ctx.base) for k, n in found]


def owner(session, resource_id: str) -> int | None:
    parsed = parse_id(resource_id)
    item = session.get(ReportItem, parsed[1]) if parsed else None
    if item is None or resource_id not in observation_ids(
        item.id, item.symptom_code, item.value is not None
    ):
        return None
    return item.patient_id


def read(session, ctx: Context, resource_id: str) -> dict:
    kind, number = parse_id(resource_id)
    return load(session, ctx, [(kind, number)])[0]


def _quantity(value, unit: str, measurement: codes.Measurement) -> dict:
    ucum, human = measurement.units[unit]
    return {"value": value, "unit": human, "system": codes.UCUM, "code": ucum}


def vital_sign(item: ReportItem, report: SymptomReport, base: str) -> dict:
    """Body temperature or weight, to the FHIR vital signs profile: the normalised value (°C,
    kg) as valueQuantity; a value entered in °F or lb kept as its PQ-translation extension."""
    measurement = codes.MEASUREMENTS[CATALOGUE[item.symptom_code].measurement]
    quantity = _quantity(item.normalized_value, measurement.normalised_unit, measurement)
    if item.unit and item.unit != measurement.normalised_unit:
        entered = _quantity(item.value, item.unit, measurement)
        quantity["extension"] = [{"url": codes.PQ_TRANSLATION, "valueQuantity": entered}]
    code = measurement.code
    return without_none(
        {
            "resourceType": "Observation",
            "id": f"vs-{item.id}",
            "meta": meta(report.reported_at, codes.VITAL_SIGNS_PROFILE, measurement.profile),
            "status": "final",
            "category": [_category(codes.VITAL_SIGNS)],
            "code": {
                "coding": [coding(code.system, code.code, code.display)],
                "text": code.display,
            },
            "subject": ref("Patient", item.patient_id),
            "effectiveDateTime": instant(item.measured_at),
            "issued": instant(report.reported_at),
            "performer": [ref("Patient", item.patient_id)],
            "valueQuantity": quantity,
            "bodySite": {"text": item.site} if item.site else None,
        }
    )


def _category(code: codes.Code) -> dict:
    return {"coding": [coding(code.system, code.code, code.display)], "text": code.display}


def _symptom_code(item: ReportItem, base: str) -> dict:
    text = CATALOGUE[item.symptom_code].text["en"]
    snomed = codes.SNOMED_SYMPTOMS.get(item.symptom_code)
    found = [coding(snomed.system, snomed.code, snomed.display)] if snomed else []
    found.append(coding(local(base, "symptom"), item.symptom_code, text))
    return {"coding": found, "text": text}


def _components(item: ReportItem, base: str) -> list[dict]:
    components = []
    for attribute, display in codes.PRO_CTCAE_ATTRIBUTES.items():
        score = getattr(item, attribute)
        if score is not None:
            code = {"coding": [coding(local(base, "pro_ctcae"), attribute, display)]}
            components.append({"code": code, "valueInteger": score})
    for detail in item.details or ():
        code = coding(local(base, "symptom_detail"), detail, detail.replace("_", " "))
        components.append({"code": {"coding": [code]}, "valueBoolean": True})
    return components


def symptom(item: ReportItem, report: SymptomReport, base: str) -> dict:
    """A reported symptom: coded with SNOMED CT where a verified concept exists (and always with
    this service's catalogue code); valueBoolean false only when the patient answered "no"."""
    return without_none(
        {
            "resourceType": "Observation",
            "id": f"sx-{item.id}",
            "meta": meta(report.reported_at),
            "status": "final",
            "category": [_category(codes.SURVEY)],
            "code": _symptom_code(item, base),
            "subject": ref("Patient", item.patient_id),
            "effectiveDateTime": instant(item.measured_at),
            "issued": instant(report.reported_at),
            "performer": [ref("Patient", item.patient_id)],
            "valueBoolean": item.presence != 0,
            "component": _components(item, base),
        }
    )
