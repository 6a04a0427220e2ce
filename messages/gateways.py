"""The seam between the outbox and an SMS provider: Twilio, or the console (the default)."""

import logging
import uuid
from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)
# Twilio's HTTP client logs request bodies at INFO: keep numbers and texts out of the logs.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

# Twilio error codes that no retry can fix (clinical escalations move to the next person).
PERMANENT_CODES = {21211, 21408, 21610, 21614}


class SendError(Exception):
    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class TransientError(SendError):
    """Worth retrying: rate limits, 5xx, timeouts, connection resets, our credentials."""


class PermanentError(SendError):
    """Retrying cannot help: bad or unsubscribed number, region not enabled..."""


class ConsoleGateway:
    """The embedded default: logs each message (the outbox row stores it)."""

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> str:
        sid = "SM" + uuid.uuid4().hex
        # The number is masked like any number in the logs; the text is minimum-PHI by design.
        log.warning("console SMS %s to %s: %s", sid, to, body)
        return sid


@dataclass
class TwilioGateway:
    account_sid: str
    auth_token: str
    from_number: str | None = None
    messaging_service_sid: str | None = None
    timeout: float = 10.0
    api_base_url: str | None = None  # tests point the real SDK at a fake Twilio

    def __post_init__(self):
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("Twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        http = TwilioHttpClient(timeout=self.timeout, pool_connections=True)
        self.client = Client(self.account_sid, self.auth_token, http_client=http)
        if self.api_base_url:
            self.client.api.base_url = self.api_base_url

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> str:
        sender = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number}
        )
        kwargs = {"to": to, "body": body, **sender}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            return self.client.messages.create(**kwargs).sid
        except TwilioRestException as exc:
            raise classify(exc.status, exc.code) from exc
        except (requests.RequestException, TwilioException) as exc:
            raise TransientError(type(exc).__name__) from exc


def classify(status: int, code: int | None) -> SendError:
    """Map a Twilio REST error to what the outbox should do with the message."""
    text = f"HTTP {status}"
    if code in PERMANENT_CODES:
        return PermanentError(text, str(code))
    if status == 429 or status >= 500 or status in (401, 403) or code == 20429:
        return TransientError(text, str(code) if code else str(status))
    return PermanentError(text, str(code) if code else str(status))


def gateway_from_config(config: dict):
    if config["SMS_GATEWAY"] == "console":
        return ConsoleGateway()
    if config["SMS_GATEWAY"] == "twilio":
        return TwilioGateway(
            account_sid=config["TWILIO_ACCOUNT_SID"],
            auth_token=config["TWILIO_AUTH_TOKEN"],
            from_number=config["TWILIO_FROM_NUMBER"],
            messaging_service_sid=config["TWILIO_MESSAGING_SERVICE_SID"],
            timeout=config["TWILIO_HTTP_TIMEOUT"],
            api_base_url=config["TWILIO_API_BASE_URL"],
        )
    raise ValueError(f"unknown SMS_GATEWAY {config['SMS_GATEWAY']!r}")
