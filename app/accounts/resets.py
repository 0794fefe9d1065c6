"""Password resets: a one-time link by email, or handed over by the person's mentor or an admin."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from .. import mail, transactions
from ..urls import public_url
from ..config import DEFAULT_LANGUAGE, LANGUAGES
from ..extensions import db
from . import signins, throttle
from .administration import audit, clean_reason
from .models import PasswordReset, Role, User
from .passwords import hash_password, password_problem
from .errors import account_errors
from .services import find_user, parse_login_name

EMAIL_LINK_LIFETIME = timedelta(minutes=30)
RESET_MAILS_PER_HOUR = 3  # per account, whoever asks
log = logging.getLogger(__name__)


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does: a link made before a change no longer fits."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()


def _issue(user: User, channel: str, lifetime: timedelta, issued_by: User | None = None) -> str:
    key = secrets.token_urlsafe(32)
    at = signins.now()
    db.session.add(PasswordReset(key_hash=signins.key_hash(key), user_id=user.id, channel=channel,
                                 issued_by_id=issued_by.id if issued_by else None,
                                 password_fingerprint=password_fingerprint(user),
                                 created_at=at, expires_at=at + lifetime))
    return key


@throttle.fail_open(True)  # Redis down: send (the per-address limit still holds)
def _mail_budget_left(user: User) -> bool:
    from limits import parse

    from ..extensions import limiter

    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    return limiter.limiter.hit(parse(f"{RESET_MAILS_PER_HOUR}/hour"), "smallb-reset-mail",
                               str(user.id))


def _can_reset(user: User | None) -> bool:
    return user is not None and user.active and user.anonymised_at is None


def request_reset_by_email(raw_login: str) -> None:
    """What the "forgot password" page does for any input: hand it to the background and
    return. Whether an account exists is decided off the request, so the page cannot show it
    by its answer or by its timing."""
    mail.run_in_background(current_app._get_current_object(), send_reset_mail, raw_login)


def send_reset_mail(raw_login: str) -> None:
    """Mail a 30-minute reset link to the account with this email address, if there is one."""
    login = parse_login_name(raw_login)
    if login is None or login.kind != "email":
        return  # phone numbers: the mentor or an admin hands over a link
    user = find_user(login)
    if not _can_reset(user):
        return
    config = current_app.config
    if not mail.mail_configured(config):
        log.warning("Password reset asked for user %s, but MAIL_SERVER is not set", user.id)
        return
    if not _mail_budget_left(user):
        # Quietly: the page said "check your mail" as it does for everyone; a stranger who
        # keeps asking neither floods her inbox nor blocks her own request with a 429.
        log.info("Reset mail for user %s skipped: %s already sent this hour", user.id,
                 RESET_MAILS_PER_HOUR)
        return
    key = _issue(user, "email", EMAIL_LINK_LIFETIME)
    transactions.commit()  # this background job is its own unit: the key exists before the mail
    _mail_person(user, "reset", lambda: gettext("Set a new password"),
                 link=public_url("accounts.reset_password", key=key),
                 minutes=int(EMAIL_LINK_LIFETIME.total_seconds() // 60))


MAILS = {"reset": "password-reset mail", "password_changed": "password-changed notice"}


def _mail_person(user: User, template: str, subject, **values) -> None:
    """Mail accounts/email/<template>.txt and .html to the person, in her language; a mail
    server that fails is logged, never raised (this runs off the request)."""
    config = current_app.config
    # Rendered in a request context of its own (templates, the person's language); the
    # database work ran outside it, as a background write should. Links in it come from
    # PUBLIC_BASE_URL, never from the Host of the request that asked.
    with current_app.test_request_context(base_url=config["PUBLIC_BASE_URL"]), \
            force_locale(LANGUAGES.get(user.locale, LANGUAGES[DEFAULT_LANGUAGE])):
        values["name"] = user.display_name
        message = mail.build_message(config, user.email, subject(),
                                     render_template(f"accounts/email/{template}.txt", **values),
                                     render_template(f"accounts/email/{template}.html", **values))
    try:
        mail.send_message(config, message)
    except (OSError, mail.smtplib.SMTPException) as error:
        log.error("Could not send the %s for user %s: %s", MAILS[template], user.id, error)


def issue_handover_link(person: User, actor: User, reason: str) -> tuple[str, PasswordReset]:
    """A reset link for the person's mentor or an admin to pass on (audited)."""
    reason = clean_reason(reason)
    if not _can_reset(person):
        raise account_errors("reset_unavailable")
    # A mentee can be made a trainer or an admin; her mentor's link would then take over a
    # staff account. Only an admin hands over a link to anyone but a learner.
    if person.role != Role.LEARNER and not actor.has_role(Role.ADMIN):
        raise account_errors("reset_staff_account")
    # Someone with an email address resets her password herself, by mail. A mentor's link
    # would let the mentor into her account (and her quizzes, which raise the mentor's tier).
    if person.email and not actor.has_role(Role.ADMIN):
        raise account_errors("reset_use_email")
    hours = current_app.config["PASSWORD_RESET_HANDOVER_HOURS"]
    key = _issue(person, "handover", timedelta(hours=hours), issued_by=actor)
    audit(person.id, actor, "reset_link_issued", reason, hours=hours)
    reset = db.session.scalar(select(PasswordReset).where(
        PasswordReset.key_hash == signins.key_hash(key)))
    return public_url("accounts.reset_password", key=key), reset


