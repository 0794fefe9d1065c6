"""Registration, login, logout, sign-in sessions, password reset, profile, language."""
from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, make_response, redirect,
                   render_template, request, session, url_for)
from flask_babel import format_time, format_timedelta, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from .. import transactions
from ..addresses import client_address
from ..domain_errors import DomainError
from ..errors import render_error
from ..extensions import limiter, login_manager
from ..logs import remember_user
from ..mail import mail_configured
from ..signin import page_to_come_back_to
from . import resets, signins, throttle
from .forms import (ForgotPasswordForm, LanguageForm, LoginForm, PasswordForm, ProfileForm,
                    RegisterForm, ResetPasswordForm)
from .services import (INVITE_CODE_ERRORS, authenticate, change_password,
                       normalize_code, parse_login_name, sign_up,
                       update_profile)

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = _l("Wrong phone number/email or password.")
DEVICE_NAMES = {"iphone": _l("iPhone"), "ipad": _l("iPad"), "android": _l("Android phone"),
                "harmony": _l("HarmonyOS phone"), "windows": _l("Windows computer"),
                "mac": _l("Mac"), "linux": _l("Linux computer"), "unknown": _l("Unknown device")}
BROWSER_NAMES = {"wechat": _l("WeChat"), "qq": _l("QQ Browser"), "uc": _l("UC Browser"),
                 "edge": _l("Edge"), "firefox": _l("Firefox"), "chrome": _l("Chrome"),
                 "safari": _l("Safari"), "unknown": _l("a browser")}


@login_manager.user_loader
def load_user(session_id: str):
    """The cookie's user, only while its sign-in session row is live (not ended, not timed out)."""
    found = signins.live_session_user(session_id, session.get(signins.SESSION_KEY))
    if found is None:
        return None
    user, signin = found
    g.signin_id = signin.id
    signins.record_activity(signin)
    remember_user(request.environ, user.id)  # her id in the access log and the app's lines
    return user


def sign_in(user) -> None:
    """Start a sign-in session row for this browser and put its key in the cookie."""
    key = signins.start_session(user, request.user_agent.string, request.remote_addr)
    session.permanent = True
    login_user(user)
    session[signins.SESSION_KEY] = key


def sign_out() -> None:
    logout_user()
    session.pop(signins.SESSION_KEY, None)
    g.pop("signin_id", None)


def too_many_attempts(seconds: int):
    """429 that says when to try again, in the visitor's language."""
    seconds = max(1, int(seconds))
    at = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    message = gettext("Too many failed attempts. Please try again in %(wait)s (after %(time)s).",
                      wait=format_timedelta(timedelta(seconds=seconds), threshold=1.1,
                                            add_direction=False),
                      time=format_time(at, "short" if seconds >= 60 else "medium"))
    body, status = render_error(429, message)
    response = make_response(body, status)
    response.headers["Retry-After"] = str(seconds)
    return response


def safe_next(target: str | None) -> str | None:
    """Only a page on this site: never another host, scheme or protocol-relative URL, and never
    an action that only takes POST (its nearest page instead, or None)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return None
    return page_to_come_back_to(target)


def _account_name() -> str:
    """The account a form names, normalised (unknown accounts count like known ones)."""
    login = parse_login_name(request.form.get("login", ""))
    return login.value if login else request.form.get("login", "")[:64].strip().lower()


def _failed(response) -> bool:
    return response.status_code == 401


def _address_throttled(limit):
    return too_many_attempts(math.ceil(limit.reset_at - time.time()))


@bp.route("/login", methods=["GET", "POST"])
# Strict per address; per account growing waits that never hold the owner's own device
# (throttle.py).
@limiter.limit(lambda: _login_limit(), methods=["POST"], deduct_when=_failed,
               on_breach=_address_throttled)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("learning.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        account, address = _account_name(), client_address()
        wait = throttle.wait_seconds(account, address)
        if wait:
            return too_many_attempts(wait)
        user = authenticate(form.login.data, form.password.data)
        if user is not None:
            throttle.record_success(account, address)
            sign_in(user)
            response = redirect(safe_next(request.args.get("next")) or url_for("learning.home"))
            throttle.remember_device(response, account)  # her phone: never held by others' guessing
            return response
        throttle.record_failure(account, address)
        flash(LOGIN_FAILED, "error")
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("accounts/login.html", form=form), status


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


def _invite_key() -> str:
    return "invite:" + normalize_code(request.form.get("invite_code"))[:12]


@bp.route("/register", methods=["GET", "POST"])
# Sized for the moment a mentor posts her invite in a group: a group meeting shares one Wi-Fi
# or one carrier address, and a group has up to 500 members. Still a brake on scripts; bursts
# are flagged on the admin tree view.
@limiter.limit("60 per hour", methods=["POST"])
@limiter.limit("200 per hour", methods=["POST"], key_func=_invite_key,
               exempt_when=lambda: not normalize_code(request.form.get("invite_code")))
def register():
    if current_user.is_authenticated:
        return redirect(url_for("learning.home"))
    form = RegisterForm()
    if request.method == "GET":
        form.language.data = form.language.data or session.get("lang", "zh")
        form.invite_code.data = request.args.get("code") or session.get("invite_code", "")
    status = 200
    if form.validate_on_submit():
        try:
            # The invite code is checked first and the newcomer placed under her mentor in
            # this transaction, by referrals (accounts/signals.py).
            user = sign_up(form.login.data, form.display_name.data, form.password.data,
                           form.language.data, form.invite_code.data,
                           current_app.config["INVITE_REQUIRED"])
        except DomainError as error:
            transactions.rollback()
            field = form.password if error.code in {"too_short", "too_long", "too_common", "personal"} \
                else form.display_name if error.code == "no_name" \
                else form.invite_code if error.code in INVITE_CODE_ERRORS else form.login
            field.errors = [*field.errors, error.message]
            status = 400
        else:
            sign_in(user)
            return redirect(safe_next(request.args.get("next")) or url_for("learning.home"))
    elif form.is_submitted():
        status = 400
    return render_template("accounts/register.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends this browser's sign-in session in the database: a copy of the cookie stops too."""
    signins.end_session_by_key(session.get(signins.SESSION_KEY))
    sign_out()
    return redirect(url_for("learning.home"))


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    if not signins.end_session(current_user, session_id):
        abort(404)  # someone else's session looks like none
    if session_id == g.get("signin_id"):
        sign_out()
        flash(_l("You are signed out."), "success")
        return redirect(url_for("learning.home"), 303)
    flash(_l("That device is signed out."), "success")
    return redirect(url_for("accounts.account"), 303)


