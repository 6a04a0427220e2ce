"""Role x endpoint x own/other clinic: every cross-access is refused, and a refusal does not
reveal whether the object exists.

POLICY names who may call each endpoint. A new endpoint that is not in POLICY fails
`test_every_endpoint_has_a_policy`, so nothing is added without deciding who may call it.
"""

import pytest
from sqlalchemy import select

from models import AuditEvent, db
from tests.factories import (
    auth,
    make_alert,
    make_clinic,
    make_message,
    make_patient,
    make_staff,
)
from tests.fhir_world import MISSING_FHIR, fhir_objects, fhir_url

PATIENT_BODY = {"display_name": "X", "phone": "+12025550143", "timezone": "UTC", "sex": "male"}
DOSE_BODY = {
    "administered_on": "2026-01-05",
    "infusion_started_at": "2026-01-05T15:00:00Z",
    "cycle": 1,
    "cycle_day": 1,
}
LAB_BODY = {"kind": "qtc", "value": 430, "unit": "ms", "collected_at": "2026-01-05T15:00:00Z"}
STAFF_BODY = {
    "role": "clinician",
    "name": "N",
    "email": "n@example.org",
    "password": "long enough password",
}

# (method, rule) -> (who may call it, a valid body)
POLICY = {
    ("POST", "/api/v1/auth/login"): ("public", None),
    ("POST", "/api/v1/auth/refresh"): ("public", None),
    ("POST", "/api/v1/auth/enroll"): ("public", None),
    ("POST", "/api/v1/auth/logout"): ("anyone signed in", None),
    ("GET", "/api/v1/me"): ("patient", None),
    ("PATCH", "/api/v1/me"): ("patient", {"language": "es"}),
    ("GET", "/api/v1/patients"): ("staff", None),
    ("POST", "/api/v1/patients"): ("staff", PATIENT_BODY),
    ("GET", "/api/v1/patients/<int:patient_id>"): ("staff", None),
    ("PATCH", "/api/v1/patients/<int:patient_id>"): ("staff", {"language": "es"}),
    ("DELETE", "/api/v1/patients/<int:patient_id>"): ("staff", None),
    ("POST", "/api/v1/patients/<int:patient_id>/enrollment-code"): ("staff", None),
    ("GET", "/api/v1/patients/<int:patient_id>/doses"): ("staff", None),
    ("POST", "/api/v1/patients/<int:patient_id>/doses"): ("staff", DOSE_BODY),
    ("GET", "/api/v1/patients/<int:patient_id>/transplant"): ("staff", None),
    ("PUT", "/api/v1/patients/<int:patient_id>/transplant"): ("staff", {"hsct_date": "2026-02-01"}),
    ("PUT", "/api/v1/patients/<int:patient_id>/treatment-end"): (
        "staff",
        {"treatment_ended_on": "2026-01-05"},
    ),
    ("DELETE", "/api/v1/patients/<int:patient_id>/treatment-end"): ("staff", None),
    ("GET", "/api/v1/patients/<int:patient_id>/labs"): ("staff", None),
    ("POST", "/api/v1/patients/<int:patient_id>/labs"): ("staff", LAB_BODY),
    ("GET", "/api/v1/staff"): ("admin", None),
    ("POST", "/api/v1/staff"): ("admin", STAFF_BODY),
    ("GET", "/api/v1/staff/<int:staff_id>"): ("admin", None),
    ("PATCH", "/api/v1/staff/<int:staff_id>"): ("admin", {"name": "Renamed"}),
    ("GET", "/api/v1/clinic"): ("admin", None),
    ("PATCH", "/api/v1/clinic"): ("admin", {"name": "Renamed"}),
    ("GET", "/api/v1/audit-events"): ("admin", None),
    ("GET", "/api/v1/messages"): ("admin", None),
    ("POST", "/api/v1/messages/<int:message_id>/retry"): ("admin", None),
    ("GET", "/api/v1/symptom-catalogue"): ("anyone signed in", None),
    ("POST", "/api/v1/me/symptom-reports"): ("patient", {"items": [{"symptom": "chills"}]}),
    ("GET", "/api/v1/me/symptom-reports"): ("patient", None),
    ("GET", "/api/v1/me/alerts"): ("patient", None),
    ("GET", "/api/v1/patients/<int:patient_id>/symptom-reports"): ("staff", None),
    ("GET", "/api/v1/alerts"): ("staff", None),
    ("GET", "/api/v1/alerts/<int:alert_id>"): ("staff", None),
    ("POST", "/api/v1/alerts/<int:alert_id>/ack"): ("staff", None),
    ("POST", "/api/v1/alerts/<int:alert_id>/resolve"): ("staff", {"note": "Called back."}),
    ("GET", "/api/v1/escalation-policy"): ("admin", None),
    ("PUT", "/api/v1/escalation-policy"): (
        "admin",
        {
            "levels": [
                {"recipients": ["on_call"], "timeout_minutes": {"urgent": 10, "emergency": 5}}
            ],
            "repeat_count": 1,
        },
    ),
    ("GET", "/api/v1/triage-settings"): ("admin", None),
    ("GET", "/api/v1/me/reminders"): ("patient", None),
    ("GET", "/api/v1/me/devices"): ("patient", None),
    (
        "POST",
        "/api/v1/me/devices",
    ): ("patient", {"platform": "android", "token": "t" * 40, "notifications_consent": True}),
    ("DELETE", "/api/v1/me/devices/<int:device_id>"): ("patient", None),
    ("GET", "/api/v1/me/notifications/<string(length=22):public_id>"): ("patient", None),
    ("POST", "/api/v1/me/notifications/<string(length=22):public_id>/opened"): ("patient", None),
    ("POST", "/api/v1/me/reminders/<int:reminder_id>/ack"): ("patient", {"kind": "read"}),
    ("GET", "/api/v1/patients/<int:patient_id>/reminders"): ("staff", None),
    ("GET", "/api/v1/reminders/unacknowledged-liver-tests"): ("staff", None),
    ("GET", "/api/v1/schedule-rules"): ("admin", None),
    ("POST", "/api/v1/schedule-rules"): (
        "admin",
        {"title": "Mouth care", "every_days": 7, "text_en": "Rinse your mouth."},
    ),
    ("PATCH", "/api/v1/schedule-rules/<string:rule_id>"): (
        "admin",
        {"params": {"time_of_day": "11:00"}},
    ),
    ("PATCH", "/api/v1/triage-settings"): ("admin", {"vod_days_after_hsct": 100}),
    # FHIR R4 (api/fhir/): the CapabilityStatement is public, everything else is staff's.
    ("GET", "/fhir/R4/metadata"): ("public", None),
    ("GET", "/fhir/R4/Patient"): ("staff", None),
    ("GET", "/fhir/R4/Patient/<string(maxlength=64):resource_id>"): ("staff", None),
    ("GET", "/fhir/R4/Observation"): ("staff", None),
    ("GET", "/fhir/R4/Observation/<string(maxlength=64):resource_id>"): ("staff", None),
    ("GET", "/fhir/R4/Flag"): ("staff", None),
    ("GET", "/fhir/R4/Flag/<string(maxlength=64):resource_id>"): ("staff", None),
    ("GET", "/fhir/R4/Communication"): ("staff", None),
    ("GET", "/fhir/R4/Communication/<string(maxlength=64):resource_id>"): ("staff", None),
    ("GET", "/fhir/R4/Group"): ("staff", None),
    ("GET", "/fhir/R4/Group/<int:group_id>"): ("staff", None),
    ("GET", "/fhir/R4/Group/<int:group_id>/$export"): ("staff", None),
    ("GET", "/fhir/R4/bulk-status/<string(length=32):job_id>"): ("staff", None),
    ("DELETE", "/fhir/R4/bulk-status/<string(length=32):job_id>"): ("staff", None),
    ("GET", "/fhir/R4/bulk-files/<string(length=32):job_id>/<string(maxlength=40):file_name>"): (
        "staff",
        None,
    ),
}
ALLOWED = {
    "public": {"anonymous", "patient", "clinician", "admin"},
    "anyone signed in": {"patient", "clinician", "admin"},
    "patient": {"patient"},
    "staff": {"clinician", "admin"},
    "admin": {"admin"},
}
ROLES = ["anonymous", "patient", "clinician", "admin"]


