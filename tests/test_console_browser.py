"""The console in a real browser: headless Chromium (Debian's package) driven by Playwright
against the app served on 127.0.0.1. Screenshots of the main pages go to docs/screenshots/.

Without /usr/bin/chromium these tests are skipped, unless REQUIRE_BROWSER=1 (CI), which makes
a missing browser a failure.
"""

import os
import threading
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from messages.outbox import OutboxPolicy
from models import Alert, AlertPage, db, utcnow
from schedules import facts
from tests.factories import PASSWORD, auth, make_clinic, make_patient, make_staff
from triage import reports

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("REQUIRE_BROWSER"):
        raise RuntimeError("REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()


@pytest.fixture
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    """A nurse's phone: the alert page is mobile-first."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def sign_in(page, email):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def world(app):
    clinic = make_clinic()
    clinic.care_team_phone = "+12025550100"
    nurse = make_staff(clinic, phone="+12025550143", on_call=True, name="Night Nurse")
    admin = make_staff(clinic, role="admin", name="Clinic Admin")
    patient = make_patient(clinic, display_name="Ana R.", baseline_weight=D("60"))
    now = utcnow()
    for hours, kg in [(72, D("60.2")), (48, D("60.9")), (24, D("61.8"))]:
        reports.record_report(
            db.session,
            patient,
            {
                "items": [
                    {
                        "symptom": "weight",
                        "value": kg,
                        "unit": "kg",
                        "measured_at": now - timedelta(hours=hours),
                    }
                ]
            },
            now=now - timedelta(hours=hours),
            base_url="http://127.0.0.1",
            outbox_policy=OutboxPolicy.from_config(app.config),
        )
    report, _ = reports.record_report(
        db.session,
        patient,
        {
            "items": [
                {"symptom": "temperature", "value": D("101.5"), "unit": "F", "site": "oral"},
                {"symptom": "chills", "severity": 2},
            ],
            "note": "Shaking since lunch",
        },
        now=now,
        base_url="http://127.0.0.1",
        outbox_policy=OutboxPolicy.from_config(app.config),
    )
    db.session.commit()
    return clinic, nurse, admin, patient, db.session.get(Alert, report.alert_id)


def test_sms_link_sign_in_acknowledge_and_the_patient_sees_it(server, phone, client, world):
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
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=SHOTS / "alert-phone.png", full_page=True)
    phone.get_by_role("button", name="Acknowledge").click()
    phone.get_by_text("Acknowledged").first.wait_for()
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).status == "acknowledged"
    seen = client.get("/api/v1/me/alerts", headers=auth(patient)).json
    assert seen[0]["seen_by_care_team"] is True
    phone.goto(f"{server}/console/")
    phone.screenshot(path=SHOTS / "board-phone.png", full_page=True)


def test_admin_changes_a_proposed_value_and_sees_the_replanned_reminders(server, desk, world):
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
    assert "the label requires at least 8" in desk.locator("#rule-R-CONTRA-F").inner_text() or (
        "not a PROPOSED value" in desk.locator("#rule-R-CONTRA-F").inner_text()
    )
    desk.screenshot(path=SHOTS / "rules-refused.png", full_page=True)
    row = desk.locator("#rule-R-CONTRA-F")
    row.get_by_label("Value to change").select_option("time_of_day")
    row.get_by_label("Value", exact=True).fill("18:30")
    row.get_by_role("button", name="Save").click()
    desk.get_by_text("Saved; patients re-planned.").wait_for()
    desk.goto(f"{server}/console/patients/{patient.id}")
    contraception = desk.locator("table.reminders tr", has_text="R-CONTRA-F").first
    assert contraception.locator("td.due").inner_text().endswith("18:30")
    desk.screenshot(path=SHOTS / "patient.png", full_page=True)


def test_another_clinics_alert_is_refused(server, desk, world):
    _, _, _, _, alert = world
    outsider = make_staff(make_clinic())
    desk.goto(f"{server}/console/login")
    sign_in(desk, outsider.email)
    response = desk.goto(f"{server}/console/alerts/{alert.id}")
    assert response.status == 404
    assert alert.case_code not in desk.content()


def test_a_post_without_the_csrf_token_is_refused(server, desk, world):
    _, nurse, _, _, alert = world
    desk.goto(f"{server}/console/login")
    sign_in(desk, nurse.email)
    desk.get_by_role("heading", name="Alerts").wait_for()
    desk.screenshot(path=SHOTS / "board.png", full_page=True)
    forged = desk.request.post(f"{server}/console/alerts/{alert.id}/ack", form={})
    assert forged.status == 400
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).status == "open"
