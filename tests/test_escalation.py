"""End to end through the fake Twilio with an injected clock: a report pages level 1; with no
answer level 2 is paged after the timeout; an ACK reply stops it; the patient sees it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from messages.outbox import OutboxPolicy
from models import Alert, AlertPage, AuditEvent, EscalationPolicy, db, utcnow
from tests.factories import auth, make_clinic, make_patient, make_staff
from tests.fake_twilio import FakeTwilio, Fault
from tests.sms import run_dispatch, signed_post, twilio_config
from tests.test_messages_admin import FORBIDDEN
from triage import escalation

POLICY = OutboxPolicy()

NURSE_1, NURSE_2, FALLBACK, PATIENT = "+12025550143", "+12025550144", "+12025550100", "+12025550188"


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)


@pytest.fixture
def team(app):
    clinic = make_clinic()
    clinic.care_team_phone = FALLBACK
    first = make_staff(clinic, phone=NURSE_1, on_call=True)
    second = make_staff(clinic, phone=NURSE_2)
    db.session.add(
        EscalationPolicy(
            clinic_id=clinic.id,
            version=1,
            repeat_count=0,
            fallback_phone=FALLBACK,
            levels=[
                {"recipients": [first.id], "timeout_minutes": {"urgent": 10, "emergency": 5}},
                {"recipients": [second.id], "timeout_minutes": {"urgent": 10, "emergency": 5}},
            ],
        )
    )
    db.session.commit()
    patient = make_patient(clinic, phone=PATIENT, display_name="Maria Lopez")
    return clinic, first, second, patient


def report_fever(client, patient, key="fever-report-1"):
    body = {
        "items": [{"symptom": "temperature", "value": "38.6", "unit": "C"}],
        "note": "shivering since lunch",
    }
    response = client.post(
        "/api/v1/me/symptom-reports", json=body, headers=auth(patient) | {"Idempotency-Key": key}
    )
    assert response.status_code == 201
    return db.session.get(Alert, response.json["alert_id"])


def ack_sms(client, sender, text, sid):
    return signed_post(
        client,
        "/webhooks/twilio/inbound",
        {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": text},
    )


def test_report_pages_level_1_then_level_2_then_ack_by_sms(client, app, fake, team):
    clinic, first, second, patient = team
    alert = report_fever(client, patient)
    t0 = alert.created_at
    run_dispatch(app, t0)
    assert len(fake.bodies_to(NURSE_1)) == 1
    page = fake.bodies_to(NURSE_1)[0]
    assert page.startswith(f"URGENT alert, case {alert.case_code}.")
    assert f"Reply ACK {alert.case_code}" in page

    # Nobody answers: nothing happens before the timeout, level 2 after it.
    assert (
        escalation.escalate_due(db.session, outbox_policy=POLICY, now=t0 + timedelta(minutes=9))
        == 0
    )
    assert (
        escalation.escalate_due(db.session, outbox_policy=POLICY, now=t0 + timedelta(minutes=10))
        == 1
    )
    db.session.commit()
    run_dispatch(app, t0 + timedelta(minutes=10))
    assert len(fake.bodies_to(NURSE_2)) == 1 and len(fake.bodies_to(NURSE_1)) == 1

    # Level 1 nurse's phone was paged too, but someone else's number cannot acknowledge.
    stranger = ack_sms(client, "+12025550199", f"ACK {alert.case_code}", "SM" + "1" * 32)
    assert "<Message>" not in stranger.get_data(as_text=True)  # told nothing about cases
    unknown = ack_sms(client, NURSE_2, "ACK ZZZZZ", "SM" + "2" * 32)
    assert "No open case ZZZZZ" in unknown.get_data(as_text=True)
    db.session.refresh(alert)
    assert alert.status == "open"

    reply = ack_sms(client, NURSE_2, f"ack {alert.case_code.lower()}", "SM" + "3" * 32)
    assert f"Case {alert.case_code} acknowledged" in reply.get_data(as_text=True)
    db.session.refresh(alert)
    assert (alert.status, alert.acknowledged_by_id) == ("acknowledged", second.id)
    assert (
        escalation.escalate_due(db.session, outbox_policy=POLICY, now=t0 + timedelta(hours=5)) == 0
    )

    seen = client.get("/api/v1/me/alerts", headers=auth(patient)).json
    assert seen[0]["seen_by_care_team"] is True and seen[0]["seen_at"]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target == f"alert:{alert.id}")
    ).all()
    assert actions == ["alert.raised", "alert.paged", "alert.paged", "alert.ack"]

    # Minimum PHI: no page says what, who or why.
    for text in fake.bodies_to(NURSE_1) + fake.bodies_to(NURSE_2):
        for word in FORBIDDEN + ["maria", "lopez", "shivering", "38.6", "temperature"]:
            assert word not in text.lower()


def test_a_permanent_failure_pages_the_next_level_at_once(client, app, fake, team):
    _, _, _, patient = team
    fake.by_number[NURSE_1] = Fault(400, 21211)
    alert = report_fever(client, patient)
    run_dispatch(app, alert.created_at)  # nurse 1's page fails: level 2 queued in the same commit
    run_dispatch(app, alert.created_at + timedelta(seconds=5))
    assert len(fake.bodies_to(NURSE_2)) == 1
    db.session.refresh(alert)
    assert alert.level == 1


def test_an_undelivered_callback_pages_the_next_level_at_once(client, app, fake, team):
    _, _, _, patient = team
    alert = report_fever(client, patient)
    run_dispatch(app, alert.created_at)
    sid = next(m["sid"] for m in fake.received if m["To"] == NURSE_1)
    callback = signed_post(
        client,
        "/webhooks/twilio/status",
        {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"},
    )
    assert callback.status_code == 204
    run_dispatch(app, alert.created_at + timedelta(seconds=5))
    assert len(fake.bodies_to(NURSE_2)) == 1


def test_after_the_last_level_the_alert_stays_open_and_the_fallback_is_paged(
    client, app, fake, team
):
    _, _, _, patient = team
    alert = report_fever(client, patient)
    t0 = alert.created_at
    for minutes in (10, 20):
        escalation.escalate_due(
            db.session, outbox_policy=POLICY, now=t0 + timedelta(minutes=minutes)
        )
        db.session.commit()
    run_dispatch(app, t0 + timedelta(minutes=20))
    db.session.refresh(alert)
    assert alert.status == "open" and alert.exhausted_at is not None
    assert len(fake.bodies_to(FALLBACK)) == 1
    nurse = db.session.scalar(select(AlertPage.staff_id).where(AlertPage.level == 0))
    listed = client.get(
        "/api/v1/alerts", headers=auth(db.session.get(__import__("models").Staff, nurse))
    ).json
    assert listed[0]["id"] == alert.id and listed[0]["exhausted_at"]


def test_the_same_symptom_joins_the_open_alert_without_a_second_page(client, app, fake, team):
    _, _, _, patient = team
    first = report_fever(client, patient, key="fever-report-1")
    second = report_fever(client, patient, key="fever-report-2")
    assert first.id == second.id
    run_dispatch(app, utcnow())
    assert len(fake.received) == 1


def test_ack_and_resolve_through_the_api(client, app, fake, team):
    _, first, _, patient = team
    alert = report_fever(client, patient)
    acked = client.post(f"/api/v1/alerts/{alert.id}/ack", headers=auth(first))
    assert acked.status_code == 200 and acked.json["status"] == "acknowledged"
    resolved = client.post(
        f"/api/v1/alerts/{alert.id}/resolve", json={"note": "Called back."}, headers=auth(first)
    )
    assert resolved.json["status"] == "resolved"
    again = client.post(f"/api/v1/alerts/{alert.id}/ack", headers=auth(first))
    assert again.status_code == 409
    other = make_staff(make_clinic())
    assert client.post(f"/api/v1/alerts/{alert.id}/ack", headers=auth(other)).status_code == 404


def test_an_urgent_lab_value_raises_an_alert(client, app, fake, team):
    _, first, _, patient = team
    response = client.post(
        f"/api/v1/patients/{patient.id}/labs",
        headers=auth(first),
        json={"kind": "qtc", "value": 512, "unit": "ms", "collected_at": utcnow().isoformat()},
    )
    assert response.status_code == 201
    alert = db.session.scalar(select(Alert))
    assert (alert.source, alert.rule_ids, alert.urgency) == ("lab", ["L-4"], "urgent")


def test_escalation_policy_admin_api(client, app, team):
    clinic, first, _, _ = team
    admin = make_staff(clinic, role="admin")
    current = client.get("/api/v1/escalation-policy", headers=auth(admin)).json
    assert current["version"] == 1 and current["fallback_phone"] == FALLBACK
    body = {
        "levels": [
            {"recipients": ["on_call", first.id], "timeout_minutes": {"urgent": 15, "emergency": 5}}
        ],
        "repeat_count": 2,
        "fallback_phone": "+1 202 555 0100",
    }
    updated = client.put("/api/v1/escalation-policy", json=body, headers=auth(admin))
    assert updated.status_code == 200 and updated.json["version"] == 2
    outsider = make_staff(make_clinic(), phone="+12025550177")
    body["levels"][0]["recipients"] = [outsider.id]
    refused = client.put("/api/v1/escalation-policy", json=body, headers=auth(admin))
    assert refused.status_code == 422
    body["levels"][0]["recipients"] = ["everyone"]
    assert (
        client.put("/api/v1/escalation-policy", json=body, headers=auth(admin)).status_code == 422
    )


def test_triage_settings_show_provenance_and_take_overrides(client, app, team):
    clinic, _, _, _ = team
    admin = make_staff(clinic, role="admin")
    settings = client.get("/api/v1/triage-settings", headers=auth(admin)).json["settings"]
    hsct = next(s for s in settings if s["name"] == "vod_days_after_hsct")
    assert hsct == {
        "name": "vod_days_after_hsct",
        "value": 100,
        "default": 100,
        "unit": "days",
        "proposed": True,
        "lowest": 30,
        "highest": 365,
        "overridden": False,
        "source": "PROPOSED (R-VOD-WIN b)",
    }
    changed = client.patch(
        "/api/v1/triage-settings", json={"vod_days_after_hsct": 120}, headers=auth(admin)
    ).json["settings"]
    assert next(s for s in changed if s["name"] == "vod_days_after_hsct")["value"] == 120
    for bad in [{"nope": 1}, {"vod_days_after_hsct": -1}, {"vod_days_after_hsct": "x"}, []]:
        assert (
            client.patch("/api/v1/triage-settings", json=bad, headers=auth(admin)).status_code
            == 422
        )


def report(client, patient, items, key):
    response = client.post(
        "/api/v1/me/symptom-reports",
        json={"items": items},
        headers=auth(patient) | {"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.json
    return response.json


FAINT_AND_FEVER = [
    {"symptom": "temperature", "value": "39.4", "unit": "C"},
    {"symptom": "fainting"},
]


def test_an_emergency_after_an_acknowledged_urgent_report_pages_level_1_again(
    client, app, fake, team
):
    """E-JOIN-2, the reported defect: 38.6 °C urgent, acknowledged; then 39.4 °C and fainting
    is an emergency, and it must page, with the emergency urgency, from level 1."""
    _, first, _, patient = team
    alert = report_fever(client, patient)
    run_dispatch(app, alert.created_at)
    assert ack_sms(client, NURSE_1, f"ACK {alert.case_code}", "SM" + "4" * 32).status_code == 200
    db.session.refresh(alert)
    assert alert.status == "acknowledged"

    body = report(client, patient, FAINT_AND_FEVER, "faint-report-1")
    assert body["urgency"] == "emergency" and body["alert_id"] == alert.id
    run_dispatch(app, utcnow())
    pages = fake.bodies_to(NURSE_1)
    assert len(pages) == 2
    assert pages[1].startswith(f"EMERGENCY alert, case {alert.case_code}: urgency raised.")
    db.session.refresh(alert)
    assert (alert.status, alert.urgency, alert.level) == ("open", "emergency", 0)
    deadline = alert.next_escalation_at - alert.last_report_at
    assert deadline == timedelta(minutes=5)  # the emergency timeout of level 1
    seen = client.get("/api/v1/me/alerts", headers=auth(patient)).json[0]
    assert (seen["urgency"], seen["seen_by_care_team"]) == ("emergency", False)
    for word in FORBIDDEN + ["faint", "39.4", "maria"]:
        assert word not in pages[1].lower()

    # A bare ACK from the nurse's phone takes it again: one open page, no code needed.
    reply = ack_sms(client, NURSE_1, "ACK", "SM" + "5" * 32)
    assert f"Case {alert.case_code} acknowledged" in reply.get_data(as_text=True)


def test_an_emergency_joining_an_open_urgent_case_repages_and_shortens_the_deadline(
    client, app, fake, team
):
    _, _, _, patient = team
    alert = report_fever(client, patient)
    t0 = alert.created_at
    run_dispatch(app, t0)
    report(client, patient, FAINT_AND_FEVER, "faint-report-2")
    run_dispatch(app, utcnow())
    pages = fake.bodies_to(NURSE_1)
    assert [p.split(",")[0] for p in pages] == ["URGENT alert", "EMERGENCY alert"]
    db.session.refresh(alert)
    assert alert.next_escalation_at <= alert.last_report_at + timedelta(minutes=5)
    assert alert.next_escalation_at < t0 + timedelta(minutes=10)


def test_a_new_report_on_an_acknowledged_case_notifies_its_holder_once(client, app, fake, team):
    """E-JOIN-1: same urgency, acknowledged: one notice to whoever took it, no re-escalation;
    the patient sees that the latest report is not yet seen."""
    _, first, second, patient = team
    alert = report_fever(client, patient)
    client.post(f"/api/v1/alerts/{alert.id}/ack", headers=auth(second))
    report_fever(client, patient, key="fever-report-2")
    report_fever(client, patient, key="fever-report-3")
    run_dispatch(app, utcnow())
    notices = fake.bodies_to(NURSE_2)
    assert len(notices) == 1 and notices[0].startswith(f"Case {alert.case_code} has a new report")
    db.session.refresh(alert)
    assert alert.status == "acknowledged" and alert.next_escalation_at is None
    mine = client.get("/api/v1/me/alerts", headers=auth(patient)).json[0]
    assert mine["seen_by_care_team"] is False
    listed = client.get("/api/v1/alerts", headers=auth(second)).json[0]
    assert listed["has_unseen_report"] is True

    assert client.get(f"/api/v1/alerts/{alert.id}", headers=auth(second)).status_code == 200
    mine = client.get("/api/v1/me/alerts", headers=auth(patient)).json[0]
    assert mine["seen_by_care_team"] is True and mine["seen_at"]


def test_a_report_after_the_case_is_resolved_opens_a_new_case(client, app, fake, team):
    """E-JOIN-3."""
    _, first, _, patient = team
    alert = report_fever(client, patient)
    client.post(f"/api/v1/alerts/{alert.id}/resolve", json={"note": "ok"}, headers=auth(first))
    again = report_fever(client, patient, key="fever-report-4")
    assert again.id != alert.id and again.status == "open"
    run_dispatch(app, utcnow())
    assert sorted(p.split(".")[0] for p in fake.bodies_to(NURSE_1)) == sorted(
        [f"URGENT alert, case {alert.case_code}", f"URGENT alert, case {again.case_code}"]
    )  # sent in parallel: in any order


def test_a_worse_lab_value_reopens_its_acknowledged_case_and_pages(client, app, fake, team):
    """E-JOIN-2 for lab values: QTc 485 ms flags (routine, L-4); 512 ms is urgent."""
    _, first, _, patient = team
    lab = {"kind": "qtc", "unit": "ms", "collected_at": utcnow().isoformat()}
    url = f"/api/v1/patients/{patient.id}/labs"
    assert client.post(url, headers=auth(first), json=lab | {"value": 485}).status_code == 201
    alert = db.session.scalar(select(Alert))
    assert alert.urgency == "routine" and not alert.pages
    client.post(f"/api/v1/alerts/{alert.id}/ack", headers=auth(first))
    assert client.post(url, headers=auth(first), json=lab | {"value": 512}).status_code == 201
    run_dispatch(app, utcnow())
    db.session.refresh(alert)
    assert (alert.status, alert.urgency) == ("open", "urgent")
    assert fake.bodies_to(NURSE_1)[0].startswith(f"URGENT alert, case {alert.case_code}: urgency")


def test_real_sms_need_the_public_origin_their_links_point_at(tmp_path):
    from api.config import check_config, load_config

    config = load_config(str(tmp_path), {}) | {
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "x" * 32,
        "TWILIO_FROM_NUMBER": "+15005550006",
    }
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        check_config(config)
    check_config(config | {"PUBLIC_BASE_URL": "https://care.example.org"})
