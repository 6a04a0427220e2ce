"""A fake Twilio REST API on 127.0.0.1 for the real `twilio` SDK to talk to.

Every request is validated against Twilio's own OpenAPI description (the trimmed copy in
tests/fixtures), plus the `x-twilio.conditional` rules generic validators skip (From or
MessagingServiceSid; Body, MediaUrl or ContentSid). Faults are scripted per request or per number.
"""

import base64
import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

SPEC_FILE = Path(__file__).parent / "fixtures" / "twilio_messages_openapi.json"
PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@dataclass
class Fault:
    status: int
    code: int | None = None
    delay: float = 0.0  # seconds to stall before answering (a timeout when > client timeout)


class FakeTwilio:
    def __init__(self, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, port=0, validate=True):
        self.account_sid, self.auth_token, self.validate = account_sid, auth_token, validate
        self.lock = threading.Lock()
        self.received: list[dict] = []  # every accepted message, in arrival order
        self.errors: list[str] = []  # every request that Twilio would have refused
        self.script: list[Fault] = []  # faults for the next requests, in order
        self.by_number: dict[str, Fault] = {}  # a fault for every message to a number
        self.server = make_server("127.0.0.1", port, self, threaded=True, request_handler=_Quiet)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        spec = json.loads(SPEC_FILE.read_text())
        spec["servers"] = [{"url": self.base_url}]
        for item in spec["paths"].values():
            item.pop("servers", None)
        self.properties = set(
            spec["paths"][PATH]["post"]["requestBody"]["content"][
                "application/x-www-form-urlencoded"
            ]["schema"]["properties"]
        )
        self.openapi = OpenAPI.from_dict(copy.deepcopy(spec))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join()

    # -- what the tests look at ------------------------------------------------------------
    def bodies_to(self, number: str) -> list[str]:
        with self.lock:
            return [m["Body"] for m in self.received if m["To"] == number]

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return True
            time.sleep(0.02)
        return False

    # -- the HTTP side -----------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def _refuse(self, status, code, message):
        with self.lock:
            self.errors.append(f"{code}: {message}")
        return self._error(status, code, message)

    def _error(self, status, code, message):
        body = {
            "code": code,
            "message": message,
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        }
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _check(self, request) -> Response | None:
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        if request.headers.get("Authorization") != expected:
            return self._refuse(401, 20003, "Authenticate")
        try:
            if self.validate:
                self.openapi.validate_request(WerkzeugOpenAPIRequest(request))
        except Exception as exc:  # any validation error is a refusal Twilio would make
            return self._refuse(400, 21601, f"invalid request: {exc}")
        form = request.form
        unknown = set(form) - self.properties
        if unknown:
            return self._refuse(400, 21601, f"unknown parameters {sorted(unknown)}")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._refuse(400, 21603, "A 'From' or 'MessagingServiceSid' is required")
        if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            return self._refuse(400, 21602, "Message body is required")
        if not E164.match(form["To"]):
            return self._refuse(400, 21211, "Invalid 'To' Phone Number")
        if len(form.get("Body", "")) > 1600:
            return self._refuse(400, 21617, "Body exceeds 1600 characters")
        return None

    def handle(self, request) -> Response:
        if request.method == "GET" and request.path == "/_received":  # for benchmarks
            with self.lock:
                return Response(json.dumps(self.received), content_type="application/json")
        if request.method != "POST" or not re.fullmatch(
            rf"/2010-04-01/Accounts/{self.account_sid}/Messages\.json", request.path
        ):
            return self._refuse(404, 20404, "The requested resource was not found")
        refused = self._check(request)
        if refused is not None:
            return refused
        with self.lock:
            fault = self.script.pop(0) if self.script else self.by_number.get(request.form["To"])
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status >= 400:
                return self._error(fault.status, fault.code, "scripted fault")
        sid = f"SM{uuid.uuid4().hex}"
        message = dict(request.form) | {"sid": sid, "received_at": time.time()}
        with self.lock:
            self.received.append(message)
        body = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "sid": sid,
            "to": message["To"],
            "from": message.get("From"),
            "body": message.get("Body"),
            "messaging_service_sid": message.get("MessagingServiceSid"),
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": "0",
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "date_created": None,
            "date_sent": None,
            "date_updated": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {},
        }
        return Response(json.dumps(body), status=201, content_type="application/json")


if __name__ == "__main__":  # a fake Twilio in its own process (benchmarks)
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-validate", action="store_true")
    args = parser.parse_args()
    fake = FakeTwilio(port=args.port, validate=not args.no_validate)
    print(f"fake Twilio on {fake.base_url}", flush=True)
    fake.server.serve_forever()
