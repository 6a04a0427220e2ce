"""The configured outbox policy, for the enqueues a request makes (pages, their expiry)."""

from flask import current_app

from messages.outbox import OutboxPolicy


def outbox_policy() -> OutboxPolicy:
    """Built from the app's config on each call, as the worker builds it at start."""
    return OutboxPolicy.from_config(current_app.config)
