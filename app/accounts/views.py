"""Registration, login, logout, profile and the language switcher."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter, login_manager
from ..referrals import services as referrals
from ..signin import page_to_come_back_to
from .forms import LanguageForm, LoginForm, PasswordForm, ProfileForm, RegisterForm
from .services import (AccountError, authenticate, change_password, load_session_user,
                       parse_login_name, register_user, update_profile)

bp = Blueprint("accounts", __name__)

ERRORS = {
    "bad_login": _l("Enter a mobile phone number (e.g. 138 0013 8000) or an email address."),
    "no_name": _l("Please enter your name."),
    "too_short": _l("The password needs at least 8 characters."),
    "too_long": _l("The password can have at most 128 characters."),
    "too_common": _l("This password is too common and easy to guess. Please choose another."),
    "personal": _l("The password must not contain your phone number, email or name."),
    "taken": _l("This phone number or email is already registered. Please log in instead."),
    "wrong_password": _l("The current password is not right."),
    "code_required": _l("You need an invite code from your mentor to sign up."),
    "unknown_code": _l("We don't know this invite code. Please check it with your mentor."),
    "inactive_code": _l("This invite code is no longer active. Please ask your mentor or another mentor for a new one."),
    "self_invite": _l("You cannot invite yourself."),
}
LOGIN_FAILED = _l("Wrong phone number/email or password.")


@login_manager.user_loader
def load_user(session_id: str):
    return load_session_user(session_id)


def safe_next(target: str | None) -> str | None:
    """Only a page on this site: never another host, scheme or protocol-relative URL, and never
    an action that only takes POST (its nearest page instead, or None)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return None
    return page_to_come_back_to(target)


def _login_key() -> str:
    login = parse_login_name(request.form.get("login", ""))
    return "login:" + (login.value if login else request.form.get("login", "")[:64].lower())


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _login_limit(), methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: _login_limit(), methods=["POST"], deduct_when=_failed, key_func=_login_key)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("learning.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user is not None:
            session.permanent = True
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("learning.home"))
        flash(LOGIN_FAILED, "error")
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("accounts/login.html", form=form), status


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


def _invite_key() -> str:
    return "invite:" + referrals.normalize_code(request.form.get("invite_code"))[:12]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
# A burst of sign-ups under one code is throttled (and flagged on the admin tree view).
@limiter.limit("30 per hour", methods=["POST"], key_func=_invite_key,
               exempt_when=lambda: not referrals.normalize_code(request.form.get("invite_code")))
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
            mentor = referrals.mentor_for_code(form.invite_code.data,
                                               current_app.config["INVITE_REQUIRED"])
            user = register_user(form.login.data, form.display_name.data, form.password.data,
                                 locale=form.language.data)
            referrals.place_user(user, mentor)
            db.session.commit()
        except (AccountError, referrals.ReferralError) as error:
            db.session.rollback()
            field = form.password if error.code in {"too_short", "too_long", "too_common", "personal"} \
                else form.display_name if error.code == "no_name" \
                else form.invite_code if error.code in referrals.CODE_ERRORS else form.login
            field.errors = [*field.errors, ERRORS[error.code]]
            status = 400
        else:
            session.permanent = True
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("learning.home"))
    elif form.is_submitted():
        status = 400
    return render_template("accounts/register.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("learning.home"))


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
                db.session.commit()
                flash(_l("Saved."), "success")
                return redirect(url_for("accounts.account"))
            except AccountError as error:
                profile.display_name.errors = [ERRORS[error.code]]
        status = 400
    else:
        if password.validate_on_submit():
            try:
                change_password(current_user, password.current_password.data,
                                password.new_password.data)
                db.session.commit()
                login_user(current_user._get_current_object())  # this session stays valid
                flash(_l("Your password was changed. Other devices are signed out."), "success")
                return redirect(url_for("accounts.account"))
            except AccountError as error:
                target = password.current_password if error.code == "wrong_password" \
                    else password.new_password
                target.errors = [ERRORS[error.code]]
        status = 400
        if request.method == "POST":
            profile.display_name.data = current_user.display_name
            profile.language.data = current_user.locale
    return render_template("accounts/account.html", profile=profile, password=password), status


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        return redirect(url_for("learning.home")), 303
    session["lang"] = form.language.data
    if current_user.is_authenticated:
        current_user.locale = form.language.data
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("learning.home"), 303)
