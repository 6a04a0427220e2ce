"""Idempotency-Key for the patient app's POSTs (phones on flaky networks retry).

The key is claimed in the request's own transaction, before the work, and committed with it:
a concurrent retry of the same key waits on the key's unique index until the first request
commits (it then replays the stored answer) or rolls back (it then does the work itself). A
request that fails leaves nothing behind, so its retry runs at once. A retry that would wait
longer than IDEMPOTENCY_WAIT_SECONDS gets 409 with Retry-After. The same key with another body
is 422.
"""

import hashlib
import json
import re
from datetime import datetime

from flask import request
from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from models import IdempotencyRecord
from models.errors import Conflict, DomainError

KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout ran out


class InProgress(Conflict):
    """The first request with this key is still running."""

    headers = {"Retry-After": "2"}

    def __init__(self, message: str):
        super().__init__(message, code="idempotency_in_progress")


def request_key() -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not KEY.match(key):
        raise DomainError(
            "An Idempotency-Key header is required (8 to 128 letters, digits, '_', '-', '.', ':').",
            {"Idempotency-Key": ["Missing or malformed."]},
        )
    return key


def body_hash() -> str:
    canonical = json.dumps(request.get_json(silent=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _in_progress(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code == LOCK_NOT_AVAILABLE or "database is locked" in str(exc.orig)


def claim(session, *, patient_id: int, key: str, digest: str, now: datetime, wait_seconds: float):
    """Return (record id, stored response or None), in the caller's transaction."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if dialect == "postgresql":  # how long to wait behind a first request with this key
        session.execute(
            text("SELECT set_config('lock_timeout', :ms, true)"),
            {"ms": f"{int(wait_seconds * 1000)}ms"},
        )
    try:
        inserted = session.execute(
            insert(IdempotencyRecord)
            .values(
                patient_id=patient_id,
                key=key,
                request_hash=digest,
                status="processing",
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["patient_id", "key"])
            .returning(IdempotencyRecord.id)
        ).scalar()
    except OperationalError as exc:
        if not _in_progress(exc):
            raise
        raise InProgress(
            "The first request with this Idempotency-Key is still being processed; retry."
        ) from exc
    if dialect == "postgresql":  # later locks of the request wait as they always did
        session.execute(text("SELECT set_config('lock_timeout', '0', true)"))
    if inserted is not None:
        return inserted, None
    record = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.patient_id == patient_id, IdempotencyRecord.key == key
        )
    ).one()
    if record.request_hash != digest:
        raise DomainError(
            "This Idempotency-Key was used with another request body.",
            {"Idempotency-Key": ["Reused with a different body."]},
            code="idempotency_key_reused",
        )
    if record.status == "done":
        return record.id, record.response
    # Committed unfinished: only a claim from before claims shared the request's transaction.
    return record.id, None


def complete(session, record_id: int, response: dict) -> None:
    """Store the response that every replay of the key gets."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(status="done", response=response)
    )
