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
from functools import cache

from flask import request
from sqlalchemy import bindparam, case, func, select, update
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


COLUMNS = ("patient_id", "key", "request_hash", "status", "created_at")


@cache
def _claim_statement(dialect: str):
    """The claim, one statement, built once per dialect and bound per request (its COLUMNS and,
    on PostgreSQL, `wait`). On PostgreSQL it also bounds how long it waits behind a first request
    with this key (`lock_timeout` for this transaction), and sets it back to 0 once the INSERT is
    done (the reset's argument reads the INSERT's result, so it runs after it): the request's
    later locks wait as they always did."""
    table = IdempotencyRecord.__table__
    values = [bindparam(c, type_=table.c[c].type) for c in COLUMNS]
    if dialect != "postgresql":
        return (
            sqlite.insert(table)
            .values(dict(zip(COLUMNS, values, strict=True)))
            .on_conflict_do_nothing(index_elements=["patient_id", "key"])
            .returning(table.c.id)
        )
    wait = select(func.set_config("lock_timeout", bindparam("wait"), True).label("ms"))
    source = select(*(v.label(c) for c, v in zip(COLUMNS, values, strict=True)))
    claimed = (
        postgresql.insert(table)
        .from_select(list(COLUMNS), source.select_from(wait.subquery("wait")))
        .on_conflict_do_nothing(index_elements=["patient_id", "key"])
        .returning(table.c.id)
        .cte("claimed")
    )
    done = select(func.count().label("n")).select_from(claimed).subquery("done")
    reset = func.set_config("lock_timeout", case((done.c.n >= 0, "0"), else_="0"), True)
    return select(select(claimed.c.id).scalar_subquery().label("id"), reset).select_from(done)


def claim(session, *, patient_id: int, key: str, digest: str, now: datetime, wait_seconds: float):
    """Return (record id, stored response or None), in the caller's transaction."""
    dialect = session.get_bind().dialect.name
    params = dict(
        patient_id=patient_id, key=key, request_hash=digest, status="processing", created_at=now
    )
    if dialect == "postgresql":
        params["wait"] = f"{int(wait_seconds * 1000)}ms"
    try:
        inserted = session.execute(_claim_statement(dialect), params).scalar()
    except OperationalError as exc:
        if not _in_progress(exc):
            raise
        raise InProgress(
            "The first request with this Idempotency-Key is still being processed; retry."
        ) from exc
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
    table = IdempotencyRecord.__table__
    session.execute(
        update(table).where(table.c.id == record_id).values(status="done", response=response)
    )
