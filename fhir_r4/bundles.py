"""Bundles (searchset, with paging links) and OperationOutcomes."""

import uuid
from datetime import datetime
from urllib.parse import urlencode

from fhir_r4.common import instant

ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    413: "too-long",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


def searchset(query, total: int, resources: list[dict], base: str, now: datetime) -> dict:
    url = f"{base}/fhir/R4/{query.resource_type}"

    def link(relation: str, offset: int) -> dict:
        pairs = [*query.pairs, ("_count", query.count), ("_offset", offset)]
        return {"relation": relation, "url": f"{url}?{urlencode(pairs)}"}

    links = [link("self", query.offset)]
    if query.count and query.offset + query.count < total:
        links.append(link("next", query.offset + query.count))
    if query.count and query.offset > 0:
        links.append(link("previous", max(0, query.offset - query.count)))
    return {
        "resourceType": "Bundle",
        "id": uuid.uuid4().hex,
        "meta": {"lastUpdated": instant(now)},
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/fhir/R4/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def outcome(status: int, message: str, errors: dict | None = None) -> dict:
    """An OperationOutcome: the message, then one issue per field error (its expression)."""
    code = ISSUE_CODES.get(status, "exception" if status >= 500 else "processing")
    issues = [{"severity": "error", "code": code, "diagnostics": message}]
    for name, messages in (errors or {}).items():
        for text in messages if isinstance(messages, list) else [messages]:
            if str(text) == message and "expression" not in issues[0]:
                issues[0]["expression"] = [name]  # the message is this field's
                continue
            issues.append(
                {"severity": "error", "code": code, "diagnostics": str(text), "expression": [name]}
            )
    return {"resourceType": "OperationOutcome", "issue": issues}


def information(message: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational", "diagnostics": message}],
    }
