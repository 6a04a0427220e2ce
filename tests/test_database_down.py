"""With the database unreachable, or its connection dropped mid-request, the API answers 503 with
Retry-After and `database_unavailable` (not 500), logs one line without patient data, and the
next request after the database is back succeeds. Real failures: a closed port, a missing file,
a backend terminated by PostgreSQL, never a mocked exception."""

import io
import logging

import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import create_engine, event, text

from api import create_app
from models import db
from tests.conftest import TEST_DATABASE_URL, make_config
from tests.factories import auth, make_clinic, make_staff

UNREACHABLE = {
    "closed-port": "postgresql+psycopg://root@127.0.0.1:1/nowhere?connect_timeout=2",
    "missing-file": "sqlite:////nonexistent-folder/besponsa.db",
}


def assert_unavailable(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    if response.is_json:
        assert response.json["error"] == "database_unavailable"


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_unreachable_database_is_503(tmp_path, url):
    app = create_app(make_config(url, tmp_path))
    client = app.test_client()
    with app.app_context():
        token = create_access_token(
            identity="staff:1", additional_claims={"role": "admin", "fam": "f", "clinic": 1}
        )
    headers = {"Authorization": f"Bearer {token}"}
    assert_unavailable(client.get("/api/v1/patients", headers=headers))
    assert_unavailable(
        client.post("/api/v1/auth/login", json={"email": "a@b.org", "password": "x"})
    )
    assert_unavailable(client.get("/c/some-link-token"))  # the console's SMS link: a page
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


@pytest.mark.postgres
def test_connection_terminated_mid_request(client, app):
    """PostgreSQL ends the request's backend (a failover, an admin, a crash) between the
    request's first query and its INSERT."""
    admin = make_staff(make_clinic(), role="admin")
    headers = auth(admin)
    body = {"display_name": "Hortensia Blay", "phone": "+12025550199", "timezone": "UTC"}
    body["sex"] = "female"
    killer = create_engine(TEST_DATABASE_URL)

    def terminate_own_backend(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO patients"):
            pid = conn.connection.dbapi_connection.info.backend_pid
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    event.listen(db.engine, "before_cursor_execute", terminate_own_backend)
    try:
        response = client.post("/api/v1/patients", json=body, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", terminate_own_backend)
        logging.getLogger().removeHandler(handler)
        killer.dispose()
    assert_unavailable(response)
    logged = stream.getvalue()
    assert "database unavailable" in logged and "Traceback" not in logged
    assert "Hortensia" not in logged and "2025550199" not in logged
    retried = client.post("/api/v1/patients", json=body, headers=headers)
    assert retried.status_code == 201  # the pool reconnects: nothing else to do


@pytest.mark.postgres
def test_idle_connections_terminated_between_requests_are_replaced(client, app):
    """A restart or failover between requests kills the pooled connections: pool_pre_ping
    notices at checkout and reconnects, so the next request simply succeeds."""
    headers = auth(make_staff(make_clinic(), role="admin"))
    assert client.get("/api/v1/staff", headers=headers).status_code == 200
    db.session.remove()  # what the end of a request does (this fixture's context outlives it)
    killer = create_engine(TEST_DATABASE_URL)
    with killer.connect() as other:
        killed = other.execute(
            text(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    killer.dispose()
    assert killed >= 1
    assert client.get("/api/v1/staff", headers=headers).status_code == 200
