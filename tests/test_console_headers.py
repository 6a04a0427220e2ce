"""Security headers (issue 10, item 20): the console cannot be framed, runs no script and loads
only its own files; links never leak in a Referer; HSTS behind https; /docs keeps working."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from api import create_app
from models import AlertPage, db
from tests.conftest import make_config
from tests.factories import make_alert, make_clinic, make_patient, make_staff
from tests.test_console import sign_in

TEMPLATES = Path(__file__).resolve().parent.parent / "console" / "templates" / "console"


def policy(response) -> dict:
    """The Content-Security-Policy as {directive: [sources]}."""
    directives = (d.split() for d in response.headers["Content-Security-Policy"].split(";"))
    return {d[0]: d[1:] for d in directives if d}


def assert_not_framable(response):
    assert response.headers["X-Frame-Options"] == "DENY"
    assert policy(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.fixture
def nurse_and_alert(app):
    clinic = make_clinic()
    nurse = make_staff(clinic, phone="+12025550143", on_call=True)
    return nurse, make_alert(make_patient(clinic))


def test_console_pages_allow_only_their_own_css_and_no_script(client, nurse_and_alert):
    nurse, alert = nurse_and_alert
    token = db.session.scalar(select(AlertPage.link_token))
    sign_in(client, nurse)
    for url in ["/console/login", "/console/", f"/console/alerts/{alert.id}", "/c/unknown"]:
        response = client.get(url)
        assert response.mimetype == "text/html", url
        csp = policy(response)
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'none'"]
        assert "style-src" not in csp  # default-src 'self': console.css, no inline style
        assert csp["form-action"] == ["'self'"] and csp["base-uri"] == ["'none'"]
        assert_not_framable(response)
    link = client.get(f"/c/{token}")  # the capability link's redirect
    assert link.status_code == 302 and link.headers["Referrer-Policy"] == "same-origin"


def test_the_templates_have_no_inline_script_or_style():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "<style" not in text, template.name
        assert not re.search(r"\sstyle=", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name  # no onclick= handlers


def test_json_and_text_responses_load_nothing(client, app):
    for url in ["/api/v1/me", "/healthz", "/metrics", "/openapi.json"]:
        response = client.get(url)
        assert policy(response) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
        assert_not_framable(response)


def test_docs_allow_swagger_uis_files_and_only_the_inline_script_they_ship(client):
    response = client.get("/docs")
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = policy(response)
    assert csp["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert "'unsafe-inline'" not in str(csp) and "'unsafe-eval'" not in str(csp)
    assert_not_framable(response)


def test_hsts_only_when_the_public_url_is_https(client, migrated, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/console/login").headers
    for base, expected in [("https://care.example.org", True), ("http://10.0.0.5", False)]:
        other = create_app(make_config(migrated, tmp_path / base[:5], PUBLIC_BASE_URL=base))
        response = other.test_client().get("/console/login")
        assert ("Strict-Transport-Security" in response.headers) is expected
        if expected:
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
