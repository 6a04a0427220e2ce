"""Hypothesis against the two form front doors schemathesis does not see: Twilio's webhooks
(signed, so they reach the handlers) and the console's forms (signed in, with CSRF). Whatever
the text, the answer is never a 5xx."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_alert, make_clinic, make_patient, make_staff
from tests.fake_twilio import AUTH_TOKEN
from tests.sms import PUBLIC, signed_post
from tests.test_console import csrf_of, sign_in

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text as people and programs send it, NUL and surrogate-free (a form cannot carry those),
# plus the hostile cases named explicitly.
text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40) | st.sampled_from(
    ["\x00", "ACK \x00", "9" * 30, "2147483648", "-1", "[" * 1000 + "]" * 1000, "NaN", "1e309"]
)


@pytest.fixture
def app_config():
    return {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC}


@pytest.fixture
def clinic(app):
    clinic = make_clinic()
    admin = make_staff(clinic, role="admin", phone="+12025550143", on_call=True)
    alert = make_alert(make_patient(clinic))
    return admin, alert


@FUZZ
@given(sid=text, sender=text, body=text, status=text, error_code=text)
def test_webhooks_never_fail(client, clinic, sid, sender, body, status, error_code):
    inbound = {"MessageSid": sid, "From": sender, "Body": body, "AccountSid": "AC" + "0" * 32}
    response = signed_post(client, "/webhooks/twilio/inbound", inbound)
    assert response.status_code < 500, response.get_data(as_text=True)
    callback = {"MessageSid": sid, "MessageStatus": status, "ErrorCode": error_code}
    response = signed_post(client, "/webhooks/twilio/status", callback)
    assert response.status_code < 500, response.get_data(as_text=True)


@FUZZ
@given(
    value=text,
    name=text,
    ident=text,
    levels=text,
    query=st.dictionaries(st.sampled_from(["action", "patient_id", "urgency", "status"]), text),
)
def test_console_forms_never_fail(client, clinic, value, name, ident, levels, query):
    admin, alert = clinic
    if client.get("/console/admin/staff").status_code != 200:
        assert sign_in(client, admin).status_code == 302
    token = csrf_of(client.get("/console/admin/rules"))
    posts = [
        ("/console/admin/rules", {"rule_id": ident, "name": name, "value": value}),
        ("/console/admin/escalation", {"levels": levels, "repeat_count": value}),
        ("/console/admin/staff", {"staff_id": ident}),
        ("/console/admin/messages", {"message_id": ident}),
        (f"/console/alerts/{alert.id}/resolve", {"note": value}),
    ]
    for url, form in posts:
        response = client.post(url, data=form | {"csrf_token": token})
        assert response.status_code < 500, (url, form, response.get_data(as_text=True)[:300])
    for url in ["/console/", "/console/admin/audit", "/console/patients"]:
        response = client.get(url, query_string=query)
        assert response.status_code < 500, (url, query)


@pytest.mark.parametrize(
    "levels",
    ["[" * 1000 + "]" * 1000, '[{"recipients": [1], "timeout_minutes": {"urgent": NaN}}]'],
    ids=["nested-1000", "nan"],
)
def test_console_policy_form_refuses_unsafe_json(client, clinic, levels):
    admin, _ = clinic
    assert sign_in(client, admin).status_code == 302
    token = csrf_of(client.get("/console/admin/escalation"))
    form = {"levels": levels, "repeat_count": "1", "csrf_token": token}
    response = client.post("/console/admin/escalation", data=form)
    assert response.status_code < 500
    assert "saved" not in response.get_data(as_text=True)
