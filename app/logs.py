"""Logs operators can read: ISO 8601 times in UTC and one request id on every line of a request.

The id comes from the proxy in front (nginx's `$request_id` as `X-Request-ID`, trusted only
with PROXY_FIX_HOPS) or is made here; it is answered in the `X-Request-ID` header, shown on
error pages, printed in gunicorn's access log (with the signed-in user's id) and added to
every application log line written while the request runs, text or JSON.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime

from werkzeug.wsgi import ClosingIterator

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = "smallb.request_id"  # in the WSGI environ: gunicorn's access log reads them
USER_ID_KEY = "smallb.user_id"
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}\Z")
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "smallb_request_id", default=None)
log = logging.getLogger("smallb.requests")


def iso_time(timestamp: float) -> str:
    """2026-12-02T18:20:01.123Z: sorts as text, and means the same on every server."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def request_fields() -> dict:
    """The request a log line is written in: id, and method, path and user when known."""
    request_id = current_request_id.get()
    if request_id is None:
        return {}
    fields = {"request_id": request_id}
    from flask import has_request_context, request

    if has_request_context():
        fields.update(method=request.method, path=request.path)
        if request.environ.get(USER_ID_KEY):
            fields["user_id"] = request.environ[USER_ID_KEY]
    return fields


def remember_user(environ: dict, user_id: int) -> None:
    """Called when a request's user is known, for the access log and the app's lines."""
    environ[USER_ID_KEY] = user_id


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s")

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's naming)
        return iso_time(record.created)

    def format(self, record: logging.LogRecord) -> str:
        fields = request_fields()
        record.request = (f" [{fields['request_id']}"
                          + (f" user={fields['user_id']}" if "user_id" in fields else "") + "]"
                          if fields else "")
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": iso_time(record.created), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage(), **request_fields()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestIds:
    """WSGI middleware, outermost: give the request its id before anything logs."""

    def __init__(self, wsgi_app, trust_incoming: bool):
        self.wsgi_app = wsgi_app
        self.trust_incoming = trust_incoming

    def __call__(self, environ, start_response):
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        # A client could name another request's id to muddle the logs: only the proxy's.
        request_id = (incoming if self.trust_incoming and _ACCEPTED_ID.match(incoming)
                      else secrets.token_hex(16))
        environ[REQUEST_ID_KEY] = request_id
        token = current_request_id.set(request_id)

        def start_with_id(status, headers, exc_info=None):
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            answer = self.wsgi_app(environ, start_with_id)
        except BaseException:
            # gunicorn ends a worker past its timeout with SystemExit inside the request: no
            # access line follows, so this is the request's only trace.
            log.error("%s %s ended without an answer (worker timeout or shutdown)",
                      environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            current_request_id.reset(token)
            raise
        # Streamed answers (the ledger CSV) keep the id until the last byte is sent.
        return ClosingIterator(answer, lambda: current_request_id.reset(token))


def configure_logging(app) -> None:
    """Plain lines by default, JSON lines with LOG_FORMAT=json; once per process. The
    request ids are given in every case (tests read them from the response header)."""
    app.wsgi_app = RequestIds(app.wsgi_app, trust_incoming=int(app.config.get("PROXY_FIX_HOPS", 0)) > 0)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    root = logging.getLogger()
    if app.testing or getattr(root, "_smallb_configured", False):
        return  # tests keep pytest's log capture
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if app.config.get("LOG_FORMAT") == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    root._smallb_configured = True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is a dependency; this keeps the module importable without it
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with ISO times, and the request id and user in the access log
    (gunicorn.conf.py: logger_class, access_log_format's %(request_id)s and %(user_id)s)."""

    error_fmt = "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"

    def setup(self, cfg):
        super().setup(cfg)
        iso = logging.Formatter(self.error_fmt)
        iso.formatTime = lambda record, datefmt=None: iso_time(record.created)
        for handler in self.error_log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(iso)

    def now(self):
        return iso_time(time.time())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["request_id"] = environ.get(REQUEST_ID_KEY, "-")
        atoms["user_id"] = str(environ.get(USER_ID_KEY) or "-")
        return atoms
