"""Fixtures in the flaskr style: `app`, `client`, `runner`, on SQLite or PostgreSQL.

The suite runs on a SQLite file by default; with TEST_DATABASE_URL set it runs on that
PostgreSQL database instead. Either way the schema is built by the Alembic migrations.
"""

import contextvars
import os

import flask_migrate
import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from api import create_app
from models import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
pytest_plugins = ["tests.browser"]  # the browser tests' fixtures


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="PostgreSQL-only; runs when TEST_DATABASE_URL is set")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if ON_POSTGRES:
        reset_postgres(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_config(database_url, instance_path, **extra):
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "JWT_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        **extra,
    }


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory):
    app = create_app(make_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables():
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app_config():
    """Extra configuration for the `app` fixture; override in a test module."""
    return {}


class IsolatedClient(FlaskClient):
    """Each request runs as in production: in a fresh context (its own app context, `g` and
    database session), never in the test's. A route that forgets to commit loses its work, and
    the test sees that. After a request the test's session reads afresh from the database."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


@pytest.fixture
def app(migrated, tmp_path, app_config):
    """The app, with no context pushed (flaskr): `context` pushes one for setup and assertions."""
    app = create_app(make_config(migrated, tmp_path, **app_config))
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def context(request):
    """An app context for the test's own setup and assertions (factories, queries), apart from
    the contexts its requests run in."""
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
