"""The fake Twilio's Message resources: what it stores on accepting one, the resource it
answers with, and the list of them filtered like Twilio's (To, From, DateSent as GMT days,
newest first, paged)."""

import time
import uuid
from email.utils import formatdate
from urllib.parse import urlencode


def accept(form) -> dict:
    return dict(form) | {"sid": f"SM{uuid.uuid4().hex}", "received_at": time.time()}


def _rfc2822(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def resource(account_sid: str, message: dict, *, status: str) -> dict:
    sent = status != "queued"
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "sid": message["sid"],
        "to": message["To"],
        "from": message.get("From"),
        "body": message.get("Body"),
        "messaging_service_sid": message.get("MessagingServiceSid"),
        "status": status,
        "direction": "outbound-api",
        "num_segments": "1",
        "num_media": "0",
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "date_created": _rfc2822(message["received_at"]),
        "date_sent": _rfc2822(message["received_at"]) if sent else None,
        "date_updated": _rfc2822(message["received_at"]),
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{message['sid']}.json",
        "subresource_uris": {},
    }


def _day(value: str) -> str:
    return value[:10]  # Twilio filters DateSent by GMT date; the SDK sends an ISO instant


def _matches(message: dict, args) -> bool:
    day = time.strftime("%Y-%m-%d", time.gmtime(message["received_at"]))
    checks = [
        ("To", lambda v: message["To"] == v),
        ("From", lambda v: message.get("From") == v),
        ("DateSent", lambda v: day == _day(v)),
        ("DateSent>", lambda v: day >= _day(v)),
        ("DateSent<", lambda v: day <= _day(v)),
    ]
    return all(check(args[name]) for name, check in checks if args.get(name))


def listing(account_sid: str, received: list[dict], args, path: str) -> dict:
    """One page of the accepted messages (sent at once here), newest first."""
    chosen = sorted(
        (m for m in received if _matches(m, args)), key=lambda m: m["received_at"], reverse=True
    )
    size, page = int(args.get("PageSize") or 50), int(args.get("Page") or 0)
    rows = chosen[page * size : (page + 1) * size]
    filters = {
        k: args[k] for k in ("To", "From", "DateSent", "DateSent>", "DateSent<") if k in args
    }

    def uri(n):
        return f"{path}?{urlencode(filters | {'PageSize': size, 'Page': n})}"

    more = (page + 1) * size < len(chosen)
    return {
        "messages": [resource(account_sid, m, status="sent") for m in rows],
        "end": page * size + max(len(rows) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1) + f"&PageToken=PT{page + 1}" if more else None,
        "page": page,
        "page_size": size,
        "previous_page_uri": uri(page - 1) if page else None,
        "start": page * size,
        "uri": uri(page),
    }
