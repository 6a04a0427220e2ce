"""The console in a real browser: headless Chromium (Debian's package) driven by Playwright
against the app served on 127.0.0.1 (fixtures in tests/browser.py). Screenshots go to
build/screenshots, or where SCREENSHOTS_DIR says (`make screenshots`: the README's).
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Alert, AlertPage, db, utcnow
from schedules import facts
from tests.browser import require_chromium, sign_in
from tests.factories import auth, make_clinic, make_staff

pytestmark = pytest.mark.browser
require_chromium()


def test_sms_link_sign_in_acknowledge_and_the_patient_sees_it(server, phone, client, world, shots):
    _, nurse, _, patient, alert = world
    token = db.session.scalar(select(AlertPage.link_token).where(AlertPage.alert_id == alert.id))
    phone.goto(f"{server}/c/{token}")
    assert "/console/login" in phone.url
    sign_in(phone, nurse.email)
    body = phone.locator("main")
    body.get_by_text(f"Case {alert.case_code}").wait_for()
    text = body.inner_text()
    for expected in [
        "NOT ACKNOWLEDGED",
        "101.50 °F (oral) = 38.61 °C",
        "T-FEV (label 5.2, 5.3)",
        "Your blood counts may be low",
        "Night Nurse",
        "Shaking since lunch",
    ]:
        assert expected in text
    phone.screenshot(path=shots / "alert-phone.png", full_page=True)
    phone.get_by_role("button", name="Acknowledge").click()
    phone.get_by_text("Acknowledged").first.wait_for()
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).status == "acknowledged"
    seen = client.get("/api/v1/me/alerts", headers=auth(patient)).json
    assert seen[0]["seen_by_care_team"] is True
    phone.goto(f"{server}/console/")
    phone.screenshot(path=shots / "board-phone.png", full_page=True)


def test_admin_changes_a_proposed_value_and_sees_the_replanned_reminders(
    server, desk, world, shots
):
    _, nurse, admin, patient, _ = world
    yesterday = utcnow() - timedelta(days=1)
    facts.record_dose(
        db.session,
        patient,
        {
            "administered_on": yesterday.astimezone(
                __import__("zoneinfo").ZoneInfo(patient.timezone)
            ).date(),
            "infusion_started_at": yesterday,
            "infusion_ended_at": yesterday + timedelta(hours=1),
            "cycle": 1,
            "cycle_day": 1,
        },
        staff_id=nurse.id,
        now=utcnow(),
    )
    db.session.commit()
    desk.goto(f"{server}/console/admin/rules")
    sign_in(desk, admin.email)
    row = desk.locator("#rule-R-CONTRA-F")
    row.get_by_label("Value to change").select_option("months")
    row.get_by_label("Value", exact=True).fill("6")
    row.get_by_role("button", name="Save").click()
    assert "At least 8 months" in desk.locator("#rule-R-CONTRA-F").inner_text()
    desk.screenshot(path=shots / "rules-refused.png", full_page=True)
    row = desk.locator("#rule-R-CONTRA-F")
    row.get_by_label("Value to change").select_option("time_of_day")
    row.get_by_label("Value", exact=True).fill("18:30")
    row.get_by_role("button", name="Save").click()
    desk.get_by_text("Saved; patients re-planned.").wait_for()
    desk.goto(f"{server}/console/patients/{patient.id}")
    contraception = desk.locator("table.reminders tr", has_text="R-CONTRA-F").first
    assert contraception.locator("td.due").inner_text().endswith("18:30")
    desk.screenshot(path=shots / "patient.png", full_page=True)


def test_another_clinics_alert_is_refused(server, desk, world):
    _, _, _, _, alert = world
    outsider = make_staff(make_clinic())
    desk.goto(f"{server}/console/login")
    sign_in(desk, outsider.email)
    response = desk.goto(f"{server}/console/alerts/{alert.id}")
    assert response.status == 404
    assert alert.case_code not in desk.content()


def test_a_post_without_the_csrf_token_is_refused(server, desk, world, shots):
    _, nurse, _, _, alert = world
    desk.goto(f"{server}/console/login")
    sign_in(desk, nurse.email)
    desk.get_by_role("heading", name="Alerts").wait_for()
    desk.screenshot(path=shots / "board.png", full_page=True)
    forged = desk.request.post(f"{server}/console/alerts/{alert.id}/ack", form={})
    assert forged.status == 400
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).status == "open"


def test_the_api_docs_render_under_their_content_security_policy(server, desk):
    refused = []
    desk.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    response = desk.goto(f"{server}/docs")
    assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
    desk.get_by_text("BESPONSA care API").first.wait_for()
    desk.locator(".opblock").first.wait_for()
    assert desk.locator(".opblock").count() > 20  # every operation, from /openapi.json
    desk.locator(".opblock-summary").first.click()
    desk.get_by_role("button", name="Try it out").first.wait_for()
    assert refused == []
