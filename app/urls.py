"""Absolute URLs for links that leave the site (mail, QR codes, signed credentials).

Built from PUBLIC_BASE_URL only, never from the request: a request's Host header is the
client's to choose, and a reset link or a signed credential built on it would point
wherever an attacker says. Production refuses to start without PUBLIC_BASE_URL
(app/config.py); in development it is derived once at start-up from HOST and PORT.
"""
from __future__ import annotations

from flask import current_app


def public_base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def public_url(endpoint: str, **values) -> str:
    """PUBLIC_BASE_URL + the route's path; works in a request, a task or a command alike."""
    base = public_base_url()
    # A bound adapter of our own: the request's (if any) would bring its host along.
    adapter = current_app.url_map.bind("public.invalid", url_scheme="https")
    return base + adapter.build(endpoint, values)
