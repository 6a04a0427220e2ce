"""Patients, enrollment codes, the patient's own view, and unenrolment."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, EnrollmentCode, Patient, db
from tests.factories import auth, make_clinic, make_patient, make_staff

NEW_PATIENT = {
    "display_name": "A.B.",
    "phone": "+1 (202) 555-0143",
    "timezone": "America/Chicago",
    "language": "es",
    "sex": "female",
    "reproductive_potential": True,
    "breastfeeding": True,
    "baseline_weight": "61.5",
    "baseline_weight_unit": "kg",
    "sms_consent": True,
    "quiet_hours_start": "22:00:00",
    "quiet_hours_end": "07:30:00",
}


@pytest.fixture
def clinic(app):
    return make_clinic()


@pytest.fixture
def nurse(clinic):
    return make_staff(clinic)


def test_create_patient_normalises_phone_and_records_consent(client, nurse):
    response = client.post("/api/v1/patients", json=NEW_PATIENT, headers=auth(nurse))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["phone"] == "+12025550143"
    assert body["baseline_weight"] == 61.5
    assert body["status"] == "active" and body["clinic_id"] == nurse.clinic_id
    assert body["sms_consent_at"] is not None and body["sms_consent_at"].endswith("+00:00")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.create"))
    assert event.patient_id == body["id"] and event.actor_id == nurse.id
    assert event.request_id == response.headers["X-Request-ID"]


def test_list_is_paginated_and_scoped_to_the_clinic(client, nurse, clinic):
    for _ in range(3):
        make_patient(clinic)
    make_patient(make_clinic())
    response = client.get("/api/v1/patients?page_size=2", headers=auth(nurse))
    assert response.status_code == 200
    assert len(response.json) == 2
    assert '"total": 3' in response.headers["X-Pagination"]
    second = client.get("/api/v1/patients?page_size=2&page=2", headers=auth(nurse))
    assert len(second.json) == 1
    assert {p["clinic_id"] for p in response.json + second.json} == {clinic.id}


def test_read_and_update_are_audited(client, nurse, clinic):
    patient = make_patient(clinic, sex="male", reproductive_potential=False)
    headers = auth(nurse)
    assert client.get(f"/api/v1/patients/{patient.id}", headers=headers).status_code == 200
    response = client.patch(
        f"/api/v1/patients/{patient.id}",
        json={"partner_reproductive_potential": True, "timezone": "Europe/Madrid"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json["partner_reproductive_potential"] is True
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.patient_id == patient.id))
    assert [(e.action, e.detail) for e in events] == [
        ("patient.read", None),
        ("patient.update", {"fields": ["partner_reproductive_potential", "timezone"]}),
    ]


def test_inconsistent_facts_are_refused(client, nurse, clinic):
    patient = make_patient(clinic, sex="female")
    response = client.patch(
        f"/api/v1/patients/{patient.id}",
        json={"partner_reproductive_potential": True},
        headers=auth(nurse),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "partner_reproductive_potential": ["Only for male patients."]
    }
    db.session.refresh(patient)
    assert patient.partner_reproductive_potential is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.patient_id == patient.id))
    assert (event.action, event.outcome) == ("patient.update", "failure")


def enroll(client, code):
    return client.post("/api/v1/auth/enroll", json={"code": code})


def test_enrollment_code_is_single_use_and_gives_patient_tokens(client, nurse, clinic):
    patient = make_patient(clinic)
    issued = client.post(f"/api/v1/patients/{patient.id}/enrollment-code", headers=auth(nurse))
    assert issued.status_code == 201
    code = issued.json["code"]
    assert len(code) == 15 and code.count("-") == 2
    tokens = enroll(client, code.lower().replace("-", " "))  # typed sloppily on a phone
    assert tokens.status_code == 200
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens.json['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json["id"] == patient.id and me.json["clinic_name"] == clinic.name
    assert "phone" not in me.json
    assert enroll(client, code).status_code == 401  # single use


def test_a_new_code_retires_the_old_one(client, nurse, clinic):
    patient = make_patient(clinic)
    url = f"/api/v1/patients/{patient.id}/enrollment-code"
    old = client.post(url, headers=auth(nurse)).json["code"]
    new = client.post(url, headers=auth(nurse)).json["code"]
    assert enroll(client, old).status_code == 401
    assert enroll(client, new).status_code == 200


def test_expired_code_is_refused(client, nurse, clinic):
    patient = make_patient(clinic)
    code = client.post(f"/api/v1/patients/{patient.id}/enrollment-code", headers=auth(nurse)).json[
        "code"
    ]
    row = db.session.scalar(select(EnrollmentCode))
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    assert enroll(client, code).status_code == 401


@pytest.mark.parametrize("app_config", [{"ENROLL_RATE_LIMIT": "100/minute"}])
def test_wrong_guesses_lock_the_code(client, nurse, clinic):
    patient = make_patient(clinic)
    code = client.post(f"/api/v1/patients/{patient.id}/enrollment-code", headers=auth(nurse)).json[
        "code"
    ]
    wrong = code[:6] + ("AAAA" if code[6:10] != "AAAA" else "BBBB") + code[10:]
    assert [enroll(client, wrong).status_code for _ in range(5)] == [401] * 5
    assert enroll(client, code).status_code == 401  # locked after 5 wrong attempts
    assert db.session.scalar(select(EnrollmentCode)).failed_attempts == 5


def test_enroll_is_rate_limited(client):
    codes = [enroll(client, "AAAAA-BBBB-CCCC").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_unenrolling_signs_the_app_out_and_freezes_the_record(client, nurse, clinic):
    patient = make_patient(clinic)
    patient_headers = auth(patient)
    assert client.get("/api/v1/me", headers=patient_headers).status_code == 200
    response = client.delete(f"/api/v1/patients/{patient.id}", headers=auth(nurse))
    assert response.status_code == 200 and response.json["status"] == "unenrolled"
    assert client.get("/api/v1/me", headers=patient_headers).status_code == 401
    patch = client.patch(
        f"/api/v1/patients/{patient.id}", json={"language": "es"}, headers=auth(nurse)
    )
    assert patch.status_code == 409
    code = client.post(f"/api/v1/patients/{patient.id}/enrollment-code", headers=auth(nurse))
    assert code.status_code == 409
    listed = client.get("/api/v1/patients?status=unenrolled", headers=auth(nurse)).json
    assert [p["id"] for p in listed] == [patient.id]


def test_patient_updates_own_preferences(client, clinic):
    patient = make_patient(clinic, sms_consent=False)
    headers = auth(patient)
    response = client.patch(
        "/api/v1/me", json={"language": "es", "sms_consent": True}, headers=headers
    )
    assert response.status_code == 200
    assert response.json["language"] == "es" and response.json["sms_consent_at"]
    refused = client.patch("/api/v1/me", json={"sex": "male"}, headers=headers)
    assert refused.status_code == 422 and "sex" in refused.json["errors"]
    assert db.session.get(Patient, patient.id).sex == "female"