@bp.route("/account/sessions/end-all", methods=["POST"])
@login_required
def end_all_sessions():
    signins.end_all_sessions(current_user._get_current_object())
    sign_out()
    flash(_l("You are signed out on every device, this one too."), "success")
    return redirect(url_for("learning.home"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
# Per address only: a per-account limit answered 429 would let anyone block her own request.
# Mails per account are capped quietly where they are sent (resets.RESET_MAILS_PER_HOUR).
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    mail_enabled = mail_configured(current_app.config)
    if form.validate_on_submit():
        # The same answer for every address, known or not; the mail goes out in the background.
        resets.request_reset_by_email(form.login.data)
        return render_template("accounts/forgot_sent.html", mail_enabled=mail_enabled)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/forgot.html", form=form, mail_enabled=mail_enabled), status


@bp.route("/password/reset/<key>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def reset_password(key: str):
    form = ResetPasswordForm()
    status = 200
    if resets.usable_reset(key) is None:
        status = 410
    elif form.validate_on_submit():
        try:
            resets.complete_reset(key, form.new_password.data)
        except DomainError as error:
            if error.code == "reset_invalid":
                status = 410
            else:
                form.new_password.errors = [error.message]
                status = 400
        else:
            sign_out()
            flash(_l("Your new password is set and you are signed out everywhere. Log in with it now."),
                  "success")
            return redirect(url_for("accounts.login"), 303)
    elif form.is_submitted():
        status = 400
    response = make_response(render_template("accounts/reset.html", form=form,
                                             invalid=status == 410), status)
    response.headers["Cache-Control"] = "no-store"  # the link is a secret until it is used
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    profile = ProfileForm(prefix="profile", obj=None)
    password = PasswordForm(prefix="password")
    status = 200
    if request.method == "GET":
        profile.display_name.data = current_user.display_name
        profile.language.data = current_user.locale
    elif "profile-display_name" in request.form:
        if profile.validate_on_submit():
            try:
                update_profile(current_user, profile.display_name.data, profile.language.data)
                flash(_l("Saved."), "success")
                return redirect(url_for("accounts.account"))
            except DomainError as error:
                profile.display_name.errors = [error.message]
        status = 400
    else:
        if password.validate_on_submit():
            try:
                change_password(current_user, password.current_password.data,
                                password.new_password.data,
                                keep_session=session.get(signins.SESSION_KEY))
                login_user(current_user._get_current_object())  # this session stays valid
                flash(_l("Your password was changed. Other devices are signed out."), "success")
                return redirect(url_for("accounts.account"))
            except DomainError as error:
                target = password.current_password if error.code == "wrong_password" \
                    else password.new_password
                target.errors = [error.message]
        status = 400
        if request.method == "POST":
            profile.display_name.data = current_user.display_name
            profile.language.data = current_user.locale
    return render_template("accounts/account.html", profile=profile, password=password,
                           signins=signins.active_sessions(current_user),
                           this_session=g.get("signin_id"), describe=signins,
                           device_names=DEVICE_NAMES, browser_names=BROWSER_NAMES), status


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        return redirect(url_for("learning.home")), 303
    session["lang"] = form.language.data
    if current_user.is_authenticated:
        current_user.locale = form.language.data
    return redirect(safe_next(request.form.get("next")) or url_for("learning.home"), 303)
