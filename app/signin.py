"""Where a sign-in comes back to, and how a request that needs one is answered."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import current_app, flash, has_request_context, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

SIGNED_OUT = _l("You were signed out — sign in to keep going.")

# Every view wrapped by Flask-Login's login_required runs this one code object.
_SIGN_IN_CODE = login_required(lambda: None).__code__


def requires_sign_in(view) -> bool:
    """Whether `view` (or a decorator layer of it) is behind login_required."""
    while view is not None:
        if getattr(view, "__code__", None) is _SIGN_IN_CODE:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def _answers_get(path: str) -> bool:
    adapter = current_app.url_map.bind("")
    for _ in range(3):  # a strict-slash redirect leads to the page that answers
        try:
            adapter.match(path, method="GET")
            return True
        except RequestRedirect as moved:
            path = urlsplit(moved.new_url).path
        except (NotFound, MethodNotAllowed):
            return False
    return False


def page_to_come_back_to(target: str) -> str | None:
    """`target` when it is a page (answers GET). For an action that only takes POST, the nearest
    page above it (/attempts/7/submit -> /attempts/7): a GET of the action itself would only say
    "not allowed". None when nothing but the home page fits."""
    parts = urlsplit(target)
    root = request.script_root if has_request_context() else ""
    path = unquote(parts.path)
    # What the path decodes to must be a plain path too: "/%2F%2Fevil.example" is "//evil…",
    # and a prefix of it handed back would be a protocol-relative URL (or an empty one).
    if not _plain_path(path):
        return None
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root):] or "/"
    if _answers_get(path):
        return target
    while path.rstrip("/"):
        path = path.rstrip("/").rsplit("/", 1)[0] or "/"
        if path != "/" and _answers_get(path):
            return root + path
    return None


def _plain_path(path: str) -> bool:
    return (path.startswith("/") and not path.startswith("//") and "\\" not in path
            and not any(ord(ch) < 32 or ord(ch) == 127 for ch in path))


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best_match(
        ["text/html", "application/json"]) == "application/json"


def answer_signed_out():
    """Flask-Login's unauthorized handler: scripts get a JSON 401 they can explain to the
    person; pages go to the login page, which comes back to a page, never to a POST-only action."""
    here = request.script_root + (request.full_path if request.query_string else request.path)
    target = here if request.method in ("GET", "HEAD") else page_to_come_back_to(here)
    login_url = url_for("accounts.login", next=target)
    if _wants_json():
        return jsonify(error="signed_out", message=str(SIGNED_OUT), login_url=login_url), 401
    if request.method not in ("GET", "HEAD"):
        # A form sent without a session means the session ended while the page was open.
        flash(SIGNED_OUT, "error")
    return redirect(login_url)
