"""Every staff read of a patient's data leaves an audit row that is committed: read back on a
connection of its own, not through the request's or the test's session (issue 12)."""

import pytest
from sqlalchemy import create_engine, text

from tests.factories import auth, make_alert, make_clinic, make_patient, make_staff

READS = [
    "/api/v1/patients/{p}",
    "/api/v1/patients/{p}/doses",
    "/api/v1/patients/{p}/labs",
    "/api/v1/patients/{p}/reminders",
    "/api/v1/patients/{p}/symptom-reports",
    "/api/v1/patients/{p}/transplant",
    "/api/v1/alerts/{a}",
    "/console/patients/{p}",
    "/console/alerts/{a}",
]


@pytest.fixture
def world(app):
    clinic = make_clinic()
    nurse = make_staff(clinic)
    patient = make_patient(clinic)
    return nurse, patient, make_alert(patient)


def committed_reads(app, patient_id) -> int:
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM audit_events WHERE patient_id = :p AND outcome = "
                    "'success' AND (action LIKE 'patient.%' OR action = 'alert.read')"
                ),
                {"p": patient_id},
            ).scalar()
    finally:
        engine.dispose()


@pytest.mark.parametrize("path", READS)
def test_a_staff_read_of_patient_data_is_audited_and_committed(app, client, world, path):
    nurse, patient, alert = world
    url = path.format(p=patient.id, a=alert.id)
    if url.startswith("/console"):
        from tests.test_console import sign_in

        sign_in(client, nurse)
        headers = {}
    else:
        headers = auth(nurse)
    before = committed_reads(app, patient.id)
    response = client.get(url, headers=headers)
    assert response.status_code in (200, 404)  # a transplant not recorded is a 404, still read
    assert committed_reads(app, patient.id) == before + 1
