"""A fake Firebase Cloud Messaging HTTP v1 endpoint and its OAuth 2.0 token exchange, on
127.0.0.1, for the real google-auth library and our REST client to talk to.

It checks what Google documents: the token exchange is a JWT-bearer grant
(`urn:ietf:params:oauth:grant-type:jwt-bearer`), posted to the key's `token_uri`, whose
assertion is signed RS256 by the service account's key, issued by its `client_email`, for the
audience `https://oauth2.googleapis.com/token` and the `firebase.messaging` scope, living at most
an hour; `messages:send` needs that bearer token and a JSON body
`{"message": Message}` (exactly one target of token/topic/condition, `data` a map of strings
without reserved keys, `notification` title/body/image, known `android` and `apns` fields with
their types). It answers errors in Google's shape (`error.code/message/status` and an FcmError
detail with `errorCode`), per token or scripted, e.g. 404 UNREGISTERED for a dead token.
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import _regional_access_boundary_utils as rab
from google.auth import jwt
from werkzeug.wrappers import Request, Response

from tests.fake_twilio_http import KeepAliveServer

PROJECT = "care-team-push-test"
CLIENT_EMAIL = f"push-sender@{PROJECT}.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The assertion's audience Google documents for service accounts, wherever it is posted.
AUDIENCE = "https://oauth2.googleapis.com/token"
MESSAGE_KEYS = {"name", "data", "notification", "android", "webpush", "apns", "fcm_options"}
TARGETS = {"token", "topic", "condition"}
NOTIFICATION_KEYS = {"title", "body", "image"}
ANDROID_KEYS = {
    "collapse_key",
    "priority",
    "ttl",
    "restricted_package_name",
    "data",
    "notification",
    "fcm_options",
    "direct_boot_ok",
}
APNS_KEYS = {"headers", "payload", "fcm_options", "live_activity_token"}
RESERVED_DATA = {"from", "notification", "message_type"}
STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

_KEY = None


def _private_key_pem() -> str:
    global _KEY
    if _KEY is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _KEY = key
    return _KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_key_pem() -> str:
    _private_key_pem()
    return (
        _KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class FcmFault:
    """An error answer: HTTP status and FCM errorCode (e.g. 404 UNREGISTERED)."""

    status: int
    error_code: str | None = None
    headers: dict = field(default_factory=dict)


class FakeFcm:
    def __init__(self, project=PROJECT):
        self.project = project
        self.lock = threading.Lock()
        self.received: list[dict] = []  # every accepted message, in arrival order
        self.errors: list[str] = []  # every request Google would have refused as malformed
        self.tokens_issued: list[str] = []
        self.dead_tokens: set[str] = set()  # answered 404 UNREGISTERED
        self.script: list[FcmFault] = []  # faults for the next sends
        self.server = KeepAliveServer(0, self.respond)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.token_uri = f"{self.base_url}/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        # google-auth looks up the service account's Regional Access Boundary at Google's IAM
        # credentials API after a token exchange (in the background): that lookup comes here.
        self._rab = rab.get_service_account_rab_endpoint
        rab.get_service_account_rab_endpoint = lambda email: (
            f"{self.base_url}/v1/projects/-/serviceAccounts/{email}/allowedLocations"
        )
        self.thread.start()
        return self

    def __exit__(self, *exc):
        rab.get_service_account_rab_endpoint = self._rab
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def credentials(self, path) -> str:
        """Write a service account key whose token_uri is this fake; return its path."""
        info = {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": "fake-key-1",
            "private_key": _private_key_pem(),
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "token_uri": self.token_uri,
        }
        path.write_text(json.dumps(info))
        return str(path)

    def sent_to(self, token: str) -> list[dict]:
        with self.lock:
            return [m for m in self.received if m.get("token") == token]

    # -- the HTTP side -----------------------------------------------------------------------
    def respond(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/token":
            return self._token(request)
        if request.method == "GET" and request.path.endswith("/allowedLocations"):
            body = {"locations": ["us-central1"], "encodedLocations": "0x1"}
            return Response(json.dumps(body), content_type="application/json")
        if (
            request.method == "POST"
            and request.path == f"/v1/projects/{self.project}/messages:send"
        ):
            return self._send(request)
        return self._error(404, None, f"Not found: {request.method} {request.path}", refuse=True)

    def _error(self, status, error_code, message, *, refuse=False, headers=None):
        if refuse:
            with self.lock:
                self.errors.append(f"{status}: {message}")
        error = {"code": status, "message": message, "status": STATUS_TEXT.get(status, "UNKNOWN")}
        if error_code:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": error_code,
                }
            ]
        return Response(
            json.dumps({"error": error}),
            status=status,
            content_type="application/json",
            headers=headers,
        )

    def _token(self, request) -> Response:
        form = request.form
        if form.get("grant_type") != GRANT or not form.get("assertion"):
            return self._oauth_error("unsupported_grant_type")
        try:
            claims = jwt.decode(
                form["assertion"], certs={"fake-key-1": _public_key_pem()}, audience=AUDIENCE
            )
        except Exception as exc:  # a bad signature, audience or expiry: Google's invalid_grant
            return self._oauth_error(f"invalid_grant: {exc}")
        if claims.get("iss") != CLIENT_EMAIL or SCOPE not in claims.get("scope", "").split():
            return self._oauth_error("invalid_scope")
        if not claims.get("iat") or claims.get("exp", 0) - claims["iat"] > 3600:
            return self._oauth_error("invalid_grant: lifetime")
        access = "ya29.fake-" + uuid.uuid4().hex
        with self.lock:
            self.tokens_issued.append(access)
        body = {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}
        return Response(json.dumps(body), content_type="application/json")

    def _oauth_error(self, text):
        with self.lock:
            self.errors.append(f"oauth: {text}")
        body = {"error": text.split(":")[0], "error_description": text}
        return Response(json.dumps(body), status=400, content_type="application/json")

    def _send(self, request) -> Response:
        bearer = request.headers.get("Authorization", "")
        with self.lock:
            known = bearer.removeprefix("Bearer ") in self.tokens_issued
        if not bearer.startswith("Bearer ") or not known:
            return self._error(
                401, None, "Request had invalid authentication credentials.", refuse=True
            )
        if not request.content_type or not request.content_type.startswith("application/json"):
            return self._error(400, "INVALID_ARGUMENT", "Content-Type must be JSON", refuse=True)
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return self._error(400, "INVALID_ARGUMENT", "Invalid JSON payload", refuse=True)
        problem = check_send(body)
        if problem:
            return self._error(400, "INVALID_ARGUMENT", problem, refuse=True)
        message = body["message"]
        with self.lock:
            fault = self.script.pop(0) if self.script else None
            if fault is None and message.get("token") in self.dead_tokens:
                fault = FcmFault(404, "UNREGISTERED")
        if fault is not None:
            return self._error(
                fault.status, fault.error_code, "scripted fault", headers=fault.headers
            )
        name = (
            f"projects/{self.project}/messages/0:{int(time.time() * 1000)}%{uuid.uuid4().hex[:16]}"
        )
        with self.lock:
            self.received.append(message | {"name": name})
        return Response(json.dumps({"name": name}), content_type="application/json")


def _strings(value) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def check_send(body) -> str | None:
    """What the HTTP v1 reference says a `messages.send` body is; None when it is that."""
    if not isinstance(body, dict) or set(body) - {"message", "validate_only"}:
        return 'The body is {"message": ..., "validate_only"?}'
    message = body.get("message")
    if not isinstance(message, dict):
        return "message is required"
    unknown = set(message) - MESSAGE_KEYS - TARGETS
    if unknown:
        return f"Invalid JSON payload received. Unknown name {sorted(unknown)}"
    targets = [t for t in TARGETS if t in message]
    if len(targets) != 1 or not isinstance(message[targets[0]], str) or not message[targets[0]]:
        return "exactly one of token, topic, condition"
    data = message.get("data", {})
    if not _strings(data):
        return "data values must be strings"
    for key in data:
        if key in RESERVED_DATA or key.startswith(("google", "gcm")):
            return f"data key {key!r} is reserved"
    notification = message.get("notification", {})
    if not isinstance(notification, dict) or set(notification) - NOTIFICATION_KEYS:
        return "notification: title, body, image"
    if not all(isinstance(v, str) for v in notification.values()):
        return "notification fields are strings"
    android = message.get("android", {})
    if not isinstance(android, dict) or set(android) - ANDROID_KEYS:
        return "android: unknown field"
    if "priority" in android and str(android["priority"]).upper() not in ("NORMAL", "HIGH"):
        return "android.priority: NORMAL or HIGH"
    apns = message.get("apns", {})
    if not isinstance(apns, dict) or set(apns) - APNS_KEYS:
        return "apns: unknown field"
    if "headers" in apns and not _strings(apns["headers"]):
        return "apns.headers values must be strings"
    if "payload" in apns and not isinstance(apns["payload"].get("aps"), dict):
        return "apns.payload needs an aps dictionary"
    return None
