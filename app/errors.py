"""Error pages in the user's language; nothing a user can cause ends in a traceback."""
from contextlib import nullcontext

from flask import render_template, request
from flask.globals import request_ctx
from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .domain_errors import DomainError
from .requests import UndecodableInput

MESSAGES = {
    400: (_l("Bad request"), _l("Something in that request was not right. Please go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("We could not find that page. It may have moved or been removed.")),
    405: (_l("Not allowed"), _l("That action is not available here.")),
    413: (_l("Too large"), _l("What you sent is too large. Please send something smaller.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Please wait a little and try again.")),
    # No promise the database would have to keep: what was saved before is, what was just
    # sent may not be.
    500: (_l("Something went wrong"), _l("Something went wrong on our side. What you saved before is safe; if you just sent something, please send it again.")),
}


# Pages that need nothing: no template, no database, no session user, no URL building.
# For requests the app cannot route at all (a Host outside TRUSTED_HOSTS).
STATIC_PAGES = {
    400: ("请求有误", "Bad request", "这个请求有些地方不对，请返回重试。",
          "Something in that request was not right. Please go back and try again."),
    # The database is down: nothing may be promised that the database would have to keep.
    503: ("暂时无法使用", "Briefly unavailable",
          "我们的服务器正在恢复，请过一分钟再试。已经保存的学习进度都在。",
          "Our server is recovering. Please try again in a minute. Progress saved before "
          "now is safe."),
    "503-sent": ("暂时无法使用", "Briefly unavailable",
                 "我们的服务器正在恢复。你刚才提交的内容没有保存，也没有评分：请过一分钟返回上一页再提交一次"
                 "（测验的答案会先保存在这部手机上）。",
                 "Our server is recovering. What you just sent was not saved or marked: go back "
                 "in a minute and send it again (quiz answers wait on this phone meanwhile)."),
}
STATIC_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{zh_title} · {en_title}</title>
<style>body{{font:16px/1.6 system-ui,sans-serif;margin:2rem auto;max-width:32rem;padding:0 1rem;color:#222}}</style>
</head><body><main><h1>{zh_title}</h1><p>{zh_text}</p>
<h2 lang="en">{en_title}</h2><p lang="en">{en_text}</p></main></body></html>
"""


def static_page(code: int, key=None) -> tuple[str, int, dict]:
    zh_title, en_title, zh_text, en_text = STATIC_PAGES[key or code]
    body = STATIC_PAGE.format(zh_title=zh_title, en_title=en_title, zh_text=zh_text, en_text=en_text)
    return body, code, {"Content-Type": "text/html; charset=utf-8"}


def database_unavailable(error) -> bool:
    """The database could not be reached or answered (down, restarting, out of time)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    error = getattr(error, "original_exception", None) or error
    return isinstance(error, (OperationalError, InterfaceError)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def outage_response(error):
    """503 with Retry-After and a page that needs no database, template or session user;
    JSON for the API and for scripts (autosave)."""
    from flask import current_app

    current_app.logger.error("Database unavailable: %s", getattr(error, "original_exception", error))
    headers = {"Retry-After": "30", "Cache-Control": "no-store"}
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json" \
            or request.is_json:
        return ({"error": "unavailable", "saved": False,
                 "message": "The service is recovering; nothing was saved. Try again shortly."},
                503, headers)
    body, code, content = static_page(503, "503-sent" if request.method not in ("GET", "HEAD") else None)
    return body, code, {**headers, **content}


def _upload_limit() -> int | None:
    """The most the request's form takes: its view's own upload limit (security.upload_limit),
    else MAX_CONTENT_LENGTH."""
    from flask import current_app

    key = getattr(current_app.view_functions.get(request.endpoint), "upload_limit", None)
    return current_app.config.get(key) if key else current_app.config.get("MAX_CONTENT_LENGTH")


def render_error(code: int, message=None):
    if request_ctx.url_adapter is None and code in STATIC_PAGES:
        return static_page(code)[:2]
    title, default = MESSAGES.get(code, MESSAGES[400 if code < 500 else 500])
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        # The API speaks JSON even when no route matched (routing errors are the app's).
        with force_locale("en") if request.path.startswith("/api/") else nullcontext():
            return {"error": str(title).lower().replace(" ", "_"), "message": str(message or default)}, code
    from .logs import REQUEST_ID_KEY
    from .signin import page_to_come_back_to

    limit = _upload_limit() if code == 413 else None
    if limit and not message:  # a photo straight from the phone: say how big it may be
        message = _l("What you sent is larger than %(size)s MB, the most this form takes. "
                     "Please send something smaller.", size="%g" % round(limit / 2**20, 1))
    # A form sent in vain: back to the page it came from (the nearest page above a POST-only
    # action), not only to the start.
    back = page_to_come_back_to(request.path) if request.method not in ("GET", "HEAD") else None
    body = render_template("errors/error.html", code=code, title=title, message=message or default,
                           request_id=request.environ.get(REQUEST_ID_KEY), back=back)
    return body, code


def render_domain_error(error: DomainError):
    """What a person caused, in her language: JSON for the API and for scripts; for a page,
    the message flashed on the page the view named (going_back), else the error page. What
    the request wrote so far is rolled back."""
    from flask import flash, redirect

    from .extensions import db

    db.session.rollback()
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        # The API speaks English, as its other answers do; scripts of a page, her language.
        with force_locale("en") if request.path.startswith("/api/") else nullcontext():
            return {"error": error.code, "message": error.message}, error.status
    if error.back:
        flash(error.message, "error")
        return redirect(error.back, 303)
    return render_error(error.status, error.message)


def _retry_message():
    """For a rate limit: when to try again, from the limit that was hit (not a guess)."""
    import math
    import time

    from .extensions import limiter

    limit = getattr(limiter, "current_limit", None)
    if limit is None or not getattr(limit, "reset_at", None):
        return None
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60))
    return ngettext("Too many attempts in a short time. Please try again in %(num)s minute.",
                    "Too many attempts in a short time. Please try again in %(num)s minutes.",
                    minutes)


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        # A session that ended (expired or cleared cookie) takes its CSRF token with it: to the
        # person that is being signed out, not a broken form.
        from flask_login import current_user

        from .extensions import login_manager
        from .signin import requires_sign_in

        if not current_user.is_authenticated and requires_sign_in(app.view_functions.get(request.endpoint)):
            return login_manager.unauthorized()
        return render_error(
            400, _l("This form has expired or was sent from elsewhere. Please reload the page and try again.")
        )

    @app.errorhandler(UndecodableInput)
    def undecodable_input(error):
        return render_error(400, error.description)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if database_unavailable(error):  # raised before a view ran (the session's look-up)
            return outage_response(error)
        if error.response is not None:  # a view's own answer (a 429 that says when to retry)
            return error.response
        body, code = render_error(error.code or 500, _retry_message() if error.code == 429 else None)
        headers = {}
        if getattr(error, "valid_methods", None):  # 405 keeps its Allow header (RFC 9110)
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return body, code, headers

    @app.errorhandler(DomainError)
    def domain_error(error):
        return render_domain_error(error)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        from .database import WriteDuringRead

        if isinstance(error, WriteDuringRead):
            raise error  # the suite's guard: fail the test, not a page it may not look at
        if database_unavailable(error):
            return outage_response(error)
        app.logger.exception("Unhandled error", exc_info=error)
        return render_error(500)
