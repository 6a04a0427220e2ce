"""Liveness and readiness probes for load balancers and orchestrators."""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.errors import error_response
from models import db

blp = Blueprint("health", __name__)


def migration_heads() -> set[str]:
    config = current_app.extensions["migrate"].migrate.get_config()
    return set(ScriptDirectory.from_config(config).get_heads())


@blp.get("/healthz")
def healthz():
    """The process is up"""
    return {"status": "ok"}


@blp.get("/readyz")
def readyz():
    """The database answers and its schema is at the latest migration"""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError:
        current_app.logger.warning("readiness: database unreachable")
        return error_response(503, "Database unreachable.", error="database_unavailable")
    if current != migration_heads():
        message = "Database schema is not at the latest migration."
        return error_response(503, message, error="schema_outdated")
    return {"status": "ready"}
