"""The composition root: create_app() binds extensions, blueprints, error handlers and commands."""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import swagger_ui_bundle
from flask import Flask, g, request, send_from_directory
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import console
from access import families
from api.audit import assign_request_id
from api.auth import guards
from api.auth.metrics import require_metrics_access
from api.cli import register_commands
from api.config import STATIC_CONFIG, check_config, load_config
from api.errors import register_error_handlers
from api.extensions import csrf, jwt, limiter, migrate
from api.fhir import bulk as fhir_bulk
from api.fhir import routes as fhir_routes
from api.inputs import refuse_nul_outside_the_api
from api.logs import configure_logging
from api.openapi import make_api
from api.resources import (
    alerts,
    audit_events,
    auth,
    clinical,
    devices,
    health,
    me,
    messages,
    patients,
    reminders,
    reports,
    staff,
    webhooks,
)
from api.security_headers import add_security_headers
from console import auth as console_auth
from console.language import TRANSLATIONS, babel, select_locale
from messages import inbound, notices, outbox
from models import db
from triage import acknowledgement, escalation


class DatabaseId(IntegerConverter):
    """`<int:...>` in routes: 1 to 2**31 - 1, the range of an INTEGER column everywhere."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict | None = None) -> Flask:
    config = config or {}
    app = Flask(__name__, instance_path=config.get("INSTANCE_PATH"))
    app.config.update(STATIC_CONFIG)
    app.config.update(load_config(app.instance_path))
    app.config.update(config)
    check_config(app.config)
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=app.config["ACCESS_TOKEN_MINUTES"])
    app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(days=app.config["REFRESH_TOKEN_DAYS"])
    app.json.sort_keys = False  # fields in the schemas' order
    configure_logging(app.config["LOG_LEVEL"])
    if app.config["TRUSTED_PROXY_COUNT"]:
        n = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    # Ids in paths are database integers: a larger number is a 404, not a database overflow.
    app.url_map.converters["int"] = DatabaseId
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    jwt.init_app(app)
    # Token families' revocation state, remembered per process for a few seconds (guards).
    token_check_seconds = app.config["TOKEN_CHECK_CACHE_SECONDS"]
    app.extensions["token_families"] = families.LiveFamilies(token_check_seconds)
    limiter.init_app(app)
    api = make_api(app, DatabaseId)
    wire_domain()
    _register_blueprints(app, api)
    _register_console(app)
    register_error_handlers(app)
    _register_request_hooks(app)
    register_commands(app)
    return app


def wire_domain() -> None:
    """What the domain calls back, registered here (the worker runs create_app too): a page that
    cannot be delivered moves its case on, a patient's notice whose push failed goes by SMS;
    a nurse's SMS reply may acknowledge a case."""
    outbox.on_failure("escalation")(escalation.page_failed)
    for purpose in ("reminder", "system"):  # a notice whose pushes all failed goes by SMS
        outbox.on_failure(purpose)(notices.push_failed)
    inbound.register_handler(acknowledgement.handle_ack_sms)


def _register_blueprints(app: Flask, api) -> None:
    guards.register_jwt_loaders(jwt)
    blueprints = (
        auth,
        patients,
        clinical,
        me,
        devices,
        reminders,
        reports,
        alerts,
        staff,
        audit_events,
        messages,
    )
    for module in blueprints:
        api.register_blueprint(module.blp)
    # FHIR R4 (plain Flask blueprints: not in the OpenAPI document; the CapabilityStatement at
    # /fhir/R4/metadata documents them).
    for blueprint in (health.blp, webhooks.blp, messages.metrics, fhir_routes.bp, fhir_bulk.bp):
        app.register_blueprint(blueprint)

    @app.get("/docs/assets/<path:filename>")
    def swagger_ui_assets(filename):
        """Swagger UI's files, served locally so /docs works without internet access."""
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _register_console(app: Flask) -> None:
    """The staff console: session cookies and CSRF on its forms; everything else is exempt
    (the JSON API authenticates with bearer tokens, webhooks with Twilio's signature)."""
    secure = (app.config["PUBLIC_BASE_URL"] or "").startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = secure  # Secure behind TLS
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=12)
    for name, blueprint in app.blueprints.items():
        if name not in ("console", "links"):
            csrf.exempt(blueprint)
    app.register_blueprint(console.bp)
    app.register_blueprint(console.links)
    csrf.init_app(app)
    console_auth.login_manager.init_app(app)
    console_auth.limiter.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS)
    )

    @app.context_processor
    def _console_helpers():
        return {"lang": get_locale().language, "tz": ZoneInfo}


def _register_request_hooks(app: Flask) -> None:
    app.before_request(assign_request_id)
    app.before_request(refuse_nul_outside_the_api)
    app.before_request(guards.bearer_scheme_in_any_case)

    @app.before_request
    def _metrics_access():
        """/metrics is not public (METRICS_TOKEN, or this machine only): api/auth/metrics.py."""
        if request.blueprint == "metrics":
            require_metrics_access()

    @app.after_request
    def _headers(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return add_security_headers(response)
