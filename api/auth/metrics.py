"""Who may read /metrics: with METRICS_TOKEN set, whoever sends it as a bearer token; without
it, only a request made on this machine (loopback, and not relayed by a proxy)."""

import hmac
import ipaddress

from flask import current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def _from_this_machine() -> bool:
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:  # a Unix socket: whoever is behind it is unknown
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    if not address.is_loopback:
        return False
    # A proxy on this machine relays the whole internet from 127.0.0.1; unless ProxyFix has
    # already put the real client in remote_addr (TRUSTED_PROXY_COUNT), a relayed request is
    # not local.
    relayed = any(name in request.headers for name in PROXY_HEADERS)
    return current_app.config["TRUSTED_PROXY_COUNT"] > 0 or not relayed


def require_metrics_access():
    """Before a /metrics request: refuse it before any count is read."""
    expected = current_app.config["METRICS_TOKEN"]
    if not expected:
        if not _from_this_machine():
            raise Forbidden("Metrics are served only on this machine unless METRICS_TOKEN is set.")
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized(
            "A bearer token (METRICS_TOKEN) is required.",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "metrics"}),
        )
