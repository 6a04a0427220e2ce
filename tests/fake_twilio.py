"""A fake Twilio REST API on 127.0.0.1 for the real `twilio` SDK to talk to.

Every request is validated against Twilio's own OpenAPI description (the trimmed copy in
tests/fixtures: Messages.json and Calls.json), plus the `x-twilio.conditional` rules generic
validators skip (From or MessagingServiceSid; Body, MediaUrl or ContentSid; a call's Url, Twiml
or ApplicationSid); so is every answer of the fake itself. Calls are accepted and kept with the
TwiML they would play; their progress (the Gather's digits, the final status) is what a test
then posts to the app's signed webhooks, as Twilio would.
It behaves like the real thing where that matters here: it answers after a latency (fixed, or
jittered), accepts a message before a slow answer (a client that times out has still sent it),
lists Messages by To and DateSent, and plays scripted faults per request, per number, or for
every request during an outage.
"""

import base64
import copy
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.wrappers import Request, Response

from tests import fake_twilio_calls as call_records
from tests import fake_twilio_messages as records
from tests.fake_twilio_http import KeepAliveServer

SPEC_FILE = Path(__file__).parent / "fixtures" / "twilio_openapi.json"
PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
CALLS_PATH = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass
class Fault:
    """An answer other than a prompt success. With status < 400 the message is accepted and the
    answer comes `delay` seconds later (past the client's timeout: a timeout that still sent);
    with an error status nothing is accepted and the error comes after `delay`."""

    status: int
    code: int | None = None
    delay: float = 0.0
    headers: dict = field(default_factory=dict)  # e.g. {"Retry-After": "2"}


