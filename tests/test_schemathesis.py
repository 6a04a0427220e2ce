"""Schemathesis against the app (WSGI) for each role, with real tokens: every response of every
operation matches the OpenAPI document (status, content type, headers, body) and none is a 5xx.

Deterministic (derandomize) and bounded (EXAMPLES per operation and mode), so CI runs it on
SQLite and PostgreSQL in a few minutes. Half the generated cases get the ids of real objects,
so by-id operations answer 200 and their bodies are checked too, not only their 404s.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from models import Patient, Reminder, db, utcnow
from tests.factories import auth, make_clinic, make_message, make_staff

ROLES = ["anonymous", "patient", "clinician", "admin"]
EXAMPLES = {"examples": 4, GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def world(app, client):
    """A clinic with data made through the API, so lists answer with real items: a patient
    with a dose, a lab, a transplant, planned reminders, a fever report and its alert."""
    clinic = make_clinic()
    admin = make_staff(clinic, role="admin")
    clinician = make_staff(clinic, phone="+12025550143", on_call=True)
    staff = auth(clinician)
    body = {"display_name": "S.T.", "phone": "+12025550143", "timezone": "America/Chicago"}
    body |= {"sex": "female", "reproductive_potential": True, "sms_consent": True}
    patient_id = client.post("/api/v1/patients", json=body, headers=staff).json["id"]
    base = f"/api/v1/patients/{patient_id}"
    given = utcnow() - timedelta(days=2)
    local_day = given.astimezone(ZoneInfo("America/Chicago")).date().isoformat()  # the patient's
    for url, data in [
        ("/doses", {"administered_on": local_day, "cycle": 1, "cycle_day": 1}),
        ("/labs", {"kind": "bilirubin", "value": 1.1, "unit": "mg/dL"}),
    ]:
        data["infusion_started_at" if "dose" in url else "collected_at"] = given.isoformat()
        assert client.post(base + url, json=data, headers=staff).status_code == 201
    hsct = {"hsct_date": (given + timedelta(days=1)).date().isoformat()}
    assert client.put(base + "/transplant", json=hsct, headers=staff).status_code == 200
    patient = db.session.get(Patient, patient_id)
    report = {"items": [{"symptom": "temperature", "value": 38.6, "unit": "C", "site": "oral"}]}
    headers = auth(patient) | {"Idempotency-Key": "schemathesis-0001"}
    alert_id = client.post("/api/v1/me/symptom-reports", json=report, headers=headers).json[
        "alert_id"
    ]
    reminder = db.session.scalar(select(Reminder).where(Reminder.patient_id == patient_id))
    ids = {
        "patient_id": patient_id,
        "staff_id": clinician.id,
        "alert_id": alert_id,
        "message_id": make_message(clinic, "schemathesis", "dead").id,
        "reminder_id": reminder.id,
        "rule_id": "R-CONTRA-F",
    }
    return {"admin": admin, "clinician": clinician, "patient": patient}, ids


def with_real_ids(ids):
    def apply(pair):
        case, use_real = pair
        if use_real and case.path_parameters:
            case.path_parameters = {
                name: ids.get(name, value) for name, value in case.path_parameters.items()
            }
        return case

    return apply


def run_operation(operation, mode, ids, headers_for):
    if mode == "examples":  # built from the document's examples: mostly valid requests
        strategies = operation.get_strategies_from_examples()
        if not strategies:
            return
        generated, examples = st.one_of(strategies), 4
    else:
        generated, examples = operation.as_strategy(generation_mode=mode), EXAMPLES[mode]
    strategy = st.tuples(generated, st.booleans())

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy.map(with_real_ids(ids)))
    def check(case):
        # A fresh token per call: an example that logs out or changes a password must not
        # turn every later example into a 401.
        case.call_and_validate(headers=headers_for(), checks=CHECKS)

    check()


@pytest.mark.parametrize("role", ROLES)
def test_every_response_matches_the_document(app, world, role):
    people, ids = world
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)

    def headers_for():
        return {} if role == "anonymous" else auth(people[role])

    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in EXAMPLES:
            try:
                run_operation(operation, mode, ids, headers_for)
            except (Exception, BaseExceptionGroup) as exc:  # every operation's, not the first
                failures.append(f"{operation.label} [{mode}]: {exc}")
    assert operations >= 45
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
