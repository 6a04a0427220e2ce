"""Logging: one line per record with the request id; secrets, phone numbers and database values
never reach a handler.

Redaction happens when a record is made (a LogRecord factory), not in one handler's filter, so
every handler sees the redacted record: ours, gunicorn's, a test's, one added later. Tracebacks
are formatted then and redacted too, and a database error's own message (which can carry the
statement's values, or PostgreSQL's "Failing row contains (...)") is replaced by its class and
SQLSTATE. The engine runs with `hide_parameters=True` as a second line.
"""

import logging
import re
import sqlite3
import traceback

import psycopg
from flask import g, has_request_context
from sqlalchemy.exc import StatementError

_REDACTIONS = [
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "[token]"),
    (re.compile(r"(?i)(bearer\s+)\S+"), r"\1[token]"),
    # Phone numbers are handled in E.164 ("+" first); IP addresses and dates are kept.
    (re.compile(r"\+\d[\d\s().-]{6,}\d"), "[number]"),
    (re.compile(r'(?i)("?(password|secret|token|code)"?\s*[:=]\s*)"?[^",\s}]+'), r"\1[redacted]"),
]
_DATABASE_ERRORS = (StatementError, psycopg.Error, sqlite3.Error)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def describe_exception(exc: BaseException) -> str:
    """One line: the exception's class and message, or for a database error its SQLSTATE."""
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if not isinstance(exc, _DATABASE_ERRORS):
        return redact(f"{name}: {exc}")
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    return f"{name}: [database message withheld: it can carry patient data] (SQLSTATE {state})"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, oldest first, as Python prints them."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return chain[::-1]


def format_exception(exc: BaseException) -> str:
    """A traceback with every message redacted and database messages withheld."""
    parts = []
    for exc_in_chain in _chain(exc):
        if parts:
            parts.append("\nThen:\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(redact(line) for line in traceback.format_tb(exc_in_chain.__traceback__))
        parts.append(describe_exception(exc_in_chain))
    return "".join(parts)


def redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: keep neither
        message = f"{record.msg!s} [arguments withheld: they did not fit the format]"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = format_exception(record.exc_info[1])
    record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record.request_id = g.get("request_id", "-") if has_request_context() else "-"


def _install_record_factory() -> None:
    make = logging.getLogRecordFactory()
    if getattr(make, "redacts", False):
        return

    def make_redacted_record(*args, **kwargs):
        record = make(*args, **kwargs)
        redact_record(record)
        return record

    make_redacted_record.redacts = True
    logging.setLogRecordFactory(make_redacted_record)


def configure_logging(level: str) -> None:
    _install_record_factory()
    root = logging.getLogger()
    if any(h.get_name() == "besponsa" for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.set_name("besponsa")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