def api_endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/fhir/")):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def test_every_endpoint_has_a_policy(app):
    assert set(api_endpoints(app)) == set(POLICY)


@pytest.fixture
def world(app):
    """Clinic A (ours) and clinic B (theirs), each with an admin, a clinician and a patient."""
    a, b = make_clinic(), make_clinic()
    people = {
        "admin": make_staff(a, role="admin"),
        "clinician": make_staff(a),
        "patient": make_patient(a),
        "their_patient": make_patient(b),
        "their_admin": make_staff(b, role="admin"),
        "message": make_message(a, "ours", "dead"),
        "their_message": make_message(b, "theirs", "dead"),
    }
    people["alert"] = make_alert(people["patient"])
    people["their_alert"] = make_alert(people["their_patient"])
    exports = app.config["FHIR_EXPORT_DIR"]
    people["fhir"] = fhir_objects(people["patient"], people["clinician"], exports)
    people["fhir"]["Flag"] = str(people["alert"].id)
    people["their_fhir"] = fhir_objects(people["their_patient"], people["their_admin"], exports)
    people["their_fhir"]["Flag"] = str(people["their_alert"].id)
    headers = {role: auth(people[role]) for role in ("admin", "clinician", "patient")}
    return people, headers | {"anonymous": {}}


def url_for(rule, patient_id=1, staff_id=1, message_id=1, alert_id=1, fhir=MISSING_FHIR):
    if rule.startswith("/fhir/"):
        return fhir_url(rule, fhir)
    ids = {
        "patient_id": patient_id,
        "staff_id": staff_id,
        "message_id": message_id,
        "alert_id": alert_id,
        "reminder_id": 1,
        "device_id": 1,
    }
    for name, value in ids.items():
        rule = rule.replace(f"<int:{name}>", str(value))
    rule = rule.replace("<string(length=22):public_id>", "n" * 22)
    return rule.replace("<string:rule_id>", "R-CONTRA-F")


