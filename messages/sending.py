"""One request to the SMS provider for one claimed message, run on a sender thread: send it, or
first look it up when its last attempt's outcome is unknown. No database here: the dispatcher's
own thread records every outcome (SQLAlchemy sessions are not thread-safe)."""

from dataclasses import dataclass, field
from datetime import datetime

from messages.gateways import PermanentError, Throttled, TransientError
from models.vocabulary import Channel, MessageStatus


@dataclass
class Item:
    """A message this worker holds the lease of, on its way to the provider."""

    id: int
    to: str
    body: str
    priority: int
    created_at: datetime
    lease_end: datetime
    unknown: str | None = None  # the error code saying the last outcome is unknown, if it is
    looked_up: bool = False
    order: int = 0  # claim order within its lane, kept when it goes back to the backlog
    channel: str = Channel.SMS  # push: `to` is the device token (None: the device is gone)
    data: dict = field(default_factory=dict)  # push: the opaque id the app fetches with

    @property
    def lookup(self) -> bool:
        return self.unknown is not None and not self.looked_up


@dataclass
class Outcome:
    kind: str  # sent | found | throttled | transient | permanent
    sid: str | None = None
    sids: list[str] = field(default_factory=list)
    code: str | None = None
    error: str = ""
    retry_after: float | None = None


def run(gateways, item: Item, callbacks: dict) -> Outcome:
    """The item's next request on its channel: a lookup (SMS only: FCM and Calls have none, so
    push and calls are sent again), or the send. Errors become outcomes."""
    try:
        if item.lookup:
            find = getattr(gateways.sms, "find_sent", None)
            ok = item.channel == Channel.SMS and find
            sids = find(to=item.to, body=item.body, since=item.created_at) if ok else []
            return Outcome("found", sids=sids)
        return Outcome(MessageStatus.SENT, sid=_send(gateways, item, callbacks))
    except Throttled as exc:
        return Outcome("throttled", code=exc.code, error=str(exc), retry_after=exc.retry_after)
    except TransientError as exc:
        return Outcome("transient", code=exc.code, error=str(exc))
    except PermanentError as exc:
        return Outcome("permanent", code=exc.code, error=str(exc))


def _send(gateways, item: Item, callbacks: dict) -> str:
    if item.channel == Channel.PUSH:
        if not item.to:
            raise PermanentError("the device was removed", "device_gone")
        return gateways.push.send(token=item.to, title=item.body, data=item.data)
    if item.channel == Channel.CALL:
        return gateways.call.call(
            to=item.to, twiml=item.body, status_callback=callbacks.get(Channel.CALL)
        )
    return gateways.sms.send(to=item.to, body=item.body, status_callback=callbacks.get(Channel.SMS))
