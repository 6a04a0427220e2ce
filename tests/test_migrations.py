"""The Alembic migrations build exactly the models' schema, and go down and up again."""

import uuid

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from api import create_app
from models import db
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, make_config


@pytest.fixture
def scratch_url(tmp_path):
    """A database of its own: the migrations are run down and up in it."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"scratch_{uuid.uuid4().hex[:10]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def schema_differences(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names():
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_matches_the_models(scratch_url, tmp_path):
    app = create_app(make_config(scratch_url, tmp_path))
    with app.app_context():
        flask_migrate.upgrade()
        assert schema_differences(app) == []
        assert table_names() == set(db.metadata.tables)

        flask_migrate.downgrade(revision="base")
        assert table_names() == set()

        flask_migrate.upgrade()
        assert schema_differences(app) == []
        db.engine.dispose()


def test_a_model_change_without_migration_is_caught(scratch_url, tmp_path):
    """The check above can fail: drift between models and migrations is reported."""
    app = create_app(make_config(scratch_url, tmp_path))
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_patients_clinic_id"))
        diffs = schema_differences(app)
        assert [d[0] for d in diffs] == ["add_index"]
        db.engine.dispose()


@pytest.mark.postgres
def test_audit_events_are_append_only_in_the_database(app):
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (occurred_at, actor_type, action, outcome) "
                "VALUES (now(), 'system', 'test', 'success')"
            )
        )
    for statement in ["UPDATE audit_events SET outcome = 'failure'", "DELETE FROM audit_events"]:
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))


def test_0007_carries_todays_clinical_settings_over(scratch_url, tmp_path):
    """Triage overrides and label-rule values from their old homes land in clinical_settings;
    a value configured in two places keeps the wider window."""
    app = create_app(make_config(scratch_url, tmp_path))
    with app.app_context():
        flask_migrate.upgrade(revision="0006")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clinics (id, name, timezone, quiet_hours_start, quiet_hours_end,"
                    " emergency_number, triage_settings, created_at) VALUES (1, 'A', 'UTC',"
                    " '21:00:00', '08:00:00', '911', :s, '2026-01-01')"
                ),
                {"s": '{"vod_days_after_hsct": 110, "fever_once_c": 38.1}'},
            )
            for rule, params in [
                ("R-WEIGHT", '{"days_after_hsct": 120, "time_of_day": "07:30"}'),
                ("R-LFT-HSCT", '{"then_every_days": 21}'),
            ]:
                conn.execute(
                    text(
                        "INSERT INTO schedule_rule_settings (clinic_id, rule_id, version, params,"
                        " texts, enabled, created_at) VALUES (1, :r, 1, :p, '{}', true,"
                        " '2026-01-01')"
                    ),
                    {"r": rule, "p": params},
                )
        flask_migrate.upgrade()
        from clinical.settings import clinic_parameters

        p = clinic_parameters(db.session, 1)
        assert (p.version, p.vod_days_after_hsct, p["R-WEIGHT.time_of_day"]) == (1, 120, "07:30")
        assert str(p.fever_once_c) == "38.1" and p["R-LFT-HSCT.then_every_days"] == 21
        db.session.remove()
        db.engine.dispose()
