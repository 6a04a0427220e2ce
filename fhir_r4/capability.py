"""The CapabilityStatement: exactly the resource types, interactions, search parameters and
operations this server supports, and how it is secured."""

from fhir_r4.search import CONTROL, TYPES
from triage import codes

SOFTWARE_VERSION = "0.1.0"
RELEASED = "2026-12-02"
PROFILES = {
    "Observation": [
        codes.VITAL_SIGNS_PROFILE,
        *(m.profile for m in codes.MEASUREMENTS.values()),
    ]
}
SECURITY = (
    "Bearer token: a staff access token from POST /api/v1/auth/login (the same JWTs as "
    "/api/v1). Patients' tokens are refused (403). Every read is scoped to the caller's clinic: "
    "another clinic's resource answers 404 like a missing one. Every read is audited. Search "
    "parameters not listed here are refused (400), never ignored."
)
PAGING = (
    f"Searches return a searchset Bundle with total and self/next/previous links; "
    f"{', '.join(CONTROL)} are accepted (_count at most 100)."
)


def _resource(name: str, module) -> dict:
    entry = {
        "type": name,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": param, "type": kind, "documentation": text}
            for param, (kind, text) in module.SEARCH_PARAMS.items()
        ],
    }
    if name in PROFILES:
        entry["supportedProfile"] = PROFILES[name]
    return entry


def capability_statement(base: str) -> dict:
    resources = [_resource(name, module) for name, module in TYPES.items()]
    resources.append(
        {
            "type": "Group",
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "documentation": "One Group per clinic: its patients (unenrolled ones inactive).",
            "operation": [{"name": "export", "definition": codes.BULK_EXPORT_GROUP}],
        }
    )
    return {
        "resourceType": "CapabilityStatement",
        "id": "besponsa-care",
        "url": f"{base}/fhir/R4/metadata",
        "version": SOFTWARE_VERSION,
        "name": "BesponsaCareFhirServer",
        "title": "BESPONSA care backend: FHIR R4 read-only API and Bulk Data export",
        "status": "active",
        "date": RELEASED,
        "publisher": "BESPONSA care backend",
        "kind": "instance",
        "instantiates": [codes.BULK_CAPABILITY],
        "software": {"name": "besponsa-care", "version": SOFTWARE_VERSION},
        "implementation": {
            "description": "Patient-reported symptoms, vital signs, alerts and messages",
            "url": f"{base}/fhir/R4",
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": PAGING,
                "security": {"cors": False, "description": SECURITY},
                "resource": resources,
                "operation": [
                    {
                        "name": "export",
                        "definition": codes.BULK_EXPORT_GROUP,
                        "documentation": (
                            "GET Group/[id]/$export only, with Prefer: respond-async; _type "
                            "(Patient, Observation, Flag, Communication), _since, _outputFormat "
                            "application/fhir+ndjson. Files expire after FHIR_EXPORT_HOURS."
                        ),
                    }
                ],
            }
        ],
    }
