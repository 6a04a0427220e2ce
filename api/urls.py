"""The service's public origin, for links the SMS and callbacks carry."""

from flask import current_app

# Unset PUBLIC_BASE_URL: links point at the development server (`make run` sets its own port).
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


def base_url() -> str:
    """PUBLIC_BASE_URL, never the request's Host header: a patient's app sets that header, and a
    nurse's page must not link to wherever it says (the link is a sign-in)."""
    return current_app.config["PUBLIC_BASE_URL"] or DEVELOPMENT_BASE_URL
