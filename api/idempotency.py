"""Idempotency-Key for the patient app's POSTs (phones on flaky networks retry).

The key is claimed in its own committed transaction before the work, so a concurrent retry sees
it: a replay gets the stored response, the same key with another body 422, a retry while the
first is still in flight 409. A claim left by a crashed request is taken over after a minute.
"""

import hashlib
import json
import re
from datetime import datetime, timedelta

from flask import request
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import IdempotencyRecord
from models.errors import Conflict, DomainError

KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
STALE = timedelta(seconds=60)
IN_PROGRESS = "The first request with this Idempotency-Key is still being processed."


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


def claim(session, *, patient_id: int, key: str, digest: str, now: datetime):
    """Return (record id, stored response or None). The caller commits the claim at once."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(IdempotencyRecord)
        .values(
            patient_id=patient_id, key=key, request_hash=digest, status="processing", created_at=now
        )
        .on_conflict_do_nothing(index_elements=["patient_id", "key"])
        .returning(IdempotencyRecord.id)
    ).scalar()
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
    if now - record.created_at < STALE:
        raise Conflict(IN_PROGRESS, code="idempotency_in_progress")
    taken = session.execute(  # a crashed attempt: take the claim over, once
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record.id, IdempotencyRecord.created_at == record.created_at)
        .values(created_at=now)
    ).rowcount
    if not taken:
        raise Conflict(IN_PROGRESS, code="idempotency_in_progress")
    return record.id, None


def complete(session, record_id: int, response: dict) -> None:
    """Store the response that every replay of the key gets."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(status="done", response=response)
    )
