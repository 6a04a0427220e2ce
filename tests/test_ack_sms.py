"""What nurses actually type back: ACK forms with punctuation, a colon, a '#', trailing words or
no space; a bare ACK; and anything else from a paged phone (issue 10, item 1)."""

import itertools

import pytest

from models import db
from tests.factories import make_alert, make_clinic, make_patient, make_staff
from tests.fake_twilio import FakeTwilio
from tests.sms import signed_post, twilio_config
from triage.acknowledgement import parse_ack

NURSE, OTHER_NURSE = "+12025550143", "+12025550144"
_sids = itertools.count(1)


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)


@pytest.fixture
def ward(app):
    clinic = make_clinic()
    nurse = make_staff(clinic, phone=NURSE, on_call=True)
    make_staff(clinic, phone=OTHER_NURSE)
    return clinic, nurse, make_patient(clinic, phone="+12025550188")


def sms(client, sender, text):
    form = {"MessageSid": f"SM{next(_sids):032d}", "From": sender, "To": "+15005550006"}
    response = signed_post(client, "/webhooks/twilio/inbound", form | {"Body": text})
    assert response.status_code == 200
    return response.get_data(as_text=True)


FORMS = [
    "ACK {c}",
    "ACK {c}.",
    "ACK: {c}",
    "ACK {c} thanks",
    "ACK {c}!",
    "ACK #{c}",
    "ACK{c}",
    "ack {lc}",
    "  Ack - {c} , on my way",
    "Acknowledged {c}",
    "ok ack {c}",
]


@pytest.mark.parametrize("form", FORMS)
def test_the_forms_people_type_acknowledge_the_case(client, ward, form):
    _, nurse, patient = ward
    alert = make_alert(patient)
    reply = sms(client, NURSE, form.format(c=alert.case_code, lc=alert.case_code.lower()))
    db.session.refresh(alert)
    assert alert.status == "acknowledged" and alert.acknowledged_by_id == nurse.id
    assert f"Case {alert.case_code} acknowledged" in reply


def test_a_bare_ack_takes_the_one_open_page(client, ward):
    _, nurse, patient = ward
    alert = make_alert(patient)
    assert f"Case {alert.case_code} acknowledged" in sms(client, NURSE, "ACK")
    db.session.refresh(alert)
    assert alert.status == "acknowledged"


def test_a_bare_ack_with_several_open_pages_lists_them_and_changes_nothing(client, ward):
    _, _, patient = ward
    first = make_alert(patient, codes=("fever",))
    second = make_alert(patient, codes=("rash",))
    reply = sms(client, NURSE, "ACK.")
    assert first.case_code in reply and second.case_code in reply and "Several" in reply
    for alert in (first, second):
        db.session.refresh(alert)
        assert alert.status == "open"
    assert "acknowledged" in sms(client, NURSE, f"ACK {second.case_code}")


@pytest.mark.parametrize("text", ["ok", "on it", "Who is this?", "yes"])
def test_anything_else_from_a_paged_phone_says_how_to_acknowledge(client, ward, text):
    _, _, patient = ward
    alert = make_alert(patient)
    reply = sms(client, NURSE, text)
    assert f"reply ACK and the case code, e.g. ACK {alert.case_code}" in reply
    db.session.refresh(alert)
    assert alert.status == "open"


def test_a_phone_never_acknowledges_a_case_it_was_not_paged_for(client, ward):
    _, _, patient = ward
    alert = make_alert(patient)  # pages the on-call nurse only
    assert "was not paged" in sms(client, OTHER_NURSE, f"ACK {alert.case_code}")
    assert "<Message>" not in sms(client, OTHER_NURSE, "ACK")  # never paged: not a case reply
    db.session.refresh(alert)
    assert alert.status == "open"


def test_a_code_of_no_case_is_never_taken_for_the_open_one(client, ward):
    _, _, patient = ward
    alert = make_alert(patient)
    reply = sms(client, NURSE, "ACK ZZZZZ")
    assert "No open case ZZZZZ" in reply and f"ACK {alert.case_code}" in reply
    db.session.refresh(alert)
    assert alert.status == "open"


def test_text_from_a_number_that_was_never_paged_is_left_to_other_handlers(client, ward):
    assert "<Message>" not in sms(client, "+12025550177", "ACK")
    assert "<Message>" not in sms(client, "+12025550177", "ok")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ACK KY9CM.", (True, ["KY9CM"])),
        ("ACKKY9CM", (True, ["KY9CM"])),
        ("ack: ky9cm", (True, ["KY9CM"])),
        ("ACK", (True, [])),
        ("ACK thanks", (True, [])),
        ("ok", (False, [])),
        ("ACK KY9CM ABCDE ky9cm", (True, ["KY9CM", "ABCDE"])),
        ("KY9CM", (False, ["KY9CM"])),
        ("ACK K0O1I", (True, [])),  # 0, O, 1, I are never in a case code
    ],
)
def test_parse_ack(text, expected):
    assert parse_ack(text) == expected
