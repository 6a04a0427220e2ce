"""One dispatcher cycle: claim due messages with a lease, commit, send each outside any
transaction, record the outcome. Run by the worker; a cycle is its own unit of work and commits.
"""

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from messages import outbox
from messages.gateways import PermanentError, TransientError

log = logging.getLogger(__name__)


def dispatch_batch(
    session,
    gateway,
    *,
    now_fn: Callable[[], datetime],
    worker_id: str,
    policy: outbox.OutboxPolicy,
    batch_size: int,
    status_callback: str | None,
    send_timeout: float,
    stop: threading.Event | None = None,
    commit_every: int = 10,
) -> Counter:
    """Claim and commit; then send one by one, committing the outcomes every `commit_every`
    sends. A crash loses at most that many outcomes: those messages are sent again once their
    lease runs out (the only duplicates), and none is lost."""
    stats = Counter()
    now = now_fn()
    stats["expired"] = len(outbox.expire_stale(session, now=now, policy=policy))
    claimed = outbox.claim_due(
        session, now=now, limit=batch_size, worker_id=worker_id, policy=policy
    )
    work = [(m.id, m.to_phone, m.body) for m in claimed]
    stats["claimed"] = len(work)
    session.commit()
    # Stop sending before the lease can run out mid-send, or another worker could send it too.
    last_start = now + timedelta(seconds=policy.lease_seconds - send_timeout - 5)
    for index, (message_id, to, body) in enumerate(work):
        if (stop is not None and stop.is_set()) or now_fn() > last_start:
            rest = [item[0] for item in work[index:]]
            outbox.release(session, rest, worker_id=worker_id, now=now_fn())
            session.commit()
            stats["released"] += len(rest)
            break
        stats[
            _send_one(
                session,
                gateway,
                message_id,
                to,
                body,
                worker_id=worker_id,
                now_fn=now_fn,
                policy=policy,
                status_callback=status_callback,
            )
        ] += 1
        if (index + 1) % commit_every == 0:
            session.commit()
    session.commit()
    return stats


def _send_one(
    session, gateway, message_id, to, body, *, worker_id, now_fn, policy, status_callback
) -> str:
    try:
        sid = gateway.send(to=to, body=body, status_callback=status_callback)
    except TransientError as exc:
        log.info("message %s: transient failure %s", message_id, exc.code or exc)
        outcome = outbox.record_retry(
            session,
            message_id,
            worker_id=worker_id,
            code=exc.code,
            error=str(exc),
            now=now_fn(),
            policy=policy,
        )
        return "dead" if outcome == "dead" else "retried"
    except PermanentError as exc:
        log.warning("message %s: permanent failure %s", message_id, exc.code)
        outbox.record_failure(
            session,
            message_id,
            worker_id=worker_id,
            code=exc.code,
            error=str(exc),
            now=now_fn(),
            policy=policy,
        )
        return "failed"
    if not outbox.record_sent(session, message_id, worker_id=worker_id, sid=sid, now=now_fn()):
        log.warning("message %s: sent as %s after its lease was lost", message_id, sid)
        return "sent_after_lease_lost"
    return "sent"


def drain(session, gateway, *, stop=None, wake=None, max_batches=1000, **kwargs) -> Counter:
    """Dispatch batches until nothing is due (or told to stop)."""
    total = Counter()
    for _ in range(max_batches):
        if wake is not None:
            wake.clear()
        stats = dispatch_batch(session, gateway, stop=stop, **kwargs)
        total.update(stats)
        idle = stats["claimed"] == 0 and stats["expired"] == 0
        if (stop is not None and stop.is_set()) or (idle and not (wake and wake.is_set())):
            break
    return total
