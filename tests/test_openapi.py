"""The OpenAPI document is valid and says what the API does: numbers are numbers, vocabularies
are enums, fields that can be null are nullable, every operation lists the errors it can give.
(tests/test_schemathesis.py checks real responses against it.)"""

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator
from sqlalchemy import inspect

import models
from api.schemas import audit, clinical, messages, patients, reminders, staff, triage


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").json


def schema(spec, name):
    return spec["components"]["schemas"][name]["properties"]


def test_the_document_is_valid(spec):
    errors = [e.message for e in OpenAPIV30SpecValidator(spec).iter_errors()]
    assert errors == []


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_bounds_are_numbers_and_numbers_are_numbers(spec):
    for node in walk(spec):
        for key in ("minimum", "maximum"):
            if key in node:
                assert isinstance(node[key], int | float), node
    weight = schema(spec, "Patient")["baseline_weight"]
    assert (weight["type"], weight["minimum"], weight["maximum"]) == ("number", 1, 700)
    assert weight["nullable"] is True
    assert schema(spec, "ReportItemOut")["value"]["type"] == "number"
    assert schema(spec, "LabResult")["upper_limit_normal"]["minimum"] == 0.001


def test_vocabularies_are_enums(spec):
    assert schema(spec, "SymptomReportOut")["urgency"]["enum"] == [
        "none",
        "routine",
        "urgent",
        "emergency",
    ]
    assert "none:" in schema(spec, "SymptomReportOut")["urgency"]["description"]
    assert schema(spec, "Alert")["urgency"]["enum"] == ["routine", "urgent", "emergency"]
    assert schema(spec, "MyAlert")["seen_by_care_team"]["type"] == "boolean"
    assert schema(spec, "Message")["status"]["enum"][0] == "queued"


def test_servers_and_the_error_envelope(spec):
    assert spec["servers"][0]["url"]
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "status", "error", "message", "errors"}
    unavailable = spec["components"]["responses"]["SERVICE_UNAVAILABLE_RETRY"]
    assert "Retry-After" in unavailable["headers"]


def test_every_operation_lists_its_errors(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            codes = set(op["responses"])
            assert {"503", "default"} <= codes, (method, path)
            if op.get("security"):
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "422"} <= codes, (method, path)
            if method != "get":
                assert "409" in codes, (method, path)
    assert "429" in spec["paths"]["/api/v1/auth/login"]["post"]["responses"]


def test_lists_and_objects_are_what_they_are(spec):
    catalogue = spec["paths"]["/api/v1/symptom-catalogue"]["get"]["responses"]["200"]
    assert catalogue["content"]["application/json"]["schema"]["type"] == "array"
    settings = spec["paths"]["/api/v1/triage-settings"]["get"]["responses"]["200"]
    ref = settings["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert list(schema(spec, ref)) == ["settings", "version"]


# Every schema that dumps a model, and the model: a nullable column is a nullable field.
DUMPS = [
    (patients.PatientSchema, models.Patient),
    (patients.MeSchema, models.Patient),
    (clinical.DoseSchema, models.Dose),
    (clinical.LabResultSchema, models.LabResult),
    (reminders.ReminderSchema, models.Reminder),
    (staff.StaffSchema, models.Staff),
    (staff.ClinicSchema, models.Clinic),
    (audit.AuditEventSchema, models.AuditEvent),
    (messages.MessageSchema, models.Message),
    (triage.AlertSchema, models.Alert),
    (triage.MyAlertSchema, models.Alert),
    (triage.SymptomReportOutSchema, models.SymptomReport),
    (triage.ReportItemOutSchema, models.ReportItem),
]


@pytest.mark.parametrize("schema_class, model", DUMPS, ids=lambda v: v.__name__)
def test_nullable_columns_are_nullable_fields(schema_class, model):
    columns = {c.key: c.columns[0] for c in inspect(model).column_attrs}
    missing = [
        name
        for name, field in schema_class().fields.items()
        if not field.load_only
        and (column := columns.get(field.attribute or name)) is not None
        and column.nullable
        and not field.allow_none
    ]
    assert missing == []
