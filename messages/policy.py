"""How long the outbox keeps trying, and how fast: attempts, backoff (pages have their own short
schedule), leases and each purpose's maximum age."""

import random
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = 8
    backoff_base_seconds: float = 5.0
    backoff_cap_seconds: float = 900.0
    # Pages retry within seconds, so one goes out soon after Twilio recovers; the cap stays well
    # below a level's acknowledgement timeout (5-10 minutes by default).
    page_max_attempts: int = 60
    page_backoff_base_seconds: float = 1.0
    page_backoff_cap_seconds: float = 10.0
    lease_seconds: int = 60
    max_age: dict = field(
        default_factory=lambda: {
            "reminder": timedelta(hours=24),
            "escalation": timedelta(hours=2),
            "system": timedelta(hours=24),
        }
    )

    @classmethod
    def from_config(cls, config: dict) -> "OutboxPolicy":
        return cls(
            max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
            backoff_base_seconds=config["OUTBOX_BACKOFF_BASE_SECONDS"],
            backoff_cap_seconds=config["OUTBOX_BACKOFF_CAP_SECONDS"],
            page_max_attempts=config["OUTBOX_PAGE_MAX_ATTEMPTS"],
            page_backoff_base_seconds=config["OUTBOX_PAGE_BACKOFF_BASE_SECONDS"],
            page_backoff_cap_seconds=config["OUTBOX_PAGE_BACKOFF_CAP_SECONDS"],
            lease_seconds=config["OUTBOX_LEASE_SECONDS"],
            max_age={k: timedelta(minutes=v) for k, v in config["SMS_MAX_AGE_MINUTES"].items()},
        )

    def attempts_allowed(self, purpose: str) -> int:
        return self.page_max_attempts if purpose == "escalation" else self.max_attempts

    def backoff(self, attempts: int, purpose: str = "reminder") -> timedelta:
        """Capped exponential backoff with full jitter; the page schedule for pages."""
        if purpose == "escalation":
            base, cap = self.page_backoff_base_seconds, self.page_backoff_cap_seconds
        else:
            base, cap = self.backoff_base_seconds, self.backoff_cap_seconds
        ceiling = min(cap, base * 2 ** min(attempts - 1, 30))
        return timedelta(seconds=random.uniform(0, ceiling))


@dataclass(frozen=True)
class DispatchSettings:
    batch_size: int = 50  # rows leased per claim (and the most leased and not yet started)
    concurrency: int = 32  # requests in flight (also the sender threads and HTTP pool size)
    commit_every: int = 10  # outcomes per commit
    send_timeout: float = 10.0
    status_callback: str | None = None
    call_status_callback: str | None = None

    @property
    def callbacks(self) -> dict:
        return {"sms": self.status_callback, "call": self.call_status_callback}

    @classmethod
    def from_config(cls, config: dict) -> "DispatchSettings":
        base = config["PUBLIC_BASE_URL"]
        return cls(
            batch_size=config["OUTBOX_BATCH_SIZE"],
            concurrency=config["OUTBOX_CONCURRENCY"],
            commit_every=config["OUTBOX_COMMIT_EVERY"],
            send_timeout=config["TWILIO_HTTP_TIMEOUT"],
            status_callback=f"{base}/webhooks/twilio/status" if base else None,
            call_status_callback=f"{base}/webhooks/twilio/call-status" if base else None,
        )
