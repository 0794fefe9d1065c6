"""Running in production: health check, fingerprinted static assets, proxy headers (logs: logs.py)."""
from __future__ import annotations

import hashlib
import os
import time
from functools import lru_cache

from flask import Blueprint, Flask, current_app, jsonify, send_from_directory
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import db, limiter

bp = Blueprint("ops", __name__)
ONE_YEAR = 365 * 24 * 3600


@bp.route("/healthz/live")
@limiter.exempt
def liveness():
    """200 while the process serves requests: touches nothing else (restart me if not)."""
    response = jsonify(status="alive")
    response.headers["Cache-Control"] = "no-store"
    return response


READY_BUDGET_MS = 1000  # each check; the whole answer stays within a few seconds


@bp.route("/healthz")
@bp.route("/healthz/ready")
@limiter.exempt
def healthz():
    """Readiness: 200 when the database answers within the budget, else 503 (send me no
    traffic). The broker is reported but does not decide: without it requests still work
    (side effects wait in the outbox), and failing every web server's check because Redis
    is down would turn a degraded portal into a dead one. /healthz is the same check."""
    checks, healthy = {}, True
    started = time.perf_counter()
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text(f"SET LOCAL statement_timeout = {READY_BUDGET_MS}"))
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception as error:  # report, don't crash: this is what load balancers poll
        db.session.rollback()
        checks["database"] = f"error: {type(error).__name__}"
        healthy = False
    if current_app.config.get("CELERY_BROKER_URL"):
        try:
            celery = current_app.extensions["celery"]
            with celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=READY_BUDGET_MS / 1000)
            checks["broker"] = "ok"
        except Exception as error:
            checks["broker"] = f"error: {type(error).__name__} (side effects wait in the outbox)"
    else:
        checks["broker"] = "not configured (tasks run in-process)"
    degraded = any(value.startswith("error") for value in checks.values())
    response = jsonify(status="unavailable" if not healthy else "degraded" if degraded else "ok",
                       checks=checks,
                       seconds=round(time.perf_counter() - started, 3))
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@lru_cache(maxsize=256)
def _fingerprint(path: str, mtime: float) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """/assets/<content hash>/<file>: a new name whenever the file changes, so it can be
    cached for a year."""
    path = os.path.join(current_app.static_folder, filename)
    digest = _fingerprint(path, os.path.getmtime(path))
    return f"/assets/{digest}/{filename}"


@bp.route("/assets/<digest>/<path:filename>")
@limiter.exempt
def asset(digest: str, filename: str):
    response = send_from_directory(current_app.static_folder, filename)
    path = os.path.join(current_app.static_folder, filename)
    if digest == _fingerprint(path, os.path.getmtime(path)):
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:  # an old page asking for an old version: serve today's file, don't cache it
        response.headers["Cache-Control"] = "no-cache"
    return response


def apply_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* from this many proxies in front (0: none, the default)."""
    hops = int(app.config.get("PROXY_FIX_HOPS", 0))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops, x_prefix=hops)