class FakeTwilio:
    def __init__(
        self,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        port=0,
        validate=True,
        latency=0.0,
        jitter=0.0,
    ):
        self.account_sid, self.auth_token, self.validate = account_sid, auth_token, validate
        self.latency, self.jitter = latency, jitter  # seconds, both ways together
        self.lock = threading.Lock()
        self.received: list[dict] = []  # every accepted message, in arrival order
        self.calls: list[dict] = []  # every call placed (its form, with the Twiml), in order
        self.call_script: list[Fault] = []  # faults for the next call creations
        self.errors: list[str] = []  # every request that Twilio would have refused
        self.requests: list[dict] = []  # every request: when, method, To, status answered
        self.script: list[Fault] = []  # faults for the next message creations, in order
        self.by_number: dict[str, Fault] = {}  # a fault for every message to a number
        # While set, every request gets this answer (status < 400: a slow Twilio that still
        # accepts each message, answering `delay` seconds late).
        self.outage: Fault | None = None
        self.active = self.peak = 0  # requests being answered now, and the most at once
        self.ports: set[str] = set()  # client ports seen: one per connection
        self.server = KeepAliveServer(port, self.respond)
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
        self.call_properties = set(
            spec["paths"][CALLS_PATH]["post"]["requestBody"]["content"][
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
        self.server.server_close()
        self.thread.join()

    # -- what the tests look at ------------------------------------------------------------
    def bodies_to(self, number: str) -> list[str]:
        with self.lock:
            return [m["Body"] for m in self.received if m["To"] == number]

    def calls_to(self, number: str) -> list[dict]:
        with self.lock:
            return [c for c in self.calls if c["To"] == number]

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return True
            time.sleep(0.02)
        return False

    # -- the HTTP side -----------------------------------------------------------------------
    def respond(self, request: Request) -> Response:
        seen = {"at": time.time(), "method": request.method, "to": request.values.get("To")}
        with self.lock:
            self.requests.append(seen)  # in arrival order; the status once answered
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.ports.add(request.environ.get("REMOTE_PORT"))
        try:
            response = self.handle(request)
        finally:
            with self.lock:
                self.active -= 1
        seen["status"] = response.status_code
        return response

    def _refuse(self, status, code, message):
        with self.lock:
            self.errors.append(f"{code}: {message}")
        return self._error(status, code, message)

    def _error(self, status, code, message, headers=None):
        body = {
            "code": code,
            "message": message,
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        }
        return Response(
            json.dumps(body), status=status, content_type="application/json", headers=headers
        )

    def _authorised(self, request) -> bool:
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        return request.headers.get("Authorization") == expected

    def _invalid(self, request) -> Response | None:
        try:
            if self.validate:
                self.openapi.validate_request(WerkzeugOpenAPIRequest(request))
        except Exception as exc:  # any validation error is a refusal Twilio would make
            return self._refuse(400, 21601, f"invalid request: {exc}")
        return None

    def _check_create(self, request) -> Response | None:
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

    def _wait(self, share: float) -> None:
        """`share` of a latency drawn from [latency - jitter, latency + jitter]."""
        if self.latency or self.jitter:
            spread = random.uniform(-self.jitter, self.jitter)
            time.sleep(max(0.0, (self.latency + spread) * share))

    def handle(self, request) -> Response:
        if request.method == "GET" and request.path == "/_received":  # for benchmarks
            with self.lock:
                return Response(json.dumps(self.received), content_type="application/json")
        calls = request.path == f"/2010-04-01/Accounts/{self.account_sid}/Calls.json"
        if not calls and not re.fullmatch(
            rf"/2010-04-01/Accounts/{self.account_sid}/Messages\.json", request.path
        ):
            return self._refuse(404, 20404, "The requested resource was not found")
        if request.method not in ("GET", "POST"):
            return self._refuse(405, 20004, "Method not allowed")
        if not self._authorised(request):
            return self._refuse(401, 20003, "Authenticate")
        refused = self._invalid(request)
        if refused is not None:
            return refused
        self._wait(0.5)  # the request's way in
        outage = self.outage
        if outage is not None and outage.status >= 400:
            time.sleep(outage.delay)
            return self._error(outage.status, outage.code, "outage", outage.headers)
        if calls and request.method == "POST":
            response = self._create_call(request)
        elif calls:
            return self._refuse(405, 20004, "Listing calls is not faked")
        else:
            response = self._create(request) if request.method == "POST" else self._list(request)
        if outage is not None:
            time.sleep(outage.delay)
        self._wait(0.5)  # the answer's way back
        return self._checked(request, response)

    def _create(self, request) -> Response:
        refused = self._check_create(request)
        if refused is not None:
            return refused
        with self.lock:
            fault = self.script.pop(0) if self.script else self.by_number.get(request.form["To"])
        if fault is not None and fault.status >= 400:
            time.sleep(fault.delay)
            return self._error(fault.status, fault.code, "scripted fault", fault.headers)
        message = records.accept(request.form)
        with self.lock:
            self.received.append(message)  # accepted before any slow answer, like Twilio
        if fault is not None:
            time.sleep(fault.delay)
        body = records.resource(self.account_sid, message, status="queued")
        return Response(json.dumps(body), status=201, content_type="application/json")

    def _create_call(self, request) -> Response:
        form = request.form
        unknown = set(form) - self.call_properties
        if unknown:
            return self._refuse(400, 21601, f"unknown parameters {sorted(unknown)}")
        if not E164.match(form["To"]):
            return self._refuse(400, 21211, "Invalid 'To' Phone Number")
        refused = call_records.problem(form)
        if refused is not None:
            return self._refuse(400, *refused)
        with self.lock:
            fault = self.call_script.pop(0) if self.call_script else self.by_number.get(form["To"])
        if fault is not None and fault.status >= 400:
            return self._error(fault.status, fault.code, "scripted fault", fault.headers)
        call = call_records.accept(form)
        with self.lock:
            self.calls.append(call)
        body = call_records.resource(self.account_sid, call)
        return Response(json.dumps(body), status=201, content_type="application/json")

    def _list(self, request) -> Response:
        with self.lock:
            received = list(self.received)
        body = records.listing(self.account_sid, received, request.args, request.path)
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _checked(self, request, response: Response) -> Response:
        """The fake's own answers must be what Twilio's description says Twilio answers."""
        if self.validate and response.status_code < 400:
            try:
                self.openapi.validate_response(
                    WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
                )
            except Exception as exc:
                with self.lock:
                    self.errors.append(f"fake answered off-spec: {exc}")
        return response


if __name__ == "__main__":  # a fake Twilio in its own process (benchmarks)
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="answer after this long")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="latency +/- up to this")
    args = parser.parse_args()
    fake = FakeTwilio(
        port=args.port,
        validate=not args.no_validate,
        latency=args.latency_ms / 1000,
        jitter=args.jitter_ms / 1000,
    )
    print(f"fake Twilio on {fake.base_url}", flush=True)
    fake.server.serve_forever()