def usable_reset(key: str) -> PasswordReset | None:
    """The reset this link names, if it is unused, unexpired and fits the current password."""
    if not key or len(key) > 100:
        return None
    reset = db.session.scalar(select(PasswordReset).where(
        PasswordReset.key_hash == signins.key_hash(key)))
    if reset is None or reset.used_at is not None or reset.expires_at <= signins.now():
        return None
    user = db.session.get(User, reset.user_id)
    if not _can_reset(user) or not hmac.compare_digest(reset.password_fingerprint,
                                                       password_fingerprint(user)):
        return None
    return reset


def complete_reset(key: str, new_password: str) -> User:
    """Set the new password through a reset link, once; every session of the person ends."""
    reset = usable_reset(key)
    if reset is None:
        raise account_errors("reset_invalid")
    user = db.session.get(User, reset.user_id)
    problem = password_problem(new_password, user.login_name.split("@")[0].lstrip("+"),
                               user.display_name)
    if problem:
        raise account_errors(problem)  # the link stays usable: nothing was spent
    at = signins.now()
    # Single use is this UPDATE: of two requests racing with one link only one gets the row.
    spent = db.session.execute(
        update(PasswordReset).where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None),
                                    PasswordReset.expires_at > at)
        .values(used_at=at).returning(PasswordReset.id)).first()
    if spent is None:  # nothing written: the other request has it
        raise account_errors("reset_invalid")
    user.password_hash = hash_password(new_password)
    signins.end_all_sessions(user)
    audit(user.id, None, "password_reset", "", channel=reset.channel,
          issued_by=reset.issued_by_id)
    if reset.channel == "handover" and user.email:
        # Someone else held the link: tell the owner, where she reads it, that it was used
        # (once the new password is committed).
        transactions.on_commit(mail.run_in_background, current_app._get_current_object(),
                               send_changed_notice, user.id, reset.issued_by_id)
    return user


def send_changed_notice(user_id: int, issued_by_id: int | None) -> None:
    """Mail "your password was changed with a link X made" (hand-over links only)."""
    user, config = db.session.get(User, user_id), current_app.config
    issuer = db.session.get(User, issued_by_id) if issued_by_id else None
    if user is None or not user.email or not mail.mail_configured(config):
        return
    _mail_person(user, "password_changed", lambda: gettext("Your password was changed"),
                 by=issuer.display_name if issuer else "",
                 link=public_url("accounts.forgot_password"))
