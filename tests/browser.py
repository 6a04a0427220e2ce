"""What the console's browser tests share: Debian's Chromium driven by Playwright, the app served
on 127.0.0.1, a clinic with an open alert, and where screenshots go.

Without /usr/bin/chromium the browser tests are skipped, unless REQUIRE_BROWSER=1 (CI), which
makes a missing browser a failure. Screenshots go to build/screenshots (git-ignored), or to
$SCREENSHOTS_DIR: `make screenshots` points it at docs/screenshots to refresh the README's.
"""

import os
import threading
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from messages.outbox import OutboxPolicy
from models import Alert, db, utcnow
from tests.factories import PASSWORD, make_clinic, make_patient, make_staff
from triage import reports

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent


def require_chromium() -> None:
    """Skip the calling test module without Chromium; fail instead under REQUIRE_BROWSER."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise RuntimeError("REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


def screenshots_dir() -> Path:
    """Where the browser tests write screenshots: never a tracked folder unless asked to."""
    return Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / "build" / "screenshots")


@pytest.fixture
def shots() -> Path:
    folder = screenshots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
    from playwright.sync_api import sync_playwright

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


def new_page(browser, width: int, height: int = 844, mobile: bool = True):
    """A page in its own context (own cookies); a phone when `mobile`."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile
    )
    return context.new_page()


@pytest.fixture
def phone(browser):
    """A nurse's phone: 390 px wide."""
    page = new_page(browser, 390)
    yield page
    page.context.close()


@pytest.fixture
def desk(browser):
    page = new_page(browser, 1280, 900, mobile=False)
    yield page
    page.context.close()


def sign_in(page, email):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _weigh_in(patient, kg, at):
    item = {"symptom": "weight", "value": kg, "unit": "kg", "measured_at": at}
    reports.record_report(
        db.session,
        patient,
        {"items": [item]},
        now=at,
        base_url="http://127.0.0.1",
        outbox_policy=OutboxPolicy(),
    )


@pytest.fixture
def world(app):
    """A clinic with an on-call nurse, an admin, and a patient whose fever opened an alert."""
    clinic = make_clinic()
    clinic.care_team_phone = "+12025550100"
    nurse = make_staff(clinic, phone="+12025550143", on_call=True, name="Night Nurse")
    admin = make_staff(clinic, role="admin", name="Clinic Admin")
    patient = make_patient(clinic, display_name="Ana R.", baseline_weight=D("60"))
    now = utcnow()
    for hours, kg in [(72, D("60.2")), (48, D("60.9")), (24, D("61.8"))]:
        _weigh_in(patient, kg, now - timedelta(hours=hours))
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
        outbox_policy=OutboxPolicy(),
    )
    db.session.commit()
    return clinic, nurse, admin, patient, db.session.get(Alert, report.alert_id)
