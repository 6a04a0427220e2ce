"""Push through Firebase Cloud Messaging HTTP v1 (Android, and iOS through FCM's APNs relay):
Google's auth library for the service account's OAuth token (cached and refreshed by it), and the
documented REST call `POST {base}/v1/projects/{project}/messages:send`. A console gateway logs
pushes when FCM is not configured."""

import logging
import uuid
from dataclasses import dataclass

import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from requests.adapters import HTTPAdapter

from messages.gateways import (
    PermanentError,
    Throttled,
    TransientError,
    retry_after_seconds,
    transport_error,
)
from messages.outcomes import INVALID_TOKEN  # the device is pruned

log = logging.getLogger(__name__)
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_BASE_URL = "https://fcm.googleapis.com"


class InvalidToken(PermanentError):
    """The app was uninstalled or its token rotated: never send to this token again."""


def message_body(token: str, title: str, data: dict[str, str]) -> dict:
    """The HTTP v1 `Message`: a visible title only (no PHI) and the opaque id as data; high
    priority on Android, alert priority and a sound on iOS."""
    return {
        "message": {
            "token": token,
            "notification": {"title": title},
            "data": data,
            "android": {"priority": "high"},
            "apns": {
                "headers": {"apns-priority": "10", "apns-push-type": "alert"},
                "payload": {"aps": {"sound": "default"}},
            },
        }
    }


class ConsolePush:
    """The embedded default: logs each push (the outbox row stores it)."""

    def send(self, *, token: str, title: str, data: dict[str, str]) -> str:
        name = f"projects/console/messages/{uuid.uuid4().hex}"
        log.warning("console push %s to device ...%s: %s %s", name, token[-6:], title, data)
        return name


@dataclass
class FcmGateway:
    project_id: str
    credentials_file: str  # the service account's JSON key (GOOGLE_APPLICATION_CREDENTIALS)
    base_url: str = FCM_BASE_URL  # tests point it at a fake FCM
    timeout: float = 10.0
    pool_size: int = 32

    def __post_init__(self):
        credentials = service_account.Credentials.from_service_account_file(
            self.credentials_file, scopes=[SCOPE]
        )
        self.session = AuthorizedSession(credentials)  # caches the token, refreshes on 401
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.pool_size, max_retries=0)
        for prefix in ("https://", "http://"):
            self.session.mount(prefix, adapter)
        self.url = f"{self.base_url.rstrip('/')}/v1/projects/{self.project_id}/messages:send"

    def send(self, *, token: str, title: str, data: dict[str, str]) -> str:
        try:
            response = self.session.post(
                self.url, json=message_body(token, title, data), timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise transport_error(exc) from exc
        except GoogleAuthError as exc:  # the token exchange failed: our credentials or Google
            raise TransientError(f"oauth: {type(exc).__name__}", "oauth") from exc
        if response.status_code == 200:
            return response.json()["name"]
        raise classify(response)


def fcm_error_code(response) -> str | None:
    """The FcmError `errorCode` of an error answer, else its canonical `status`."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    for detail in error.get("details") or ():
        if str(detail.get("@type", "")).endswith("google.firebase.fcm.v1.FcmError"):
            return detail.get("errorCode")
    return error.get("status")


def classify(response):
    """FCM's documented errors: UNREGISTERED/NOT_FOUND prune the token; QUOTA_EXCEEDED (429)
    slows down; UNAVAILABLE/INTERNAL (5xx) and our credentials (401) retry; the rest are
    permanent (INVALID_ARGUMENT, SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR)."""
    status, code = response.status_code, fcm_error_code(response)
    text = f"FCM HTTP {status}"
    if code in INVALID_TOKEN:
        return InvalidToken(text, code)
    if status == 429 or code == "QUOTA_EXCEEDED":
        return Throttled(
            text, code or "429", retry_after_seconds(response.headers.get("Retry-After"))
        )
    if status >= 500 or status == 401:
        return TransientError(text, code or str(status))
    return PermanentError(text, code or str(status))
