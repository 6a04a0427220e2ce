"""The report endpoint: immediate advice, Idempotency-Key semantics, validation, lists."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Alert, IdempotencyRecord, Message, SymptomReport, db
from tests.factories import auth, make_clinic, make_patient, make_staff


@pytest.fixture
def patient(app):
    clinic = make_clinic()
    clinic.care_team_phone, clinic.emergency_number = "+12025550100", "911"
    db.session.commit()
    make_staff(clinic, phone="+12025550143", on_call=True)
    return make_patient(clinic, language="es")


def report(client, patient, body, key="key-00000001", headers=None):
    return client.post(
        "/api/v1/me/symptom-reports",
        json=body,
        headers=auth(patient) | {"Idempotency-Key": key} | (headers or {}),
    )


FEVER = {"items": [{"symptom": "temperature", "value": "101.2", "unit": "F", "site": "oral"}]}


def test_urgent_fever_answers_what_to_do_and_pages(client, patient):
    response = report(client, patient, FEVER)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["urgency"] == "urgent"
    assert body["matched_rules"] == [
        {"rule_id": "T-FEV", "label_section": "5.2, 5.3", "urgency": "urgent"}
    ]
    assert body["advice"][0].startswith("Sus defensas pueden estar bajas")  # in Spanish
    assert "+12025550100" in body["advice"][0]
    assert body["advice"][-1] == "Si cree que es una emergencia, llame al 911."
    assert body["care_team"] == {"care_team_phone": "+12025550100", "emergency_number": "911"}
    assert body["items"][0]["value"] == 101.2 and body["items"][0]["unit"] == "F"
    alert = db.session.get(Alert, body["alert_id"])
    assert alert.urgency == "urgent" and alert.status == "open"
    page = db.session.scalar(select(Message))
    assert page.purpose == "escalation" and page.to_phone == "+12025550143"


def test_emergency_tells_the_patient_to_call_emergency_services(client, patient):
    body = report(client, patient, {"items": [{"symptom": "fainting"}]}).json
    assert body["urgency"] == "emergency"
    assert body["advice"][0].startswith("Llame al 911 ahora")


def test_routine_waits_in_the_queue_without_a_page(client, patient):
    body = report(client, patient, {"items": [{"symptom": "new_medicine"}]}).json
    assert body["urgency"] == "routine"
    assert db.session.get(Alert, body["alert_id"]).urgency == "routine"
    assert db.session.scalars(select(Message)).all() == []


def test_a_replay_returns_the_original_response_and_does_nothing_else(client, patient):
    first = report(client, patient, FEVER)
    again = report(client, patient, FEVER)
    assert again.status_code == 201 and again.json == first.json
    assert len(db.session.scalars(select(SymptomReport)).all()) == 1
    assert len(db.session.scalars(select(Message)).all()) == 1


def test_the_same_key_with_another_body_is_refused(client, patient):
    report(client, patient, FEVER)
    other = report(client, patient, {"items": [{"symptom": "chills"}]})
    assert other.status_code == 422
    assert other.json["errors"] == {"Idempotency-Key": ["Reused with a different body."]}


def test_a_request_that_fails_leaves_nothing_behind_and_its_retry_runs_at_once(
    client, patient, monkeypatch
):
    """Issue 10, item 3: an interrupted report used to block its retries for 60 s (409)."""
    from sqlalchemy.exc import OperationalError

    from triage import reports

    real = reports.record_report

    def drops_the_connection(*args, **kwargs):
        monkeypatch.setattr(reports, "record_report", real)
        raise OperationalError("INSERT ...", {}, Exception("server closed the connection"))

    monkeypatch.setattr(reports, "record_report", drops_the_connection)
    failed = report(client, patient, FEVER)
    assert failed.status_code >= 500
    assert db.session.scalars(select(IdempotencyRecord)).all() == []
    retried = report(client, patient, FEVER)
    assert retried.status_code == 201 and retried.json["urgency"] == "urgent"
    assert len(db.session.scalars(select(SymptomReport)).all()) == 1


def test_a_claim_committed_unfinished_by_an_older_version_is_taken_over(client, patient):
    db.session.add(
        IdempotencyRecord(
            patient_id=patient.id,
            key="key-00000001",
            status="processing",
            request_hash=_hash(FEVER),
            created_at=datetime.now(UTC) - timedelta(minutes=2),
        )
    )
    db.session.commit()
    assert report(client, patient, FEVER).status_code == 201


def _hash(body):
    import hashlib
    import json

    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


@pytest.mark.parametrize("headers", [{"Idempotency-Key": ""}, {"Idempotency-Key": "short"}])
def test_the_key_is_required(client, patient, headers):
    response = report(client, patient, FEVER, headers=headers)
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]


@pytest.mark.parametrize(
    "item, field",
    [
        ({"symptom": "sneezing"}, "symptom"),
        ({"symptom": "temperature", "value": "38.5", "unit": "kg"}, "unit"),
        ({"symptom": "temperature", "value": "52", "unit": "C"}, "value"),
        ({"symptom": "temperature", "value": "120", "unit": "F"}, "value"),
        ({"symptom": "weight", "value": "900", "unit": "lb"}, "value"),
        ({"symptom": "temperature"}, "value"),
        ({"symptom": "chills", "value": "3", "unit": "C"}, "value"),
        ({"symptom": "rash", "details": ["itchy"]}, "details"),
        ({"symptom": "breathing", "severity": 5}, "severity"),
        ({"symptom": "breathing", "severity": "3"}, "severity"),
    ],
)
def test_bad_items_are_refused_field_by_field(client, patient, item, field):
    response = report(client, patient, {"items": [item]})
    assert response.status_code == 422
    assert field in response.json["errors"]["items"]["0"]
    assert db.session.scalars(select(SymptomReport)).all() == []


def test_note_length_and_empty_items(client, patient):
    assert report(client, patient, {"items": []}).status_code == 422
    long_note = {"items": [{"symptom": "chills"}], "note": "x" * 501}
    assert report(client, patient, long_note, key="key-00000002").status_code == 422


def test_lists_for_the_patient_and_the_staff(client, patient):
    report(client, patient, FEVER)
    mine = client.get("/api/v1/me/symptom-reports", headers=auth(patient)).json
    assert [r["urgency"] for r in mine] == ["urgent"]
    nurse = make_staff(patient.clinic)
    theirs = client.get(f"/api/v1/patients/{patient.id}/symptom-reports", headers=auth(nurse))
    assert theirs.json == mine
    other_patient = make_patient(patient.clinic)
    assert client.get("/api/v1/me/symptom-reports", headers=auth(other_patient)).json == []


def test_the_catalogue_lists_every_symptom(client, patient):
    catalogue = client.get("/api/v1/symptom-catalogue", headers=auth(patient)).json
    assert {"fever", "fainting", "weight", "temperature", "pregnancy"} <= {
        s["symptom"] for s in catalogue
    }
    assert next(s for s in catalogue if s["symptom"] == "fever")["rule_id"] == "T-FEV"


@pytest.mark.parametrize(
    "items, rules",
    [
        ([{"symptom": "temperature", "value": "38.0", "unit": "C"}], ["T-FEV"]),
        ([{"symptom": "fainting"}], ["T-SYNC"]),
        ([{"symptom": "fainting"}, {"symptom": "fever"}], ["T-FEV", "T-SYNC"]),
    ],
)
def test_matched_rules_name_each_rule_once(client, patient, items, rules):
    """Issue 10, item 11: [T-FEV, T-FEV] for 38.0 °C and [T-SYNC, T-SYNC] for fainting."""
    body = report(client, patient, {"items": items}).json
    assert sorted(m["rule_id"] for m in body["matched_rules"]) == rules
    assert len(body["advice"]) >= 2  # the advice lines stay, one per concern
