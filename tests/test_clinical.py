"""Doses, transplant, treatment end and lab results recorded by the care team."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, Dose, db
from tests.factories import auth, make_clinic, make_patient, make_staff


@pytest.fixture
def setup(app):
    clinic = make_clinic()
    return make_staff(clinic), make_patient(clinic, timezone="America/New_York")


def dose_body(on="2026-03-02", start="2026-03-02T14:00:00Z", end="2026-03-02T15:05:00Z", **kw):
    return {
        "administered_on": on,
        "infusion_started_at": start,
        "infusion_ended_at": end,
        "cycle": 1,
        "cycle_day": 1,
    } | kw


def test_record_and_list_doses(client, setup):
    nurse, patient = setup
    url = f"/api/v1/patients/{patient.id}/doses"
    created = client.post(url, json=dose_body(), headers=auth(nurse))
    assert created.status_code == 201, created.json
    assert created.json["infusion_started_at"] == "2026-03-02T14:00:00+00:00"
    assert created.json["recorded_by_id"] == nurse.id
    client.post(
        url,
        json=dose_body("2026-03-09", "2026-03-09T13:00:00-04:00", None, cycle_day=8),
        headers=auth(nurse),
    )
    listed = client.get(url, headers=auth(nurse)).json
    assert [(d["cycle"], d["cycle_day"]) for d in listed] == [(1, 1), (1, 8)]
    stored = db.session.scalar(select(Dose).where(Dose.cycle_day == 8))
    assert stored.infusion_started_at == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.outcome == "success"))
    assert list(actions) == ["patient.dose.create", "patient.dose.create", "patient.doses.read"]


def test_same_cycle_day_twice_is_a_conflict(client, setup):
    nurse, patient = setup
    url = f"/api/v1/patients/{patient.id}/doses"
    assert client.post(url, json=dose_body(), headers=auth(nurse)).status_code == 201
    again = client.post(url, json=dose_body(), headers=auth(nurse))
    assert again.status_code == 409
    assert again.json["error"] == "duplicate"
    assert again.json["message"] == "This already exists."
    assert "UNIQUE" not in again.get_data(as_text=True).upper()


def test_doses_less_than_six_days_apart_are_refused(client, setup):
    """REF-4: doses on days 1, 8, 15, ±2 days, at least 6 days apart. C1D1 then a "C1D8" the
    next day is a mistake in the record, and would shift every window the label sets."""
    nurse, patient = setup
    url = f"/api/v1/patients/{patient.id}/doses"
    assert client.post(url, json=dose_body(), headers=auth(nurse)).status_code == 201
    for day in ("2026-03-03", "2026-03-07", "2026-02-25"):
        body = dose_body(day, f"{day}T14:00:00Z", None, cycle_day=8)
        refused = client.post(url, json=body, headers=auth(nurse))
        assert refused.status_code == 422, day
        assert "at least 6 days apart" in refused.json["errors"]["administered_on"][0]
    ok = dose_body("2026-03-08", "2026-03-08T14:00:00Z", None, cycle_day=8)  # day 8 - 1 allowed
    assert client.post(url, json=ok, headers=auth(nurse)).status_code == 201
    assert len(client.get(url, headers=auth(nurse)).json) == 2


@pytest.mark.parametrize(
    "changes, field",
    [
        # 01:30 UTC on March 3 is still March 2 in New York: the local date must match.
        (
            {"infusion_started_at": "2026-03-03T15:00:00Z", "infusion_ended_at": None},
            "infusion_started_at",
        ),
        ({"infusion_ended_at": "2026-03-02T13:59:00Z"}, "infusion_ended_at"),
        ({"infusion_ended_at": "2026-03-03T03:00:00Z"}, "infusion_ended_at"),
        ({"infusion_started_at": "2026-03-02T14:00:00"}, "infusion_started_at"),  # naive
        ({"cycle": 7}, "cycle"),
        ({"cycle_day": 2}, "cycle_day"),
        ({"cycle": "1"}, "cycle"),
        ({"administered_on": "2026-02-30"}, "administered_on"),
    ],
)
def test_doses_that_do_not_add_up_are_refused(client, setup, changes, field):
    nurse, patient = setup
    response = client.post(
        f"/api/v1/patients/{patient.id}/doses", json=dose_body(**changes), headers=auth(nurse)
    )
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_a_dose_in_the_future_is_refused(client, setup):
    nurse, patient = setup
    tomorrow = datetime.now(UTC) + timedelta(days=2)
    body = dose_body(tomorrow.date().isoformat(), tomorrow.replace(hour=16).isoformat(), None)
    response = client.post(f"/api/v1/patients/{patient.id}/doses", json=body, headers=auth(nurse))
    assert response.status_code == 422
    assert "administered_on" in response.json["errors"]


def test_transplant_record_and_correction(client, setup):
    nurse, patient = setup
    url = f"/api/v1/patients/{patient.id}/transplant"
    assert client.get(url, headers=auth(nurse)).status_code == 404
    client.post(f"/api/v1/patients/{patient.id}/doses", json=dose_body(), headers=auth(nurse))
    first = client.put(url, json={"hsct_date": "2026-05-01"}, headers=auth(nurse))
    assert first.status_code == 200 and first.json["hsct_date"] == "2026-05-01"
    body = {
        "hsct_date": "2026-05-03",
        "baseline_weight_hsct": "150.2",
        "baseline_weight_hsct_unit": "lb",
    }
    corrected = client.put(url, json=body, headers=auth(nurse))
    assert corrected.json == body | {"baseline_weight_hsct": 150.2}
    assert client.get(url, headers=auth(nurse)).json["hsct_date"] == "2026-05-03"


def test_treatment_end_needs_a_dose_and_follows_it(client, setup):
    nurse, patient = setup
    url = f"/api/v1/patients/{patient.id}/treatment-end"
    assert (
        client.put(url, json={"treatment_ended_on": "2026-03-20"}, headers=auth(nurse)).status_code
        == 422
    )
    client.post(f"/api/v1/patients/{patient.id}/doses", json=dose_body(), headers=auth(nurse))
    before = client.put(url, json={"treatment_ended_on": "2026-03-01"}, headers=auth(nurse))
    assert before.status_code == 422
    assert before.json["errors"] == {"treatment_ended_on": ["On or after 2026-03-02."]}
    ok = client.put(url, json={"treatment_ended_on": "2026-03-20"}, headers=auth(nurse))
    assert ok.status_code == 200 and ok.json["treatment_ended_on"] == "2026-03-20"


def test_a_transplant_before_the_first_dose_is_refused(client, setup):
    """Issue 10, item 6: HSCT day 0 starts the monitoring after BESPONSA (R-LFT-HSCT,
    R-VOD-WIN b); an earlier transplant must not plan post-transplant reminders."""
    nurse, patient = setup
    url = f"/api/v1/patients/{patient.id}/transplant"
    no_dose = client.put(url, json={"hsct_date": "2026-05-01"}, headers=auth(nurse))
    assert no_dose.status_code == 422 and "Record the BESPONSA doses first" in str(no_dose.json)
    client.post(f"/api/v1/patients/{patient.id}/doses", json=dose_body(), headers=auth(nurse))
    before = client.put(url, json={"hsct_date": "2026-03-01"}, headers=auth(nurse))
    assert before.status_code == 422
    assert (
        "On or after the first recorded dose (2026-03-02)" in before.json["errors"]["hsct_date"][0]
    )
    db.session.refresh(patient)
    assert patient.hsct_date is None
    same_day = client.put(url, json={"hsct_date": "2026-03-02"}, headers=auth(nurse))
    assert same_day.status_code == 200


def test_a_dose_after_the_recorded_treatment_end_needs_the_treatment_reopened(client, setup):
    """Issue 10, item 8: refused with the way out; DELETE treatment-end reopens explicitly."""
    nurse, patient = setup
    doses = f"/api/v1/patients/{patient.id}/doses"
    end = f"/api/v1/patients/{patient.id}/treatment-end"
    client.post(doses, json=dose_body(), headers=auth(nurse))
    client.put(end, json={"treatment_ended_on": "2026-03-05"}, headers=auth(nurse))
    later = dose_body("2026-03-09", "2026-03-09T14:00:00Z", None, cycle_day=8)
    refused = client.post(doses, json=later, headers=auth(nurse))
    assert refused.status_code == 422
    assert "reopen the treatment first" in refused.json["errors"]["administered_on"][0]
    reopened = client.delete(end, headers=auth(nurse))
    assert reopened.status_code == 200 and reopened.json["treatment_ended_on"] is None
    assert client.post(doses, json=later, headers=auth(nurse)).status_code == 201
    assert client.delete(end, headers=auth(nurse)).status_code == 409
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "patient.treatment_end.delete" in actions


def test_lab_results_with_units(client, setup):
    nurse, patient = setup
    url = f"/api/v1/patients/{patient.id}/labs"
    body = {
        "kind": "bilirubin",
        "value": 2.1,
        "unit": "mg/dL",
        "upper_limit_normal": "1.2",
        "collected_at": "2026-03-02T08:00:00+01:00",
    }
    created = client.post(url, json=body, headers=auth(nurse))
    assert created.status_code == 201, created.json
    assert created.json["value"] == 2.1
    assert created.json["collected_at"] == "2026-03-02T07:00:00+00:00"
    wrong_unit = client.post(url, json=body | {"kind": "qtc"}, headers=auth(nurse))
    assert wrong_unit.status_code == 422
    assert wrong_unit.json["errors"] == {"unit": ["Unit must be one of ms."]}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        client.post(url, json=body | {"collected_at": future}, headers=auth(nurse)).status_code
        == 422
    )
    assert [lab["kind"] for lab in client.get(url, headers=auth(nurse)).json] == ["bilirubin"]


@pytest.mark.parametrize("unit", ["µmol/L", "μmol/L", "umol/L"])
def test_micromoles_are_taken_as_labs_print_them(client, setup, unit):
    nurse, patient = setup
    body = {"kind": "bilirubin", "value": 34, "unit": unit, "collected_at": "2026-03-02T08:00:00Z"}
    created = client.post(f"/api/v1/patients/{patient.id}/labs", json=body, headers=auth(nurse))
    assert created.status_code == 201, created.json
    assert created.json["unit"] == "umol/L"


def test_unenrolled_patients_records_are_read_only(client, setup):
    nurse, patient = setup
    patient.status = "unenrolled"
    db.session.commit()
    response = client.post(
        f"/api/v1/patients/{patient.id}/doses", json=dose_body(), headers=auth(nurse)
    )
    assert response.status_code == 409
    assert date(2026, 3, 2) not in [d.administered_on for d in db.session.scalars(select(Dose))]
