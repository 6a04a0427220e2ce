"""The fake Twilio's Call resources: what it stores on accepting one (the form, with the TwiML
the call would play), and the resource it answers with, as Twilio's description has it."""

import time
import uuid
from email.utils import formatdate

# A Twilio <Say> may speak 4,096 characters; the Twiml parameter takes 4,000.
MAX_TWIML = 4000


def accept(form) -> dict:
    return dict(form) | {"sid": f"CA{uuid.uuid4().hex}", "received_at": time.time()}


def problem(form) -> tuple[int, str] | None:
    """The `x-twilio.conditional` rule (Url, Twiml or ApplicationSid) and the limits Twilio
    enforces beyond the schema: (error code, message), or None."""
    given = [name for name in ("Url", "Twiml", "ApplicationSid") if form.get(name)]
    if len(given) != 1:
        return 21205, "Exactly one of Url, Twiml or ApplicationSid is required"
    if len(form.get("Twiml", "")) > MAX_TWIML:
        return 21219, "Twiml exceeds 4000 characters"
    if form.get("Twiml") and not form["Twiml"].lstrip().startswith(("<?xml", "<Response")):
        return 12100, "Document parse failure"
    return None


def resource(account_sid: str, call: dict, *, status: str = "queued") -> dict:
    created = formatdate(call["received_at"], usegmt=True)
    return {
        "sid": call["sid"],
        "date_created": created,
        "date_updated": created,
        "parent_call_sid": None,
        "account_sid": account_sid,
        "to": call["To"],
        "to_formatted": call["To"],
        "from": call["From"],
        "from_formatted": call["From"],
        "phone_number_sid": None,
        "status": status,
        "start_time": None,
        "end_time": None,
        "duration": None,
        "price": None,
        "price_unit": "USD",
        "direction": "outbound-api",
        "answered_by": None,
        "api_version": "2010-04-01",
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{call['sid']}.json",
        "subresource_uris": {},
    }
