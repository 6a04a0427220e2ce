"""The seam between the outbox and an SMS provider: Twilio, or the console (the default)."""

import logging
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

log = logging.getLogger(__name__)
# Twilio's HTTP client logs request bodies at INFO: keep numbers and texts out of the logs.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

# Twilio error codes that no retry can fix (clinical escalations move to the next person).
PERMANENT_CODES = {21211, 21408, 21610, 21614}
TRIAL_PREFIX = "Sent from your Twilio trial account - "
LOOKUP_SKEW = timedelta(minutes=2)  # our clock against Twilio's
LOOKUP_LIMIT = 1000  # records read at most per lookup, newest first, 100 a page


class SendError(Exception):
    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class TransientError(SendError):
    """Worth retrying: 5xx, timeouts, connection resets, our credentials."""


class Throttled(TransientError):
    """429 / 20429: too many requests at once. Slow down (for `retry_after` seconds when Twilio
    says); the message itself did nothing wrong."""

    def __init__(self, message: str, code: str | None = None, retry_after: float | None = None):
        super().__init__(message, code)
        self.retry_after = retry_after


class PermanentError(SendError):
    """Retrying cannot help: bad or unsubscribed number, region not enabled..."""


class ConsoleGateway:
    """The embedded default: logs each message (the outbox row stores it)."""

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> str:
        sid = "SM" + uuid.uuid4().hex
        # The number is masked like any number in the logs; the text is minimum-PHI by design.
        log.warning("console SMS %s to %s: %s", sid, to, body)
        return sid

    def find_sent(self, *, to: str, body: str, since: datetime) -> list[str]:
        return []  # the console never leaves an outcome unknown


class PooledHttpClient(TwilioHttpClient):
    """The SDK's requests-based client with a connection pool as large as the sends in flight
    (the SDK mounts min(32, cores + 4) for https and requests' 10 for http, and a full pool
    opens a new connection per request), remembering each thread's last response headers:
    the SDK's exceptions drop `Retry-After`."""

    def __init__(self, *, timeout: float, pool_size: int):
        super().__init__(pool_connections=True, timeout=timeout)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        for prefix in ("https://", "http://"):
            self.session.mount(prefix, adapter)
        self._last = threading.local()

    def request(self, *args, **kwargs):
        self._last.headers = {}
        response = super().request(*args, **kwargs)
        self._last.headers = response.headers
        return response

    def retry_after(self) -> float | None:
        return retry_after_seconds(getattr(self._last, "headers", {}).get("Retry-After"))


@dataclass
class TwilioGateway:
    account_sid: str
    auth_token: str
    from_number: str | None = None
    messaging_service_sid: str | None = None
    timeout: float = 10.0
    api_base_url: str | None = None  # tests point the real SDK at a fake Twilio
    pool_size: int = 32  # at least the sends in flight (OUTBOX_CONCURRENCY)

    def __post_init__(self):
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("Twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        self.http = PooledHttpClient(timeout=self.timeout, pool_size=self.pool_size)
        self.client = Client(self.account_sid, self.auth_token, http_client=self.http)
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
        with self._errors():
            return self.client.messages.create(**kwargs).sid

    def find_sent(self, *, to: str, body: str, since: datetime) -> list[str]:
        """SIDs, newest first, of messages Twilio accepted from us to `to` with this body since
        `since`: a send whose answer never came may have been accepted. Lists Messages by To and
        DateSent (a GMT day), reading newest first until older than `since`."""
        earliest = since - LOOKUP_SKEW
        day = datetime.combine(earliest.astimezone(UTC).date(), time(0), UTC)
        found = []
        with self._errors():
            for m in self.client.messages.stream(
                to=to, date_sent_after=day, page_size=100, limit=LOOKUP_LIMIT
            ):
                if (m.date_sent or m.date_created or earliest) < earliest:
                    break
                if self._ours(m) and m.body in (body, TRIAL_PREFIX + body):
                    found.append(m.sid)
        return found

    def _ours(self, m) -> bool:
        if not (m.direction or "").startswith("outbound"):
            return False
        if self.messaging_service_sid:
            return m.messaging_service_sid == self.messaging_service_sid
        return m.from_ == self.from_number

    def _errors(self):
        return _twilio_errors(self.http)


@contextmanager
def _twilio_errors(http: PooledHttpClient):
    """Map what the SDK raises to what the outbox should do with the message."""
    try:
        yield
    except TwilioRestException as exc:
        raise classify(exc.status, exc.code, http.retry_after()) from exc
    except requests.RequestException as exc:
        raise transport_error(exc) from exc
    except TwilioException as exc:
        raise TransientError(type(exc).__name__) from exc


def classify(status: int, code: int | None, retry_after: float | None = None) -> SendError:
    """Map a Twilio REST error to what the outbox should do with the message."""
    text = f"HTTP {status}"
    if code in PERMANENT_CODES:
        return PermanentError(text, str(code))
    if status == 429 or code == 20429:
        return Throttled(text, str(code or status), retry_after)
    if status >= 500 or status in (401, 403):
        return TransientError(text, str(code) if code else str(status))
    return PermanentError(text, str(code) if code else str(status))


def transport_error(exc: requests.RequestException) -> TransientError:
    """No HTTP answer. Whether Twilio got the request is unknown unless the connection was
    never made: those outcomes are coded `timeout` / `connection_lost` (looked up before any
    resend)."""
    if isinstance(exc, requests.ConnectTimeout):
        return TransientError("connect timeout", "connect_timeout")
    if isinstance(exc, requests.Timeout):
        return TransientError("no answer in time", "timeout")
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, NewConnectionError):
        return TransientError("connection refused")
    return TransientError(type(exc).__name__, "connection_lost")


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


@dataclass
class Gateways:
    """The provider of each channel: SMS, push, voice calls."""

    sms: object
    push: object
    call: object

    @classmethod
    def of(cls, gateway) -> "Gateways":
        """Gateways as given, or an SMS gateway with the console's push and calls."""
        if isinstance(gateway, cls):
            return gateway
        from messages.fcm import ConsolePush
        from messages.voice import ConsoleCall

        return cls(sms=gateway, push=ConsolePush(), call=ConsoleCall())


def gateways_from_config(config: dict) -> Gateways:
    """Twilio's SMS client also places the calls; FCM when its credentials are set; the
    console (logs) for whatever is not configured."""
    from messages.fcm import ConsolePush, FcmGateway
    from messages.voice import ConsoleCall, TwilioCalls

    sms = gateway_from_config(config)
    call = ConsoleCall()
    if isinstance(sms, TwilioGateway):
        call = TwilioCalls(sms, config["TWILIO_CALL_FROM_NUMBER"] or config["TWILIO_FROM_NUMBER"])
    push = ConsolePush()
    if config["GOOGLE_APPLICATION_CREDENTIALS"]:
        push = FcmGateway(
            project_id=config["FCM_PROJECT_ID"],
            credentials_file=config["GOOGLE_APPLICATION_CREDENTIALS"],
            base_url=config["FCM_API_BASE_URL"],
            timeout=config["FCM_HTTP_TIMEOUT"],
            pool_size=config["OUTBOX_CONCURRENCY"],
        )
    return Gateways(sms=sms, push=push, call=call)


def gateway_from_config(config: dict):
    """The SMS gateway."""
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
            pool_size=config["OUTBOX_CONCURRENCY"],
        )
    raise ValueError(f"unknown SMS_GATEWAY {config['SMS_GATEWAY']!r}")
