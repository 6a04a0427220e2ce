"""No tokens, passwords or phone numbers reach the logs."""

import logging

from api.logs import redact
from tests.factories import PASSWORD, auth, make_clinic, make_staff


def test_redact_removes_secrets_and_numbers():
    line = (
        'login {"password": "hunter22hunter22"} Bearer abc.def '
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl to +1 (202) 555-0143"
    )
    cleaned = redact(line)
    for secret in ["hunter22hunter22", "abc.def", "eyJhbGci", "555-0143"]:
        assert secret not in cleaned
    assert redact("Running on http://127.0.0.1:5000 on 2026-11-24") == (
        "Running on http://127.0.0.1:5000 on 2026-11-24"
    )


def test_a_whole_flow_logs_no_secrets(client, app, caplog):
    nurse = make_staff(make_clinic(), email="n@example.org")
    caplog.set_level(logging.DEBUG)
    app.logger.setLevel(logging.DEBUG)
    handler_filter = next(
        f
        for h in logging.getLogger().handlers
        for f in h.filters
        if f.__class__.__name__ == "RedactingFilter"
    )
    caplog.handler.addFilter(handler_filter)
    tokens = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": PASSWORD})
    created = client.post(
        "/api/v1/patients",
        json={"display_name": "Q", "phone": "+12025550143", "timezone": "UTC", "sex": "male"},
        headers=auth(nurse),
    )
    code = client.post(
        f"/api/v1/patients/{created.json['id']}/enrollment-code", headers=auth(nurse)
    ).json["code"]
    app.logger.info(
        "debugging a request from +12025550143 with token %s", tokens.json["access_token"]
    )
    client.post("/api/v1/auth/enroll", json={"code": code})
    text = caplog.text
    assert "debugging a request" in text  # the log line itself is kept
    for secret in [
        PASSWORD,
        tokens.json["access_token"],
        tokens.json["refresh_token"],
        "+12025550143",
        code,
    ]:
        assert secret not in text
