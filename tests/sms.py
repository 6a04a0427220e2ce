"""Helpers for SMS tests: app settings that point the real Twilio SDK at the fake, a dispatcher
run with an injected clock, and signed webhook calls."""

from datetime import datetime

from twilio.request_validator import RequestValidator

from messages import dispatch
from messages.gateways import gateway_from_config
from messages.outbox import OutboxPolicy
from models import db
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

PUBLIC = "https://care.example.org"
FROM = "+15005550006"


def twilio_config(fake, **extra) -> dict:
    return {
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_MESSAGING_SERVICE_SID": None,
        "TWILIO_API_BASE_URL": fake.base_url,
        "TWILIO_HTTP_TIMEOUT": 1.0,
        "PUBLIC_BASE_URL": PUBLIC,
        "OUTBOX_BACKOFF_BASE_SECONDS": 5,
    } | extra


def run_dispatch(app, now: datetime, worker_id="test-worker", **overrides):
    config = app.config
    return dispatch.dispatch_batch(
        db.session,
        gateway_from_config(config),
        now_fn=lambda: now,
        worker_id=worker_id,
        policy=OutboxPolicy.from_config(config),
        batch_size=overrides.get("batch_size", 50),
        status_callback=f"{config['PUBLIC_BASE_URL']}/webhooks/twilio/status",
        send_timeout=config["TWILIO_HTTP_TIMEOUT"],
    )


def signed_post(client, path, form, *, token=AUTH_TOKEN, url_base=PUBLIC, headers=None):
    signature = RequestValidator(token).compute_signature(url_base + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature} | (headers or {}))