def call(client, method, url, headers, body):
    response = client.open(url, method=method, headers=headers, json=body if body else None)
    response.get_data()
    response.close()  # a file download holds its file open until closed
    return response


def is_refusal(response) -> bool:
    """The JSON API's envelope, or under /fhir/ an OperationOutcome."""
    if response.json.get("resourceType") == "OperationOutcome":
        return response.json["issue"][0]["severity"] == "error"
    return list(response.json) == ["code", "status", "error", "message", "errors"]


REFUSED_CELLS = [
    (endpoint, role)
    for endpoint in sorted(POLICY)
    for role in ROLES
    if role not in ALLOWED[POLICY[endpoint][0]]
]


@pytest.mark.parametrize(
    ("endpoint", "role"), REFUSED_CELLS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
def test_roles_outside_the_policy_are_refused(client, world, endpoint, role):
    method, rule = endpoint
    people, headers = world
    url = url_for(rule, people["patient"].id, people["clinician"].id)
    # An empty body: the role check must come before any input is read.
    response = call(client, method, url, headers[role], {})
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert is_refusal(response)
    if not response.json.get("resourceType"):  # the JSON API's code
        assert response.json["error"] == ("token_missing" if role == "anonymous" else "forbidden")
    if role != "anonymous":  # every refusal of a signed-in caller is audited
        refusal = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access.role_denied")
        ).one()
        assert (refusal.outcome, refusal.actor_id) == ("denied", people[role].id)


# Objects staff reach by id; a patient's own objects (reminders) are checked in their tests.
OBJECT_ENDPOINTS = sorted(
    e for e in POLICY if ("<int:" in e[1] or "<string(" in e[1]) and "/me/" not in e[1]
)
STAFF_OBJECT_CELLS = [
    (endpoint, role)
    for endpoint in OBJECT_ENDPOINTS
    for role in ("clinician", "admin")
    if role in ALLOWED[POLICY[endpoint][0]]
]


@pytest.mark.parametrize(
    ("endpoint", "role"),
    STAFF_OBJECT_CELLS,
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else v,
)
def test_other_clinics_objects_look_like_missing_ones(client, world, endpoint, role):
    method, rule = endpoint
    _, body = POLICY[endpoint]
    people, headers = world
    other = url_for(
        rule,
        people["their_patient"].id,
        people["their_admin"].id,
        people["their_message"].id,
        people["their_alert"].id,
        people["their_fhir"],
    )
    missing = url_for(rule, 999_999, 999_999, 999_999, 999_999)
    before = denied_count()
    refused = call(client, method, other, headers[role], body)
    assert denied_count() == before + 1  # the refusal is audited
    absent = call(client, method, missing, headers[role], body)
    assert refused.status_code == absent.status_code == 404
    assert refused.json == absent.json


def denied_count() -> int:
    return len(db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all())


@pytest.mark.parametrize("endpoint", OBJECT_ENDPOINTS, ids=" ".join)
def test_own_clinics_objects_are_reachable(client, world, endpoint):
    """The positive control: with the same bodies, our own clinic's objects are found."""
    method, rule = endpoint
    _, body = POLICY[endpoint]
    people, headers = world
    role = "admin"
    url = url_for(
        rule,
        people["patient"].id,
        people["clinician"].id,
        people["message"].id,
        people["alert"].id,
        people["fhir"],
    )
    response = call(client, method, url, headers[role], body)
    assert response.status_code != 404 or response.json["message"] == "No transplant is recorded."
    assert response.status_code < 500


def test_a_patient_cannot_reach_their_own_record_through_staff_paths(client, world):
    people, headers = world
    response = client.get(f"/api/v1/patients/{people['patient'].id}", headers=headers["patient"])
    assert response.status_code == 403
