"""What domain calls made in a request need from the deployment's configuration."""

from flask import current_app

from messages.outbox import OutboxPolicy


def outbox_policy() -> OutboxPolicy:
    """The configured outbox policy (retries, expiry per purpose), for every enqueue."""
    policy = current_app.extensions.get("outbox_policy")
    if policy is None:
        policy = current_app.extensions["outbox_policy"] = OutboxPolicy.from_config(
            current_app.config
        )
    return policy
