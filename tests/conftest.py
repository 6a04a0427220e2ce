"""Fixtures in the flaskr style: `app`, `client`, `runner`, on SQLite or PostgreSQL.

The suite runs on a SQLite file by default; with TEST_DATABASE_URL set it runs on that
PostgreSQL database instead. Either way the schema is built by the Alembic migrations.
"""

import os

import flask_babel
import flask_migrate
import pytest
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


@pytest.fixture
def app(migrated, tmp_path, app_config):
    app = create_app(make_config(migrated, tmp_path, **app_config))
    # The context below outlives requests, and Flask-Babel keeps a request's locale in it: forget
    # it when each request ends, as the request's own context would (goes with issue 12 item 6).
    app.teardown_request(lambda _exc: flask_babel.refresh())
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
