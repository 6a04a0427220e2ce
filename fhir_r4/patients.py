"""Patients and the clinic's patient list (Group, the unit of Bulk Data export). A Patient
carries only what identifies the record and the language to speak: no phone, no reproductive
or treatment facts (docs/ARCHITECTURE.md, "FHIR")."""

from sqlalchemy import func, select

from fhir_r4 import params
from fhir_r4.common import Context, coding, local, meta, ref
from models import Clinic, Patient
from triage import codes

SEARCH_PARAMS = {
    "_id": ("token", "The patient's id"),
    "identifier": ("token", "<base>/fhir/sid/patient-id|<id>"),
    "_lastUpdated": ("date", "When the record last changed"),
}


def parse_id(resource_id: str) -> int | None:
    return int(resource_id) if resource_id.isdigit() and 0 < int(resource_id) < 2**31 else None


def keys(ctx: Context, parsed: dict, dialect: str):
    stmt = select(Patient.id).where(Patient.clinic_id == ctx.clinic_id)
    for values in parsed.get("_id", []):
        stmt = stmt.where(Patient.id.in_([parse_id(c) or 0 for _, c in values]))
    for values in parsed.get("identifier", []):
        system = local(ctx.base, "patient_id")
        ids = [parse_id(c) or 0 for s, c in values if s in (None, system)]
        stmt = stmt.where(Patient.id.in_(ids))
    for value in parsed.get("_lastUpdated", []):
        stmt = stmt.where(params.date_condition(value, Patient.updated_at))
    return stmt.order_by(Patient.id)


def owner(session, resource_id: str) -> int | None:
    return parse_id(resource_id)


def load(session, ctx: Context, found: list) -> list[dict]:
    ids = [row[0] if isinstance(row, tuple) else row for row in found]
    rows = {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_(ids)))}
    return [patient(rows[i], ctx.base) for i in ids]


def read(session, ctx: Context, resource_id: str) -> dict:
    return load(session, ctx, [parse_id(resource_id)])[0]


def patient(p: Patient, base: str) -> dict:
    internal = coding(codes.IDENTIFIER_TYPE, "PI", "Patient internal identifier")
    return {
        "resourceType": "Patient",
        "id": str(p.id),
        "meta": meta(p.updated_at),
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [internal]},
                "system": local(base, "patient_id"),
                "value": str(p.id),
            }
        ],
        "active": p.status == "active",
        "name": [{"text": p.display_name}],
        "gender": p.sex,
        "communication": [
            {"language": {"coding": [coding(codes.BCP47, p.language)]}, "preferred": True}
        ],
    }


def group(session, clinic: Clinic) -> dict:
    """Every patient the clinic has enrolled; unenrolled ones are members marked inactive."""
    members = session.execute(
        select(Patient.id, Patient.status)
        .where(Patient.clinic_id == clinic.id)
        .order_by(Patient.id)
    ).all()
    updated = session.scalar(
        select(func.max(Patient.updated_at)).where(Patient.clinic_id == clinic.id)
    )
    return {
        "resourceType": "Group",
        "id": str(clinic.id),
        "meta": meta(max(t for t in (updated, clinic.created_at) if t)),
        "active": True,
        "type": "person",
        "actual": True,
        "name": clinic.name,
        "quantity": len(members),
        "member": [
            {"entity": ref("Patient", pid), "inactive": status != "active"}
            for pid, status in members
        ],
    }
