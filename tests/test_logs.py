"""No tokens, passwords, phone numbers or database values reach the logs: not in messages, not in
tracebacks, not through any handler (records are redacted as they are made)."""

import contextlib
import io
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.logs import redact
from models import db
from tests.factories import PASSWORD, auth, make_clinic, make_patient, make_staff


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


@pytest.fixture
def every_log_line():
    """A plain handler of our own (no filter of the app's) on the root logger and on the
    loggers that do not always propagate; yields a function returning all that reached it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("", "werkzeug", "flask.app", "api", "sqlalchemy")]
    levels = [lg.level for lg in loggers]
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    yield stream.getvalue
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_whole_flow_logs_no_secrets(client, app, every_log_line):
    nurse = make_staff(make_clinic(), email="n@example.org")
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
    logged = every_log_line()
    assert "debugging a request" in logged  # the log line itself is kept
    for secret in [
        PASSWORD,
        tokens.json["access_token"],
        tokens.json["refresh_token"],
        "+12025550143",
        code,
    ]:
        assert secret not in logged


@contextlib.contextmanager
def inserts_fail(table: str):
    """A real database error in the middle of a request: a trigger makes the database refuse
    every INSERT into `table` (after the statement and its values reached it)."""
    if db.engine.dialect.name == "postgresql":
        setup = [
            "CREATE FUNCTION forced_failure() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'forced failure'; END $$",
            f"CREATE TRIGGER forced_failure BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION forced_failure()",
        ]
        teardown = [f"DROP TRIGGER forced_failure ON {table}", "DROP FUNCTION forced_failure()"]
    else:  # SQLite compiles a trigger's body when it fires: the missing table fails the INSERT
        setup = [
            f"CREATE TRIGGER forced_failure BEFORE INSERT ON {table} "
            "BEGIN INSERT INTO no_such_table VALUES (1); END"
        ]
        teardown = ["DROP TRIGGER forced_failure"]
    with db.engine.begin() as conn:
        for statement in setup:
            conn.execute(text(statement))
    try:
        yield
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            for statement in teardown:
                conn.execute(text(statement))


PHI_PATIENT = {
    "display_name": "Zebulon Quartermaine",
    "phone": "+12025550188",
    "timezone": "America/Chicago",
    "sex": "male",
}


def test_database_error_with_patient_data_logs_none_of_it(client, app, every_log_line):
    admin = make_staff(make_clinic(), role="admin")
    headers = auth(admin)
    with inserts_fail("patients"):
        response = client.post("/api/v1/patients", json=PHI_PATIENT, headers=headers)
    assert response.status_code >= 500
    logged = every_log_line()
    assert "database message withheld" in logged  # the failure is logged...
    for phi in ["Zebulon", "Quartermaine", "+12025550188", "2025550188", "America/Chicago"]:
        assert phi not in logged  # ...and none of the values
    assert "Zebulon" not in response.get_data(as_text=True)


def test_database_error_with_symptom_values_logs_none_of_them(client, app, every_log_line):
    patient = make_patient(make_clinic(), display_name="Ottoline Vance", phone="+12025550177")
    headers = auth(patient) | {"Idempotency-Key": "fever-report-0001"}
    body = {
        "items": [
            {"symptom": "temperature", "value": 39.37, "unit": "C", "site": "oral"},
            {"symptom": "bleeding", "severity": 3, "details": ["nose_or_gum"]},
        ],
        "note": "Neighbour Ambrose drove me",
    }
    with inserts_fail("report_items"):
        response = client.post("/api/v1/me/symptom-reports", json=body, headers=headers)
    assert response.status_code >= 500
    logged = every_log_line()
    assert "database message withheld" in logged
    for phi in ["39.37", "Ottoline", "+12025550177", "Ambrose", "nose_or_gum"]:
        assert phi not in logged


def test_database_errors_carry_no_parameters(app):
    """hide_parameters: the exception's own text has the statement but not the values, so
    whoever logs str(exc) leaks nothing."""
    patient = make_patient(make_clinic(), display_name="Philippa Marsh")
    with pytest.raises(DBAPIError) as raised:
        db.session.execute(
            text("SELECT * FROM no_such_table WHERE name = :name"), {"name": patient.display_name}
        )
    db.session.rollback()
    assert "Philippa" not in str(raised.value)
    assert "hidden" in str(raised.value)


def test_tracebacks_and_stack_info_are_redacted_for_any_handler(app, every_log_line):
    log = logging.getLogger("tests.anything")
    try:
        raise ValueError("bad number +12025550166 with Bearer abc.def.ghi")
    except ValueError:
        log.exception("it failed")
    log.warning("where", stack_info=True, extra={"x": 1})
    logged = every_log_line()
    assert "it failed" in logged and "ValueError" in logged and "Stack (most recent" in logged
    assert "+12025550166" not in logged and "abc.def.ghi" not in logged
