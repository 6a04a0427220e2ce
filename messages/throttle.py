"""How fast one worker calls Twilio: at most `max_mps` sends a second (a token bucket: Twilio
queues what a sender cannot send at once, first in first out, so a page would wait there
behind a reminder wave), and after a 429 a pause (`Retry-After` when Twilio sends one) and
fewer requests in flight, growing back one per round of successes (AIMD)."""

import time

MAX_RETRY_AFTER = 60.0  # the longest pause a Retry-After gets at once
MAX_DEFAULT_PAUSE = 5.0  # without Retry-After: 0.25 s doubling to this, so recovery is seen soon


class Throttle:
    def __init__(self, *, concurrency: int, max_mps: float = 0.0, clock=time.monotonic):
        self.max_concurrency, self.max_mps, self.clock = concurrency, max_mps, clock
        self.limit = float(concurrency)
        self.capacity = max(1.0, max_mps)  # a burst of at most one second's worth
        self.tokens, self.stamp = self.capacity, clock()
        self.paused_until = 0.0
        self.strikes = 0

    def in_flight_allowed(self) -> int:
        return max(1, int(self.limit))

    def wait(self, *, sending: bool = True) -> float:
        """Seconds until the next request may start; a lookup needs no send token."""
        now = self.clock()
        pause = max(0.0, self.paused_until - now)
        if not (sending and self.max_mps):
            return pause
        self._refill(now)
        return max(pause, (1.0 - self.tokens) / self.max_mps if self.tokens < 1.0 else 0.0)

    def take(self) -> None:
        if self.max_mps:
            self._refill(self.clock())
            self.tokens -= 1.0

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.max_mps)
        self.stamp = now

    def succeeded(self) -> None:
        self.strikes = 0
        self.limit = min(float(self.max_concurrency), self.limit + 1.0 / self.limit)

    def throttled(self, retry_after: float | None) -> float:
        """A 429: pause, and halve the requests in flight (once per pause, not once per 429 of
        the same burst). Returns the pause in seconds."""
        now = self.clock()
        if now >= self.paused_until:
            self.strikes += 1
            self.limit = max(1.0, self.limit / 2)
        if retry_after is not None:
            pause = min(MAX_RETRY_AFTER, retry_after)
        else:
            pause = min(MAX_DEFAULT_PAUSE, 0.25 * 2 ** max(0, min(self.strikes - 1, 10)))
        self.paused_until = max(self.paused_until, now + pause)
        return pause
