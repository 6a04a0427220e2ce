"""Security headers on every response, by what the response is: a console page (HTML), the
Swagger UI at /docs, or anything else (the JSON API, webhooks, /metrics, health)."""

import base64
import hashlib
import re

from flask import Response, current_app, request

# The console is server-rendered and JavaScript-free: its own CSS and nothing else; no page of
# it may be framed (the one-tap acknowledge), and forms post only back to it.
CONSOLE_POLICY = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI: its bundled files from /docs/assets, the one inline script of flask-smorest's
# page (allowed by its hash, so no other inline script runs), the data: icons of its CSS, and
# calls to this API ("Try it out").
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' {hashes}; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# JSON and text are never rendered as pages: nothing may load, nothing may frame them.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
HSTS = "max-age=31536000"


def script_hashes(html: str) -> str:
    """CSP sources for each inline script in a page: 'sha256-...'."""
    digests = (hashlib.sha256(body.encode()).digest() for body in INLINE_SCRIPT.findall(html))
    return " ".join(f"'sha256-{base64.b64encode(d).decode()}'" for d in digests)


def content_security_policy(response: Response) -> str:
    if request.path == current_app.config["OPENAPI_SWAGGER_UI_PATH"]:
        return DOCS_POLICY.format(hashes=script_hashes(response.get_data(as_text=True)))
    if response.mimetype == "text/html":
        return CONSOLE_POLICY
    return DATA_POLICY


def add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(response)
    response.headers["X-Frame-Options"] = "DENY"  # browsers without frame-ancestors
    # /c/<token> links are capabilities: never sent to another site. Not "no-referrer":
    # Flask-WTF checks the Referer of console POSTs over HTTPS (WTF_CSRF_SSL_STRICT).
    response.headers["Referrer-Policy"] = "same-origin"
    if (current_app.config["PUBLIC_BASE_URL"] or "").startswith("https://"):
        response.headers["Strict-Transport-Security"] = HSTS
    return response
