"""The app factory and the probes."""

from api import create_app


def test_config_defaults_work_after_a_clone(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'besponsa.db'}"
    assert len(app.config["SECRET_KEY"]) > 40
    # The generated key is kept, so tokens survive a restart.
    assert (
        create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
        == app.config["SECRET_KEY"]
    )
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_testing_flag_and_database_url(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/care")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    assert app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/care"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert len(response.headers["X-Request-ID"]) >= 8


def test_readyz_when_migrated(client):
    assert client.get("/readyz").json == {"status": "ready"}


def test_readyz_refuses_an_unmigrated_database(tmp_path):
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"}
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["message"] == "Database schema is not at the latest migration."
    assert response.json["error"] == "schema_outdated"


def test_openapi_and_docs_work_offline(client):
    spec = client.get("/openapi.json").json
    assert "/api/v1/patients/{patient_id}" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/docs")
    assert page.status_code == 200
    assert b"/docs/assets/swagger-ui-bundle.js" in page.data
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    asset.close()


def test_create_app_wires_the_domain_callbacks_explicitly(app):
    """Registered by create_app (which the worker runs too), not as a side effect of an import."""
    from messages import inbound, outbox
    from triage import acknowledgement, escalation

    assert escalation.page_failed in outbox.failure_hooks("escalation")
    assert acknowledgement.handle_ack_sms in inbound.handlers()
    outbox.remove_failure_hook("escalation", escalation.page_failed)
    inbound.remove_handler(acknowledgement.handle_ack_sms)
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40})
    assert outbox.failure_hooks("escalation") == [escalation.page_failed]
    assert inbound.handlers().count(acknowledgement.handle_ack_sms) == 1
