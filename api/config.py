"""Configuration: one object read from the environment, with defaults that work after a clone.

Every variable here is documented in the README's configuration table.
"""

import json
import os
import secrets
from pathlib import Path


def _int(environ, name, default):
    value = environ.get(name)
    return int(value) if value not in (None, "") else default


def _float(environ, name, default):
    value = environ.get(name)
    return float(value) if value not in (None, "") else default


def _secret_key(environ, instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if environ.get("SECRET_KEY"):
        return environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(environ, instance_path: Path) -> str:
    url = environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'besponsa.db'}"
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 named explicitly.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(instance_path: str, environ=None) -> dict:
    environ = os.environ if environ is None else environ
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    secret = _secret_key(environ, instance)
    return {
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _database_url(environ, instance),
        "ACCESS_TOKEN_MINUTES": _int(environ, "ACCESS_TOKEN_MINUTES", 15),
        "REFRESH_TOKEN_DAYS": _int(environ, "REFRESH_TOKEN_DAYS", 30),
        "TOKEN_CHECK_CACHE_SECONDS": _float(environ, "TOKEN_CHECK_CACHE_SECONDS", 5.0),
        "REFRESH_REUSE_GRACE_SECONDS": _int(environ, "REFRESH_REUSE_GRACE_SECONDS", 30),
        "ENROLLMENT_CODE_HOURS": _int(environ, "ENROLLMENT_CODE_HOURS", 72),
        "ENROLLMENT_CODE_MAX_ATTEMPTS": _int(environ, "ENROLLMENT_CODE_MAX_ATTEMPTS", 5),
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": environ.get("LOGIN_RATE_LIMIT", "10/minute;100/hour"),
        "ENROLL_RATE_LIMIT": environ.get("ENROLL_RATE_LIMIT", "5/minute;30/hour"),
        "MAX_CONTENT_LENGTH": _int(environ, "MAX_CONTENT_LENGTH", 64 * 1024),
        "IDEMPOTENCY_WAIT_SECONDS": float(environ.get("IDEMPOTENCY_WAIT_SECONDS") or 5),
        "TRUSTED_PROXY_COUNT": _int(environ, "TRUSTED_PROXY_COUNT", 0),
        "LOG_LEVEL": environ.get("LOG_LEVEL", "INFO"),
        # SMS
        "SMS_GATEWAY": environ.get("SMS_GATEWAY", "console"),
        "TWILIO_ACCOUNT_SID": environ.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": environ.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM_NUMBER": environ.get("TWILIO_FROM_NUMBER"),
        "TWILIO_MESSAGING_SERVICE_SID": environ.get("TWILIO_MESSAGING_SERVICE_SID"),
        "TWILIO_API_BASE_URL": environ.get("TWILIO_API_BASE_URL"),
        "TWILIO_HTTP_TIMEOUT": float(environ.get("TWILIO_HTTP_TIMEOUT") or 10),
        "TWILIO_MAX_MPS": _float(environ, "TWILIO_MAX_MPS", 0.0),
        "PUBLIC_BASE_URL": (environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "SMS_HELP_NUMBER": environ.get("SMS_HELP_NUMBER", ""),
        # Push (FCM HTTP v1) and voice calls
        "GOOGLE_APPLICATION_CREDENTIALS": environ.get("GOOGLE_APPLICATION_CREDENTIALS") or None,
        "FCM_PROJECT_ID": environ.get("FCM_PROJECT_ID") or None,
        "FCM_API_BASE_URL": environ.get("FCM_API_BASE_URL") or "https://fcm.googleapis.com",
        "FCM_HTTP_TIMEOUT": _float(environ, "FCM_HTTP_TIMEOUT", 10.0),
        "TWILIO_CALL_FROM_NUMBER": environ.get("TWILIO_CALL_FROM_NUMBER") or None,
        # Outbox and worker
        "OUTBOX_BATCH_SIZE": _int(environ, "OUTBOX_BATCH_SIZE", 50),
        "OUTBOX_LEASE_SECONDS": _int(environ, "OUTBOX_LEASE_SECONDS", 60),
        "OUTBOX_COMMIT_EVERY": _int(environ, "OUTBOX_COMMIT_EVERY", 10),
        "OUTBOX_CONCURRENCY": _int(environ, "OUTBOX_CONCURRENCY", 32),
        "ESCALATION_POLL_SECONDS": float(environ.get("ESCALATION_POLL_SECONDS") or 10),
        "REMINDER_POLL_SECONDS": float(environ.get("REMINDER_POLL_SECONDS") or 30),
        "REMINDER_STALE_HOURS": _int(environ, "REMINDER_STALE_HOURS", 24),
        "LFT_ACK_HOURS": _int(environ, "LFT_ACK_HOURS", 48),
        "CONSOLE_IDLE_MINUTES": _int(environ, "CONSOLE_IDLE_MINUTES", 30),
        "CONSOLE_LINK_HOURS": _int(environ, "CONSOLE_LINK_HOURS", 24),
        "METRICS_TOKEN": environ.get("METRICS_TOKEN") or None,
        "OUTBOX_POLL_SECONDS": float(environ.get("OUTBOX_POLL_SECONDS") or 2),
        "OUTBOX_MAX_ATTEMPTS": _int(environ, "OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_BACKOFF_BASE_SECONDS": float(environ.get("OUTBOX_BACKOFF_BASE_SECONDS") or 5),
        "OUTBOX_BACKOFF_CAP_SECONDS": float(environ.get("OUTBOX_BACKOFF_CAP_SECONDS") or 900),
        # FHIR Bulk Data export
        "FHIR_EXPORT_DIR": environ.get("FHIR_EXPORT_DIR") or str(instance / "exports"),
        "FHIR_EXPORT_HOURS": _int(environ, "FHIR_EXPORT_HOURS", 24),
        "FHIR_EXPORT_POLL_SECONDS": float(environ.get("FHIR_EXPORT_POLL_SECONDS") or 5),
        "OUTBOX_PAGE_MAX_ATTEMPTS": _int(environ, "OUTBOX_PAGE_MAX_ATTEMPTS", 60),
        "OUTBOX_PAGE_BACKOFF_BASE_SECONDS": _float(
            environ, "OUTBOX_PAGE_BACKOFF_BASE_SECONDS", 1.0
        ),
        "OUTBOX_PAGE_BACKOFF_CAP_SECONDS": _float(environ, "OUTBOX_PAGE_BACKOFF_CAP_SECONDS", 10.0),
        "SMS_MAX_AGE_MINUTES": {
            "reminder": _int(environ, "SMS_MAX_AGE_REMINDER_MINUTES", 24 * 60),
            "escalation": _int(environ, "SMS_MAX_AGE_ESCALATION_MINUTES", 120),
            "system": _int(environ, "SMS_MAX_AGE_SYSTEM_MINUTES", 24 * 60),
        },
    }


def check_config(config: dict) -> None:
    """Refuse to start with settings that would lose messages silently."""
    if config["SMS_GATEWAY"] not in ("console", "twilio"):
        raise RuntimeError("SMS_GATEWAY must be console or twilio")
    if config["METRICS_TOKEN"] is not None and len(config["METRICS_TOKEN"]) < 24:
        raise RuntimeError("METRICS_TOKEN must be at least 24 characters")
    if config["SMS_GATEWAY"] == "twilio":
        missing = [k for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not config[k]]
        if not (config["TWILIO_FROM_NUMBER"] or config["TWILIO_MESSAGING_SERVICE_SID"]):
            missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        # Real SMS carry links into the console: they must point at the configured origin.
        if not config["PUBLIC_BASE_URL"]:
            missing.append("PUBLIC_BASE_URL")
        if missing:
            raise RuntimeError(f"SMS_GATEWAY=twilio needs {', '.join(missing)}")
    if config["GOOGLE_APPLICATION_CREDENTIALS"] and not config["FCM_PROJECT_ID"]:
        config["FCM_PROJECT_ID"] = _project_of(config["GOOGLE_APPLICATION_CREDENTIALS"])
    for name in ("OUTBOX_CONCURRENCY", "OUTBOX_BATCH_SIZE", "OUTBOX_COMMIT_EVERY"):
        if config[name] < 1:
            raise RuntimeError(f"{name} must be at least 1")
    if config["TOKEN_CHECK_CACHE_SECONDS"] < 0:
        raise RuntimeError("TOKEN_CHECK_CACHE_SECONDS must be 0 (no cache) or more")
    if config["TWILIO_MAX_MPS"] < 0:
        raise RuntimeError("TWILIO_MAX_MPS must be 0 (no limit) or more")
    # A send starts only if it can end 5 s before its lease does: with a shorter lease, nothing
    # would ever be sent.
    if config["OUTBOX_LEASE_SECONDS"] <= config["TWILIO_HTTP_TIMEOUT"] + 5:
        raise RuntimeError("OUTBOX_LEASE_SECONDS must exceed TWILIO_HTTP_TIMEOUT + 5")


def _project_of(credentials_file: str) -> str:
    """FCM_PROJECT_ID defaults to the service account's project."""
    try:
        return json.loads(Path(credentials_file).read_text())["project_id"]
    except (OSError, ValueError, KeyError) as exc:
        raise RuntimeError(
            "GOOGLE_APPLICATION_CREDENTIALS must name a service account key (JSON with "
            "project_id), or set FCM_PROJECT_ID"
        ) from exc


# Fixed settings: the API's contract, not deployment choices.
STATIC_CONFIG = {
    "API_TITLE": "BESPONSA care API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",  # served from the swagger-ui-bundle package
    # hide_parameters: a database error's text names the statement, never the values (PHI).
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "JWT_TOKEN_LOCATION": ["headers"],
    "JWT_ERROR_MESSAGE_KEY": "message",
    "RATELIMIT_HEADERS_ENABLED": True,
}
