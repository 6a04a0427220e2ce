"""Every error under /fhir/R4 is an OperationOutcome with the right status and content type,
including those no FHIR view raises (unknown path, wrong method, token refused); the
CapabilityStatement lists exactly what is served."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fhir_r4 import params
from fhir_r4.search import TYPES
from tests.factories import auth, make_clinic, make_patient, make_staff
from tests.fhir_world import validate

FHIR_JSON = "application/fhir+json; charset=utf-8"


@pytest.fixture
def staff(app):
    clinic = make_clinic()
    return make_staff(clinic), make_patient(clinic)


def assert_outcome(response, status, code):
    assert response.status_code == status
    assert response.content_type == FHIR_JSON
    outcome = validate(response.json)
    assert outcome.get_resource_type() == "OperationOutcome"
    assert response.json["issue"][0]["code"] == code
    assert response.json["issue"][0]["diagnostics"]
    return response.json


def test_no_token_is_401(client, staff):
    assert_outcome(client.get("/fhir/R4/Patient"), 401, "login")
    bad = {"Authorization": "Bearer not-a-token"}
    assert_outcome(client.get("/fhir/R4/Observation/vs-1", headers=bad), 401, "login")


def test_a_patients_token_is_403(client, staff):
    _, patient = staff
    headers = auth(patient)
    assert_outcome(client.get(f"/fhir/R4/Patient/{patient.id}", headers=headers), 403, "forbidden")


def test_unknown_resources_paths_and_methods(client, staff):
    headers = auth(staff[0])
    assert_outcome(client.get("/fhir/R4/Observation/vs-424242", headers=headers), 404, "not-found")
    assert_outcome(client.get("/fhir/R4/Observation/zz-1", headers=headers), 404, "not-found")
    assert_outcome(client.get("/fhir/R4/MedicationRequest", headers=headers), 404, "not-found")
    assert_outcome(client.get("/fhir/R4/Patient/" + "9" * 70, headers=headers), 404, "not-found")
    posted = client.post("/fhir/R4/Observation", headers=headers, json={})
    assert_outcome(posted, 405, "not-supported")
    assert "GET" in posted.headers["Allow"]


def test_only_json_is_offered(client, staff):
    headers = auth(staff[0])
    xml = headers | {"Accept": "application/fhir+xml"}
    assert_outcome(client.get("/fhir/R4/Patient", headers=xml), 406, "not-supported")
    assert_outcome(
        client.get("/fhir/R4/Patient?_format=xml", headers=headers), 406, "not-supported"
    )
    for accept in ("application/fhir+json", "application/json", "*/*"):
        response = client.get("/fhir/R4/Patient", headers=headers | {"Accept": accept})
        assert response.status_code == 200


def test_bad_parameters_are_400_with_the_parameter_named(client, staff):
    outcome = assert_outcome(
        client.get("/fhir/R4/Flag?status=active", headers=auth(staff[0])), 400, "invalid"
    )
    assert outcome["issue"][0]["expression"] == ["status"]


def test_the_json_api_keeps_its_envelope(client, staff):
    response = client.get("/api/v1/patients/999999", headers=auth(staff[0]))
    assert response.status_code == 404
    assert set(response.json) == {"code", "status", "error", "message", "errors"}


def test_metadata_is_public_and_lists_exactly_what_is_served(client, app):
    response = client.get("/fhir/R4/metadata")
    assert response.status_code == 200 and response.content_type == FHIR_JSON
    statement = response.json
    validate(statement)
    rest = statement["rest"][0]
    served = {r["type"]: r for r in rest["resource"]}
    assert set(served) == {*TYPES, "Group"}
    for name, module in TYPES.items():
        assert {p["name"] for p in served[name]["searchParam"]} == set(module.SEARCH_PARAMS)
        assert [i["code"] for i in served[name]["interaction"]] == ["read", "search-type"]
    assert served["Group"]["operation"][0]["name"] == "export"
    assert "403" in rest["security"]["description"]
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/fhir/R4/")}
    for name in served:  # every type listed has its routes, and no other type is routed
        assert f"/fhir/R4/{name}" in routes
    routed_types = {r.split("/")[3] for r in routes} - {"metadata", "bulk-status", "bulk-files"}
    assert routed_types == set(served)


def test_a_date_without_time_means_the_clinics_day():
    value = params.date_value("date", "2026-01-05", ZoneInfo("America/New_York"))
    assert value.low == datetime(2026, 1, 5, 5, tzinfo=UTC)
    assert value.high == datetime(2026, 1, 6, 5, tzinfo=UTC)
    month = params.date_value("date", "ge2026-12", ZoneInfo("UTC"))
    assert (month.prefix, month.high) == ("ge", datetime(2027, 1, 1, tzinfo=UTC))


def test_odd_bytes_in_paths_and_parameters_are_4xx(client, staff):
    headers = auth(staff[0])
    for path in (
        "/fhir/R4/bulk-status/" + "%00" * 32,
        "/fhir/R4/bulk-files/" + "z" * 32 + "/Patient.ndjson",
        "/fhir/R4/Observation/sx-%00",
        "/fhir/R4/Observation?code=%00",
        "/fhir/R4/Observation?date=%00",
        "/fhir/R4/Communication?category=%00",
        "/fhir/R4/Patient?identifier=%00|%00",
    ):
        response = client.get(path, headers=headers)
        assert 400 <= response.status_code < 500 or response.status_code == 200, path
        assert response.content_type == FHIR_JSON


def test_no_empty_arrays_or_nulls_are_emitted(client, staff):
    """FHIR JSON forbids them: an empty search has no `entry`, an empty clinic no `member`."""
    headers = auth(make_staff(make_clinic()))
    empty = client.get("/fhir/R4/Observation", headers=headers).get_data(as_text=True)
    assert '"entry"' not in empty and "[]" not in empty and "null" not in empty
    group = client.get("/fhir/R4/Group", headers=headers).get_data(as_text=True)
    assert '"member"' not in group and "[]" not in group
