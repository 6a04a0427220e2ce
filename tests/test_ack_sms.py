"""What nurses actually type back: ACK forms with punctuation, a colon, a '#', trailing words or
no space; a bare ACK; and anything else from a paged phone (issue 10, item 1)."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from messages.outbox import OutboxPolicy
from models import AlertPage, EscalationPolicy, db
from tests.factories import make_alert, make_clinic, make_patient, make_staff
from tests.fake_twilio import FakeTwilio
from tests.sms import signed_post, twilio_config
from triage import escalation
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


def page_other_nurse_too(clinic, patient):
    """A second open case, paged to OTHER_NURSE only: OTHER_NURSE is a care-team phone."""
    nurse, other = sorted(clinic.staff, key=lambda s: s.id)
    nurse.on_call, other.on_call = False, True
    db.session.commit()
    alert = make_alert(patient, codes=("rash",))
    nurse.on_call, other.on_call = True, False
    db.session.commit()
    return alert


def test_a_phone_never_acknowledges_a_case_it_was_not_paged_for(client, ward):
    clinic, _, patient = ward
    alert = make_alert(patient)  # pages the on-call nurse only
    page_other_nurse_too(clinic, patient)
    reply = sms(client, OTHER_NURSE, f"ACK {alert.case_code}")
    assert f"No open case {alert.case_code} was paged to this number" in reply
    db.session.refresh(alert)
    assert alert.status == "open"


def test_a_paged_phone_gets_the_same_answer_for_a_real_code_and_a_made_up_one(client, ward):
    clinic, _, patient = ward
    theirs = make_alert(patient)  # paged to NURSE
    page_other_nurse_too(clinic, patient)
    real = sms(client, OTHER_NURSE, f"ACK {theirs.case_code}")
    made_up = sms(client, OTHER_NURSE, "ACK ZZZZZ")
    assert real.replace(theirs.case_code, "ZZZZZ") == made_up


@pytest.mark.parametrize("text", ["ACK {c}", "ACK ZZZZZ", "ACK", "ok"])
def test_a_phone_never_paged_learns_nothing_about_cases(client, ward, text):
    _, _, patient = ward
    alert = make_alert(patient)
    assert "<Message>" not in sms(client, "+12025550177", text.format(c=alert.case_code))
    assert "<Message>" not in sms(client, OTHER_NURSE, text.format(c=alert.case_code))
    db.session.refresh(alert)
    assert alert.status == "open"


def test_staff_sharing_a_ward_phone_get_one_page_and_its_ack_counts_for_one_still_active(
    client, ward
):
    clinic, nurse, patient = ward
    sharer = make_staff(clinic, phone=NURSE)  # a second nurse on the same ward phone
    timeout = {"urgent": 10, "emergency": 5}
    db.session.add(
        EscalationPolicy(
            clinic_id=clinic.id,
            version=1,
            repeat_count=0,
            levels=[
                {"recipients": [nurse.id, sharer.id], "timeout_minutes": timeout},
                {"recipients": [sharer.id, nurse.id], "timeout_minutes": timeout},
            ],
        )
    )
    db.session.commit()
    alert = make_alert(patient)
    escalation.escalate_due(
        db.session, outbox_policy=OutboxPolicy(), now=alert.created_at + timedelta(minutes=10)
    )
    db.session.commit()
    pages = db.session.scalars(select(AlertPage).where(AlertPage.alert_id == alert.id)).all()
    # One SMS to the phone per level, not one per person behind it.
    assert [(p.level, p.phone, p.staff_id) for p in pages] == [
        (0, NURSE, nurse.id),
        (1, NURSE, sharer.id),
    ]
    sharer.active = False  # the second nurse leaves; the phone stays on the ward
    db.session.commit()
    reply = sms(client, NURSE, f"ACK {alert.case_code}")
    db.session.refresh(alert)
    assert f"Case {alert.case_code} acknowledged" in reply
    assert (alert.status, alert.acknowledged_by_id) == ("acknowledged", nurse.id)


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
