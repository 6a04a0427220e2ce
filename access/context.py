"""What each front end tells the core about the request it is serving: who is calling, the
request id, and the refusals and patient access recorded so far (the error handler keeps them
when it rolls the request back). One ContextVar, set at the start of every request."""

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Call:
    request_id: str | None = None
    actor: object | None = None  # a Staff or Patient, once known
    refusals: list = field(default_factory=list)  # audit events to keep after a rollback
    patient_access: object | None = None  # the one audit event of this call's patient access


_call: ContextVar[Call | None] = ContextVar("access_call", default=None)


def begin(request_id: str | None) -> Call:
    """A new call (a request, a CLI command); whatever the previous one left is dropped."""
    call = Call(request_id=request_id)
    _call.set(call)
    return call


def current() -> Call:
    call = _call.get()
    if call is None:  # a job or a script that never began a call
        call = begin(None)
    return call


def set_actor(actor) -> None:
    current().actor = actor
