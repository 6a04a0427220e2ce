"""Helpers for SMS tests: app settings that point the real Twilio SDK at the fake, a dispatcher
run with an injected clock, and signed webhook calls."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from twilio.request_validator import RequestValidator

from messages import dispatch
from messages.gateways import gateway_from_config
from messages.policy import DispatchSettings, OutboxPolicy
from messages.throttle import Throttle
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


def run_dispatch(
    app,
    now: datetime | Callable[[], datetime],
    worker_id="test-worker",
    gateway=None,
    stop=None,
    **settings,
):
    """One claim's worth of dispatching, as the worker does it, with the clock at `now`.
    `settings` override DispatchSettings (batch_size, concurrency, commit_every)."""
    config = app.config
    chosen = replace(DispatchSettings.from_config(config), **settings)
    now_fn = now if callable(now) else (lambda: now)
    with ThreadPoolExecutor(chosen.concurrency) as pool:
        return dispatch.Dispatcher(
            db.session,
            gateway or gateway_from_config(config),
            pool,
            now_fn=now_fn,
            worker_id=worker_id,
            policy=OutboxPolicy.from_config(config),
            settings=chosen,
            throttle=Throttle(concurrency=chosen.concurrency, max_mps=config["TWILIO_MAX_MPS"]),
            stop=stop,
        ).drain(refill=False)


def signed_post(client, path, form, *, token=AUTH_TOKEN, url_base=PUBLIC, headers=None):
    signature = RequestValidator(token).compute_signature(url_base + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature} | (headers or {}))
