"""The service's public origin, for links the SMS and callbacks carry."""

from flask import current_app, request


def base_url() -> str:
    """PUBLIC_BASE_URL when set (behind a proxy), else the origin this request came to."""
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")
