"""Clinic admins: staff accounts, clinic settings and the audit trail."""

import pytest

from models import Staff, db
from tests.factories import PASSWORD, auth, make_clinic, make_patient, make_staff


@pytest.fixture
def admin(app):
    return make_staff(make_clinic(), role="admin")


def test_admin_adds_a_clinician_who_can_sign_in(client, admin):
    body = {
        "role": "clinician",
        "name": "Night Nurse",
        "email": "Night@Example.org",
        "phone": "+1 202 555 0143",
        "password": "a long enough password",
    }
    created = client.post("/api/v1/staff", json=body, headers=auth(admin))
    assert created.status_code == 201, created.json
    assert created.json["email"] == "night@example.org"
    assert created.json["phone"] == "+12025550143"
    assert "password" not in created.json and "password_hash" not in created.json
    login = client.post(
        "/api/v1/auth/login", json={"email": "night@example.org", "password": body["password"]}
    )
    assert login.status_code == 200
    duplicate = client.post(
        "/api/v1/staff", json=body | {"email": "night@example.org"}, headers=auth(admin)
    )
    assert duplicate.status_code == 409


def test_short_passwords_are_refused(client, admin):
    body = {"role": "clinician", "name": "N", "email": "n@example.org", "password": "short"}
    response = client.post("/api/v1/staff", json=body, headers=auth(admin))
    assert response.status_code == 422
    assert response.json["errors"] == {"password": ["Length must be between 12 and 128."]}


def test_deactivating_a_member_signs_them_out(client, admin):
    nurse = make_staff(db.session.get(Staff, admin.id).clinic)
    nurse_headers = auth(nurse)
    response = client.patch(
        f"/api/v1/staff/{nurse.id}", json={"active": False}, headers=auth(admin)
    )
    assert response.status_code == 200 and response.json["active"] is False
    assert client.get("/api/v1/patients", headers=nurse_headers).status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": PASSWORD})
    assert login.status_code == 401


def test_admins_cannot_lock_themselves_out(client, admin):
    response = client.patch(
        f"/api/v1/staff/{admin.id}", json={"role": "clinician"}, headers=auth(admin)
    )
    assert response.status_code == 409


def test_clinic_settings(client, admin):
    response = client.patch(
        "/api/v1/clinic",
        json={"timezone": "Europe/Madrid", "quiet_hours_start": "22:00"},
        headers=auth(admin),
    )
    assert response.status_code == 200
    assert response.json["timezone"] == "Europe/Madrid"
    assert response.json["quiet_hours_start"] == "22:00:00"
    bad = client.patch("/api/v1/clinic", json={"timezone": "Mars/Olympus"}, headers=auth(admin))
    assert bad.status_code == 422


def test_the_clinics_24_hour_line_can_be_changed_but_not_cleared(client, admin):
    """Urgent advice says "call <this number> now"; without it a patient would be sent to 911."""
    changed = client.patch(
        "/api/v1/clinic", json={"care_team_phone": "+12025550101"}, headers=auth(admin)
    )
    assert changed.status_code == 200 and changed.json["care_team_phone"] == "+12025550101"
    cleared = client.patch("/api/v1/clinic", json={"care_team_phone": None}, headers=auth(admin))
    assert cleared.status_code == 422 and "care_team_phone" in cleared.json["errors"]
    assert db.session.get(Staff, admin.id).clinic.care_team_phone == "+12025550101"


def test_audit_trail_is_queryable_and_scoped(client, admin):
    clinic = db.session.get(Staff, admin.id).clinic
    nurse = make_staff(clinic)
    patient = make_patient(clinic)
    other = make_staff(make_clinic())
    client.get(f"/api/v1/patients/{patient.id}", headers=auth(nurse))
    client.get(f"/api/v1/patients/{patient.id}", headers=auth(other))  # refused, other clinic
    client.post("/api/v1/auth/login", json={"email": nurse.email, "password": "wrong one!!"})

    mine = client.get(f"/api/v1/audit-events?patient_id={patient.id}", headers=auth(admin))
    assert mine.status_code == 200
    assert [(e["action"], e["actor_id"], e["outcome"]) for e in mine.json] == [
        ("patient.read", nurse.id, "success")
    ]
    failures = client.get("/api/v1/audit-events?outcome=failure", headers=auth(admin)).json
    assert [(e["action"], e["actor_id"]) for e in failures] == [("auth.login", nurse.id)]
    # The other clinic's refused attempt is in the other clinic's trail, not this one's.
    denied = client.get("/api/v1/audit-events?outcome=denied", headers=auth(admin)).json
    assert denied == []
    assert (
        client.get("/api/v1/audit-events?since=yesterday", headers=auth(admin)).status_code == 422
    )


def test_audit_events_are_append_only(app, admin):
    from sqlalchemy import select

    from api.audit import audit
    from models import AuditEvent

    with app.test_request_context():
        audit("test.event", actor=admin)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent))
    event.outcome = "failure"
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()
