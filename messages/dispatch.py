"""The dispatcher: claim due messages with a lease (pages first), commit, keep up to
`concurrency` requests to the provider in flight on sender threads, and record every outcome
from this one thread, committing every `commit_every` outcomes. Run by the worker; a drain is
its own unit of work and commits (the one exception to "the caller commits": it must, to
lease before sending)."""

import heapq
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from datetime import datetime, timedelta

from messages import outbox, outcomes, sending
from messages.gateways import Gateways
from messages.policy import DispatchSettings, OutboxPolicy
from messages.sending import Item, Outcome
from messages.throttle import Throttle
from models.vocabulary import Channel, MessageStatus

log = logging.getLogger(__name__)
MARGIN = timedelta(seconds=5)  # a request starts only if it ends this long before the lease
EXPIRE_EVERY = 1.0  # seconds between sweeps for expired rows during a drain
RECHECK = 0.25  # seconds between claims that found nothing, while sends are in flight
TICK = 0.2  # the longest wait for a completion, so wake-ups and pauses are seen


class Dispatcher:
    """One drain. Sessions are not thread-safe: sender threads only make HTTP requests, and
    every claim, outcome and commit happens here."""

    def __init__(
        self,
        session,
        gateway,
        pool: Executor,
        *,
        now_fn: Callable[[], datetime],
        worker_id: str,
        policy: OutboxPolicy,
        settings: DispatchSettings,
        throttle: Throttle,
        stop: threading.Event | None = None,
        wake: threading.Event | None = None,
    ):
        self.session, self.gateway, self.pool = session, Gateways.of(gateway), pool
        self.now_fn, self.worker_id, self.policy = now_fn, worker_id, policy
        self.settings, self.throttle, self.stop, self.wake = settings, throttle, stop, wake
        self.backlog: list[tuple[int, int, Item]] = []  # leased, not started: a heap by lane
        self.in_flight: dict[Future, Item] = {}
        self.order = itertools.count()
        self.uncommitted, self.stats = 0, Counter()
        self.sent: list[tuple[int, str, datetime]] = []  # sent, to be recorded at the commit
        self.next_expiry = self.next_claim = 0.0
        # Under a send rate limit, lease no more than half the lease can send.
        window = policy.lease_seconds - settings.send_timeout - MARGIN.total_seconds()
        rate_bound = int(throttle.max_mps * window / 2) if throttle.max_mps else None
        self.target = max(1, min(settings.batch_size, rate_bound or settings.batch_size))

    def drain(self, *, refill: bool = True) -> Counter:
        """Send until nothing is due, or told to stop; `refill=False`: one claim's worth."""
        try:
            self._claim(self.target)
            while not self._stopping():
                if refill:
                    self._refill()
                pause = self._start()
                if not self.in_flight and not self.backlog:
                    if refill and (self._claim(self.target) or self._woken()):
                        continue
                    break
                self._collect(pause)
            self._wind_down()
        except BaseException:
            wait(list(self.in_flight))  # no thread outlives the drain that started it
            raise
        return self.stats

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def _woken(self) -> bool:
        return self.wake is not None and self.wake.is_set()

    def _refill(self) -> None:
        """A wake-up (PostgreSQL NOTIFY) claims pages at once; the backlog is topped up when it
        runs lower than the requests allowed in flight."""
        if self._woken():
            self.wake.clear()
            self._claim(self.settings.batch_size, max_priority=0)
        low = len(self.backlog) < self.throttle.in_flight_allowed()
        if low and time.monotonic() >= self.next_claim:
            if not self._claim(self.target - len(self.backlog)):
                self.next_claim = time.monotonic() + RECHECK

    def _claim(self, limit: int, max_priority: int | None = None) -> int:
        """Expire what is too old (at most once a second), lease up to `limit` rows, commit."""
        now, taken = self.now_fn(), 0
        if time.monotonic() >= self.next_expiry:
            taken = len(outbox.expire_stale(self.session, now=now, policy=self.policy))
            self.stats[MessageStatus.EXPIRED] += taken
            self.next_expiry = time.monotonic() + EXPIRE_EVERY
        rows = outbox.claim_due(
            self.session,
            now=now,
            limit=max(0, limit),
            worker_id=self.worker_id,
            policy=self.policy,
            max_priority=max_priority,
        )
        targets = outbox.push_targets(self.session, rows)
        items = [_item(m, targets) for m in rows]  # read before the commit expires the rows
        self._commit()  # leased before anything is sent
        for item in items:
            self._push(item)
        self.stats["claimed"] += len(items)
        return taken + len(items)

    def _push(self, item: Item) -> None:
        if not item.order:
            item.order = next(self.order) + 1
        heapq.heappush(self.backlog, (item.priority, item.order, item))

    def _start(self) -> float:
        """Start requests, pages first, while slots, the rate and the throttle allow; returns how
        long until the next may start. A request that could outlive its lease is not started."""
        slack = timedelta(seconds=self.settings.send_timeout) + MARGIN
        while self.backlog and len(self.in_flight) < self.throttle.in_flight_allowed():
            item = self.backlog[0][2]
            pause = self.throttle.wait(sending=not item.lookup)
            if pause > 0:
                return pause
            heapq.heappop(self.backlog)
            if self.now_fn() + slack > item.lease_end:
                self._release([item])
                continue
            if not item.lookup:
                self.throttle.take()
            future = self.pool.submit(sending.run, self.gateway, item, self.settings.callbacks)
            self.in_flight[future] = item
        return 0.0

    def _collect(self, pause: float) -> None:
        timeout = min(TICK, pause) if pause > 0 else TICK
        if not self.in_flight:
            if self.stop is not None:
                self.stop.wait(timeout)
            else:
                time.sleep(timeout)
            return
        done, _ = wait(list(self.in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            self._record(self.in_flight.pop(future), future.result())

    def _record(self, item: Item, outcome: Outcome) -> None:
        now = self.now_fn()
        if outcome.kind == "throttled":  # nothing written, no attempt burned: later, slower
            strikes = self.throttle.strikes
            pause = self.throttle.throttled(outcome.retry_after)
            if self.throttle.strikes != strikes:
                log.info("Twilio throttled (%s): pausing %.1f s", outcome.code, pause)
            self.stats["throttled"] += 1
            self._push(item)
            return
        if outcome.kind in (MessageStatus.SENT, "found"):
            self.throttle.succeeded()
        if outcome.kind == MessageStatus.SENT:
            self.sent.append((item.id, outcome.sid, now))  # written at the next commit
        elif outcome.kind == "found":
            self._found(item, outcome.sids, now)
        elif outcome.kind == "transient":
            self._retry(item, outcome, now)
        else:
            self._failed(item, outcome, now)
        self.uncommitted += 1
        if self.uncommitted >= self.settings.commit_every:
            self._commit()

    def _found(self, item: Item, sids: list[str], now: datetime) -> None:
        self._write_sent()  # a SID just sent must count as taken
        sid = sids and outcomes.record_found(
            self.session, item.id, worker_id=self.worker_id, sids=sids, now=now
        )
        if sid:
            log.info("message %s: found at Twilio as %s, not sent again", item.id, sid)
            self.stats["found"] += 1
            return
        item.looked_up = True  # Twilio has no such message: send it
        self._push(item)

    def _retry(self, item: Item, outcome: Outcome, now: datetime) -> None:
        code = item.unknown if item.lookup else outcome.code  # a failed lookup: still unknown
        error = f"lookup: {outcome.error}" if item.lookup else outcome.error
        log.info("message %s: transient failure %s", item.id, code or error)
        result = outcomes.record_retry(
            self.session,
            item.id,
            worker_id=self.worker_id,
            code=code,
            error=error,
            now=now,
            policy=self.policy,
        )
        self.stats[MessageStatus.DEAD if result == MessageStatus.DEAD else "retried"] += 1

    def _failed(self, item: Item, outcome: Outcome, now: datetime) -> None:
        if item.lookup:  # the lookup was refused: Twilio cannot tell, so send
            log.warning("message %s: lookup refused (%s), sending", item.id, outcome.code)
            item.looked_up = True
            self._push(item)
            return
        log.warning("message %s: permanent failure %s", item.id, outcome.code)
        outcomes.record_failure(
            self.session,
            item.id,
            worker_id=self.worker_id,
            code=outcome.code,
            error=outcome.error,
            now=now,
            policy=self.policy,
        )
        self.stats[MessageStatus.FAILED] += 1

    def _release(self, items: list[Item]) -> None:
        ids = [item.id for item in items]
        outcomes.release(self.session, ids, worker_id=self.worker_id, now=self.now_fn())
        self.stats["released"] += len(ids)

    def _wind_down(self) -> None:
        """Let the requests in flight finish and record them; give back the unstarted leases."""
        while self.in_flight:
            self._collect(0.0)
        self._release([entry[2] for entry in self.backlog])
        self.backlog.clear()
        self._commit()

    def _write_sent(self) -> None:
        if not self.sent:
            return
        recorded = set(outcomes.record_sent_many(self.session, self.sent, worker_id=self.worker_id))
        for message_id, sid, _ in self.sent:
            if message_id not in recorded:
                log.warning("message %s: sent as %s after its lease was lost", message_id, sid)
        self.stats[MessageStatus.SENT] += len(recorded)
        self.stats["sent_after_lease_lost"] += len(self.sent) - len(recorded)
        self.sent = []

    def _commit(self) -> None:
        self._write_sent()
        self.session.commit()
        self.uncommitted = 0


def _item(m, targets: dict) -> Item:
    unknown = m.error_code if m.error_code in outbox.OUTCOME_UNKNOWN else None
    to, data = m.to_phone, {}
    if m.channel == Channel.PUSH:
        to, data = targets.get(m.id, (None, {}))
    return Item(
        m.id,
        to,
        m.body,
        m.priority,
        m.created_at,
        m.lease_expires_at,
        unknown,
        channel=m.channel,
        data=data,
    )


def drain(session, gateway, pool: Executor, **kwargs) -> Counter:
    """Dispatch until nothing is due (or told to stop)."""
    return Dispatcher(session, gateway, pool, **kwargs).drain()
