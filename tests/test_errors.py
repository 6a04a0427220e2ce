"""One error shape in fact: {"code", "status", "error", "message", "errors"} for every error,
with a stable machine-readable `error` the app can switch on instead of parsing English."""

from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token

from access import families
from models import db, utcnow
from tests.factories import PASSWORD, auth, make_clinic, make_patient, make_staff

KEYS = ["code", "status", "error", "message", "errors"]


def assert_error(response, code: int, error: str) -> dict:
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.json
    assert list(body) == KEYS
    assert body["code"] == code and body["error"] == error
    assert isinstance(body["errors"], dict)
    assert isinstance(body["message"], str) and 0 < len(body["message"]) <= 120
    return body


@pytest.fixture
def nurse(app):
    return make_staff(make_clinic())


def test_invalid_json_has_the_same_shape_as_a_validation_error(client, nurse):
    headers = auth(nurse)
    bad = client.post(
        "/api/v1/patients", data="{not json", headers=headers, content_type="application/json"
    )
    assert assert_error(bad, 400, "invalid_json")["errors"] == {}
    invalid = client.post("/api/v1/patients", json={"sex": "other"}, headers=headers)
    errors = assert_error(invalid, 422, "validation_failed")["errors"]
    assert errors["sex"] == ["Must be one of: female, male."]


@pytest.mark.parametrize("query, field", [("status=gone", "status"), ("page=0", "page")])
def test_query_errors_are_by_field_like_body_errors(client, nurse, query, field):
    response = client.get(f"/api/v1/patients?{query}", headers=auth(nurse))
    assert list(assert_error(response, 422, "validation_failed")["errors"]) == [field]


def test_not_found_is_short(client, nurse):
    body = assert_error(client.get("/api/v1/nothing", headers=auth(nurse)), 404, "not_found")
    assert body["message"] == "Not found."
    body = assert_error(client.get("/api/v1/patients/999", headers=auth(nurse)), 404, "not_found")
    assert body["message"] == "Patient not found."


def test_method_not_allowed(client, nurse):
    response = client.put("/api/v1/patients", json={}, headers=auth(nurse))
    assert assert_error(response, 405, "method_not_allowed")["message"] == "Method not allowed."
    assert "GET" in response.headers["Allow"]


def test_payload_too_large(client, nurse):
    response = client.post("/api/v1/patients", json={"x": "y" * 70_000}, headers=auth(nurse))
    assert_error(response, 413, "payload_too_large")


def test_token_errors_say_which(client, app, nurse):
    assert_error(client.get("/api/v1/patients"), 401, "token_missing")
    garbage = {"Authorization": "Bearer x.y.z"}
    assert_error(client.get("/api/v1/patients", headers=garbage), 401, "token_invalid")
    expired = create_access_token(identity=f"staff:{nurse.id}", expires_delta=timedelta(seconds=-1))
    response = client.get("/api/v1/patients", headers={"Authorization": f"Bearer {expired}"})
    assert_error(response, 401, "token_expired")
    headers = auth(nurse)
    families.revoke_subject(db.session, nurse, now=utcnow(), reason="test")
    db.session.commit()
    assert_error(client.get("/api/v1/patients", headers=headers), 401, "token_revoked")
    headers = auth(nurse)
    nurse.active = False
    db.session.commit()
    assert_error(client.get("/api/v1/patients", headers=headers), 401, "account_inactive")


def test_sign_in_errors(client, nurse):
    wrong = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": "x" * 12})
    assert_error(wrong, 401, "bad_credentials")
    code = client.post("/api/v1/auth/enroll", json={"code": "AAAAA-BBBB-CCCC"})
    assert_error(code, 401, "enrollment_code_invalid")
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"})
    assert_error(refresh, 401, "refresh_token_invalid")
    ok = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": PASSWORD})
    assert ok.status_code == 200


def test_role_refusal(client, nurse):
    patient = make_patient(nurse.clinic)
    assert_error(client.get("/api/v1/patients", headers=auth(patient)), 403, "forbidden")
    assert_error(client.get("/api/v1/staff", headers=auth(nurse)), 403, "forbidden")


def test_conflicts(client, nurse):
    admin = make_staff(nurse.clinic, role="admin")
    body = {"role": "clinician", "name": "N", "email": nurse.email, "password": "long password!"}
    assert_error(client.post("/api/v1/staff", json=body, headers=auth(admin)), 409, "duplicate")
    demote = client.patch(f"/api/v1/staff/{admin.id}", json={"active": False}, headers=auth(admin))
    assert_error(demote, 409, "conflict")


def test_rate_limited(client, app):
    app.config["LOGIN_RATE_LIMIT"] = "2/minute"
    for _ in range(2):
        client.post("/api/v1/auth/login", json={"email": "a@example.org", "password": "x"})
    response = client.post("/api/v1/auth/login", json={"email": "a@example.org", "password": "x"})
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
