"""A page's link is a sign-in into the console: it is built from PUBLIC_BASE_URL, never from the
Host header of the request that raised the case (a patient's app sets that header)."""

from sqlalchemy import select

from models import Alert, AlertPage, Message, db
from tests.factories import auth, make_clinic, make_patient, make_staff


def test_a_page_links_to_the_configured_origin_whatever_host_the_app_sent(client, app):
    clinic = make_clinic()
    make_staff(clinic, phone="+12025550143", on_call=True)
    patient = make_patient(clinic)
    response = client.post(
        "/api/v1/me/symptom-reports",
        json={"items": [{"symptom": "temperature", "value": "38.6", "unit": "C"}]},
        headers=auth(patient) | {"Idempotency-Key": "host-report-1", "Host": "evil.example"},
    )
    assert response.status_code == 201
    alert = db.session.get(Alert, response.json["alert_id"])
    assert app.config["PUBLIC_BASE_URL"] is None  # the embedded default: the dev server's origin
    bodies = db.session.scalars(
        select(Message.body)
        .join(AlertPage, AlertPage.message_id == Message.id)
        .where(AlertPage.alert_id == alert.id)
    ).all()
    assert len(bodies) == 1
    assert "evil.example" not in bodies[0] and "http://127.0.0.1:5000/c/" in bodies[0]
    assert "evil.example" not in alert.link_base
