"""Inputs that used to give 500 each get a clear 4xx, whatever the endpoint: a NUL character,
integers past the database's range, JSON nested 1,000 deep, NaN/Infinity/huge numbers, times
with UTC offsets. The guards sit where every endpoint passes (the request parser, the
pagination schema, the shared fields, one request hook), so these tests walk every endpoint."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import auth, make_alert, make_clinic, make_patient, make_staff
from tests.test_console import csrf_of, sign_in

KEYS = ["code", "status", "error", "message", "errors"]
PATIENT = {"display_name": "A.B.", "phone": "+12025550143", "timezone": "UTC", "sex": "male"}


@pytest.fixture
def world(app):
    clinic = make_clinic()
    people = {
        "admin": make_staff(clinic, role="admin"),
        "clinician": make_staff(clinic),
        "patient": make_patient(clinic),
    }
    make_alert(people["patient"])
    return people, {role: auth(person) for role, person in people.items()}


def assert_4xx(response, code, error=None):
    assert response.status_code == code, response.get_data(as_text=True)
    assert list(response.json) == KEYS
    if error:
        assert response.json["error"] == error
    return response.json


def concrete(path: str, people) -> str:
    ids = {"patient_id": people["patient"].id, "staff_id": people["clinician"].id}
    path = re.sub(r"{(patient_id|staff_id)}", lambda m: str(ids[m.group(1)]), path)
    return re.sub(r"{rule_id}", "R-CONTRA-F", re.sub(r"{\w+}", "1", path))


def operations(client, want):
    spec = client.get("/openapi.json").json
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete") and want(op):
                yield method.upper(), path


def first_allowed(client, method, url, headers, **kwargs):
    """The answer for the first role the endpoint does not refuse outright."""
    for role in ("admin", "clinician", "patient"):
        response = client.open(url, method=method, headers=headers[role], **kwargs)
        if response.status_code not in (401, 403):
            return response
    raise AssertionError(f"{method} {url}: every role refused")


# NUL characters


@pytest.mark.parametrize(
    "method, url, role, body, field",
    [
        ("POST", "/api/v1/patients", "clinician", PATIENT | {"display_name": "A\x00B"}, None),
        ("POST", "/api/v1/staff", "admin", {"name": "N\x00", "role": "clinician"}, "name"),
        ("POST", "/api/v1/me/symptom-reports", "patient", {"note": "\x00"}, "note"),
        ("POST", "/api/v1/patients", "clinician", PATIENT | {"x\x00y": 1}, "x\x00y"),
    ],
)
def test_nul_in_a_body_is_a_field_error(client, world, method, url, role, body, field):
    _, headers = world
    extra = {"Idempotency-Key": "nul-report-0001"} if "symptom" in url else {}
    response = client.open(url, method=method, json=body, headers=headers[role] | extra)
    errors = assert_4xx(response, 422, "validation_failed")["errors"]
    assert errors[field or "display_name"] == ["Must not contain the NUL character."]


def test_nul_in_a_nested_body_field_names_its_place(client, world):
    _, headers = world
    body = {"items": [{"symptom": "fever"}, {"symptom": "rash", "details": ["a\x00"]}]}
    headers = headers["patient"] | {"Idempotency-Key": "nul-nested-0001"}
    response = client.post("/api/v1/me/symptom-reports", json=body, headers=headers)
    errors = assert_4xx(response, 422, "validation_failed")["errors"]
    assert errors == {"items": {"1": {"details": {"0": ["Must not contain the NUL character."]}}}}


def test_nul_in_any_query_value(client, world):
    people, headers = world
    for method, path in operations(client, lambda op: "parameters" in op):
        if method != "GET":
            continue
        response = first_allowed(client, method, concrete(path, people) + "?x=%00", headers)
        assert response.status_code == 422, (path, response.json)
        assert response.json["errors"] == {"x": ["Must not contain the NUL character."]}
    response = client.get("/api/v1/audit-events?action=%00", headers=headers["admin"])
    assert assert_4xx(response, 422)["errors"] == {
        "action": ["Must not contain the NUL character."]
    }


def test_nul_in_a_path_is_not_found(client, world):
    _, headers = world
    assert client.get("/c/%00").status_code == 404  # the console's SMS link: a page
    assert "<html" in client.get("/c/abc%00def").get_data(as_text=True).lower()
    response = client.patch("/api/v1/schedule-rules/R%00", json={}, headers=headers["admin"])
    assert_4xx(response, 404, "not_found")


def test_nul_in_console_forms_and_queries(client, world):
    people, _ = world
    page = client.get("/console/login")
    form = {"email": "a\x00@example.org", "password": "x", "csrf_token": csrf_of(page)}
    refused = client.post("/console/login", data=form)
    assert refused.status_code == 400 and "<html" in refused.get_data(as_text=True).lower()
    assert sign_in(client, people["admin"]).status_code == 302
    assert client.get("/console/admin/audit?action=%00").status_code == 400
    assert client.get("/console/admin/audit?action=patient.read").status_code == 200
    assert client.get("/console/?urgency=%00").status_code == 400
    # a filter past the INTEGER range filters nothing rather than overflowing the database
    assert client.get("/console/admin/audit?patient_id=2147483648").status_code == 200


# Integers past the database's range


@pytest.mark.parametrize("value", ["2147483648", "-1", "99999999999999999999"])
def test_ids_in_queries_are_bounded(client, world, value):
    _, headers = world
    for url in [f"/api/v1/alerts?patient_id={value}", f"/api/v1/audit-events?actor_id={value}"]:
        response = client.get(url, headers=headers["admin"])
        assert (
            "patient_id" in assert_4xx(response, 422)["errors"]
            or "actor_id" in response.json["errors"]
        )


def test_every_paginated_list_bounds_its_page(client, world):
    people, headers = world
    paginated = list(
        operations(client, lambda op: any(p["name"] == "page" for p in op.get("parameters", [])))
    )
    assert len(paginated) >= 12
    for method, path in paginated:
        for query in ["page=9223372036854775808", "page=2147483648", "page_size=101"]:
            url = f"{concrete(path, people)}?{query}"
            response = first_allowed(client, method, url, headers)
            assert response.status_code == 422, (url, response.json)
        url = f"{concrete(path, people)}?page=2147483647"
        assert first_allowed(client, method, url, headers).status_code == 200


# JSON the parser refuses


DEEP = "[" * 1000 + "]" * 1000  # 2 KB


@pytest.mark.parametrize(
    "raw",
    [
        DEEP,
        '{"a":' * 1000 + "1" + "}" * 1000,
        '{"display_name": NaN}',
        '{"display_name": Infinity}',
        '{"display_name": -Infinity}',
        '{"baseline_weight": 1e309}',
        '{"baseline_weight": ' + "9" * 5000 + "}",
        "[" * 40 + "]" * 40,
        '{"note": "mareo \\ud83d", "display_name": "x\\ud800", "items": []}',
        '{"name": "\\udfff"}',
        '{"\\ud800": 1}',
    ],
    ids=[
        "deep-array",
        "deep-object",
        "nan",
        "inf",
        "-inf",
        "1e309",
        "5000-digits",
        "depth-40",
        "half-an-emoji",
        "lone-low-surrogate",
        "surrogate-key",
    ],
)
def test_every_json_endpoint_refuses_unsafe_json(client, world, raw):
    people, headers = world
    with_body = list(operations(client, lambda op: "requestBody" in op))
    assert len(with_body) >= 20
    for method, path in with_body:
        response = first_allowed(
            client,
            method,
            concrete(path, people),
            headers | {k: v | {"Idempotency-Key": "deep-json-0001"} for k, v in headers.items()},
            data=raw,
            content_type="application/json",
        )
        assert response.status_code == 400, (method, path, response.get_data(as_text=True))
        assert response.json["error"] == "invalid_json"


def test_a_fainting_report_cut_inside_an_emoji_is_refused_clearly_not_lost_to_a_500(client, world):
    """An app that cut its note inside an emoji sends half a character; a whole emoji is fine."""
    people, headers = world
    patient = headers["patient"] | {"Idempotency-Key": "surrogate-0001"}
    half = '{"items": [{"symptom": "fainting"}], "note": "mareo \\ud83d"}'
    response = client.post(
        "/api/v1/me/symptom-reports", data=half, headers=patient, content_type="application/json"
    )
    assert response.status_code == 400 and response.json["error"] == "invalid_json"
    whole = {"items": [{"symptom": "fainting"}], "note": "mareo \U0001f635"}
    response = client.post("/api/v1/me/symptom-reports", json=whole, headers=patient)
    assert response.status_code == 201, response.get_data(as_text=True)


def test_reasonable_json_still_passes(client, world):
    _, headers = world
    body = PATIENT | {"baseline_weight": 70.5}
    assert (
        client.post("/api/v1/patients", json=body, headers=headers["clinician"]).status_code == 201
    )


# Local wall-clock times


@pytest.mark.parametrize("value", ["22:01:56-20:12", "22:00+01:00", "22:00Z", "22:00:00+00:00"])
def test_times_with_an_offset_are_refused(client, world, value):
    people, headers = world
    message = "A local wall-clock time without a UTC offset, e.g. 21:30."
    for url, role, body in [
        ("/api/v1/me", "patient", {"quiet_hours_start": value}),
        (f"/api/v1/patients/{people['patient'].id}", "clinician", {"quiet_hours_end": value}),
        ("/api/v1/clinic", "admin", {"quiet_hours_start": value}),
    ]:
        response = client.patch(url, json=body, headers=headers[role])
        errors = assert_4xx(response, 422, "validation_failed")["errors"]
        assert list(errors.values()) == [[message]]


def test_local_times_are_accepted(client, world):
    _, headers = world
    response = client.patch(
        "/api/v1/me",
        json={"quiet_hours_start": "22:30", "quiet_hours_end": "07:00:00"},
        headers=headers["patient"],
    )
    assert response.status_code == 200
    assert response.json["quiet_hours_start"] == "22:30:00"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"items": [{"symptom": "fever"}], "onset_at": "2030-12-01T10:00:00Z"}, "onset_at"),
        (
            {
                "items": [
                    {
                        "symptom": "temperature",
                        "value": 38.6,
                        "unit": "C",
                        "measured_at": "2031-01-01T00:00:00Z",
                    }
                ]
            },
            "items",
        ),
    ],
)
def test_a_report_of_what_has_not_happened_yet_is_refused(client, world, body, field):
    """A reading or an onset in the future would skew "sustained over an hour" (T-FEV)."""
    _, headers = world
    response = client.post(
        "/api/v1/me/symptom-reports",
        json=body,
        headers=headers["patient"] | {"Idempotency-Key": f"future-{field}-0001"},
    )
    assert response.status_code == 422 and field in response.json["errors"]
    ahead = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()  # a phone's clock runs ahead
    fine = {"items": [{"symptom": "fever"}], "onset_at": ahead}
    ok = client.post(
        "/api/v1/me/symptom-reports",
        json=fine,
        headers=headers["patient"] | {"Idempotency-Key": f"future-ok-{field}-0001"},
    )
    assert ok.status_code == 201, ok.json
