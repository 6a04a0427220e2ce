"""The console through Flask's test client: sign-in, the SMS link, CSRF, per-clinic access,
idle timeout, admin pages. (tests/test_console_browser.py drives a real browser.)"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Alert, AlertPage, AuditEvent, db
from tests.factories import PASSWORD, make_alert, make_clinic, make_patient, make_staff


def csrf_of(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)


def sign_in(client, staff, next_url=None):
    page = client.get("/console/login")
    url = "/console/login" + (f"?next={next_url}" if next_url else "")
    return client.post(
        url, data={"email": staff.email, "password": PASSWORD, "csrf_token": csrf_of(page)}
    )


@pytest.fixture
def setup(app):
    clinic = make_clinic()
    nurse = make_staff(clinic, phone="+12025550143", on_call=True)
    patient = make_patient(clinic, display_name="Ana R.")
    alert = make_alert(patient)
    return clinic, nurse, patient, alert


def test_the_sms_link_leads_through_sign_in_to_the_alert(client, setup):
    _, nurse, _, alert = setup
    token = db.session.scalar(select(AlertPage.link_token))
    first = client.get(f"/c/{token}")
    assert first.status_code == 302 and "/console/login" in first.headers["Location"]
    signed = sign_in(client, nurse, next_url=f"/c/{token}")
    assert signed.headers["Location"] == f"/c/{token}"
    page = client.get(f"/c/{token}", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and alert.case_code in text and "Ana R." in text
    assert "NOT ACKNOWLEDGED" in text


def test_acknowledge_needs_the_csrf_token(client, setup):
    _, nurse, _, alert = setup
    sign_in(client, nurse)
    refused = client.post(f"/console/alerts/{alert.id}/ack", data={})
    assert refused.status_code == 400
    db.session.refresh(alert)
    assert alert.status == "open"
    page = client.get(f"/console/alerts/{alert.id}")
    done = client.post(f"/console/alerts/{alert.id}/ack", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 302
    db.session.refresh(alert)
    assert alert.status == "acknowledged" and alert.acknowledged_by_id == nurse.id


def test_other_clinics_alerts_and_patients_are_not_found(client, setup):
    _, _, patient, alert = setup
    outsider = make_staff(make_clinic())
    sign_in(client, outsider)
    assert client.get(f"/console/alerts/{alert.id}").status_code == 404
    assert client.get(f"/console/patients/{patient.id}").status_code == 404
    assert client.get("/console/alerts/999999").status_code == 404
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert len(denied) == 3


def test_expired_links_and_unknown_tokens(client, setup, app):
    page = db.session.scalar(select(AlertPage))
    page.paged_at -= timedelta(hours=25)
    db.session.commit()
    assert client.get(f"/c/{page.link_token}").status_code == 404
    assert client.get("/c/not-a-token").status_code == 404


def test_wrong_password_and_logout(client, setup):
    _, nurse, _, _ = setup
    page = client.get("/console/login")
    bad = client.post(
        "/console/login",
        data={"email": nurse.email, "password": "nope", "csrf_token": csrf_of(page)},
    )
    assert bad.status_code == 401 and "Wrong email or password." in bad.get_data(as_text=True)
    sign_in(client, nurse)
    board = client.get("/console/")
    assert board.status_code == 200
    client.post("/console/logout", data={"csrf_token": csrf_of(board)})
    assert client.get("/console/").status_code == 302


def test_idle_sessions_end(client, setup, app):
    _, nurse, _, _ = setup
    sign_in(client, nurse)
    with client.session_transaction() as session:
        session["seen"] -= 31 * 60
    assert client.get("/console/").status_code == 302


def test_session_cookie_flags(client, setup):
    _, nurse, _, _ = setup
    cookie = sign_in(client, nurse).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_clinicians_cannot_open_admin_pages(client, setup):
    _, nurse, _, _ = setup
    sign_in(client, nurse)
    assert client.get("/console/admin/rules").status_code == 403


def test_admin_rule_change_and_its_refusal(client, setup):
    clinic, _, _, _ = setup
    admin = make_staff(clinic, role="admin")
    sign_in(client, admin)
    page = client.get("/console/admin/rules")
    token = csrf_of(page)
    refused = client.post(
        "/console/admin/rules",
        data={"csrf_token": token, "rule_id": "R-CONTRA-F", "name": "months", "value": "6"},
    )
    assert refused.status_code == 422
    assert "At least 8 months" in refused.get_data(as_text=True)
    saved = client.post(
        "/console/admin/rules",
        data={
            "csrf_token": token,
            "rule_id": "R-CONTRA-F",
            "name": "time_of_day",
            "value": "18:30",
        },
    )
    assert saved.status_code == 302


def test_the_board_lists_unacknowledged_first(client, setup):
    clinic, nurse, patient, alert = setup
    other = make_patient(clinic, display_name="Bo K.")
    acked = make_alert(other, codes=("chills",))
    db.session.get(Alert, acked.id).status = "acknowledged"
    db.session.commit()
    sign_in(client, nurse)
    text = client.get("/console/").get_data(as_text=True)
    assert text.index(alert.case_code) < text.index(acked.case_code)
    assert 'http-equiv="refresh"' in text
    filtered = client.get("/console/?status=acknowledged").get_data(as_text=True)
    assert acked.case_code in filtered and alert.case_code not in filtered


def test_spanish(client, setup):
    _, nurse, _, alert = setup
    sign_in(client, nurse)
    text = client.get(f"/console/alerts/{alert.id}?lang=es").get_data(as_text=True)
    assert "SIN CONFIRMAR" in text and 'lang="es"' in text


def test_admin_saves_an_escalation_policy_and_retries_an_expired_sms(client, setup):
    from messages.templates import render
    from models import EscalationPolicy, Message
    from tests.factories import make_message

    clinic, nurse, _, _ = setup
    admin = make_staff(clinic, role="admin")
    sign_in(client, admin)
    page = client.get("/console/admin/escalation")
    levels = f'[{{"recipients": [{nurse.id}], "timeout_minutes": {{"urgent": 7, "emergency": 3}}}}]'
    saved = client.post(
        "/console/admin/escalation",
        data={
            "csrf_token": csrf_of(page),
            "levels": levels,
            "repeat_count": "1",
            "fallback_phone": "",
        },
    )
    assert saved.status_code == 302
    assert db.session.scalar(select(EscalationPolicy)).levels[0]["timeout_minutes"]["urgent"] == 7
    refused = client.post(
        "/console/admin/escalation",
        data={
            "csrf_token": csrf_of(page),
            "levels": '[{"recipients": [999999], '
            '"timeout_minutes": {"urgent": 7, "emergency": 3}}]',
            "repeat_count": "1",
        },
    )
    assert "Not pageable: [999999]" in refused.get_data(as_text=True)

    message = make_message(clinic, "expired-one", "expired")
    message.created_at -= timedelta(days=2)  # queued two days ago, expired after its 24 h
    message.expires_at = message.created_at + timedelta(hours=24)
    db.session.commit()
    listing = client.get("/console/admin/messages")
    assert render("reminder_notice") not in listing.get_data(as_text=True)  # no bodies shown
    retried = client.post(
        "/console/admin/messages",
        data={"csrf_token": csrf_of(listing), "message_id": str(message.id)},
    )
    assert retried.status_code == 302
    db.session.expire_all()
    message = db.session.get(Message, message.id)
    assert message.status == "queued"
    assert message.expires_at - message.next_attempt_at == timedelta(hours=24)


def test_an_admin_page_post_on_another_clinics_object_is_a_404_and_audited(client, app):
    ours, theirs = make_clinic(), make_clinic()
    admin = make_staff(ours, role="admin")
    stranger = make_staff(theirs)
    sign_in(client, admin)
    token = csrf_of(client.get("/console/admin/staff"))
    response = client.post(
        "/console/admin/staff", data={"staff_id": stranger.id, "csrf_token": token}
    )
    assert response.status_code == 404
    refusal = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.outcome == "denied", AuditEvent.action == "staff.update"
        )
    ).one()
    assert (refusal.actor_id, refusal.target) == (admin.id, f"staff:{stranger.id}")
    db.session.refresh(stranger)
    assert stranger.on_call is False
