"""The API's side of auditing: each request begins a call of the core (access.context) with its
request id; `audit()` records in the request's transaction (access.audit)."""

import re
import uuid

from flask import g, request

from access import context
from access.audit import CALLER, record
from models import AuditEvent, db

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def assign_request_id() -> None:
    """Use the caller's X-Request-ID when it is sane, else make one; begin the core's call."""
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
    context.begin(g.request_id)


def audit(action: str, *, actor=CALLER, **fields) -> AuditEvent:
    """Add an audit event for this request; the caller (the signed-in subject) by default."""
    return record(db.session, action, actor=actor, **fields)
