"""Account rules and operations: identifiers, registration, authentication, profile."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .errors import account_errors
from .models import Role, User
from .passwords import hash_password, password_needs_rehash, password_problem, verify_password
from .signals import user_registered, user_registering
from .signins import end_all_sessions

# re.ASCII: other scripts' digits (٣, ३) are not phone digits, whatever \d says.
_CN_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$", re.ASCII)
_E164 = re.compile(r"^\+[1-9]\d{7,14}$", re.ASCII)
# What people type between digits: spaces, brackets and every kind of dash (after NFKC,
# full-width ones are already plain).
_PHONE_SEPARATORS = re.compile(r"[\s\-()\u2010-\u2015\u2212\u30fc]")


# The invite code field's problems (shown on that field of the sign-up form); the codes
# themselves belong to referrals, which refuses a sign-up with them (signals.py).
INVITE_CODE_ERRORS = frozenset({"code_required", "unknown_code", "inactive_code", "self_invite"})


def normalize_code(raw: str | None) -> str:
    """An invite code as typed or read from a poster: its letters and digits, upper case."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


@dataclass(frozen=True)
class LoginName:
    kind: str  # "email" or "phone"
    value: str


def parse_login_name(raw: str) -> LoginName | None:
    """A phone number (China mobile or +international) or an email, normalised; else None.

    NFKC first: a Chinese input method types full-width digits (１３８…), ＋ and ＠."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if "@" in text:
        try:
            email = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            return None
        return LoginName("email", email.lower())
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("00"):  # the international prefix dialled from China: 0086 …
        digits = "+" + digits[2:]
    match = _CN_MOBILE.match(digits)
    if match:
        return LoginName("phone", "+86" + match.group(1))
    if _E164.match(digits) and not digits.startswith("+86"):  # +86: mobiles only, as above
        return LoginName("phone", digits)
    return None


def find_user(login: LoginName) -> User | None:
    column = User.email if login.kind == "email" else User.phone
    return db.session.execute(select(User).where(column == login.value)).scalar_one_or_none()


def register_user(raw_login: str, display_name: str, password: str, locale: str = "zh",
                  role: str = Role.LEARNER) -> User:
    """Create an account; an accounts DomainError on an unusable identifier, password or a duplicate."""
    login = parse_login_name(raw_login)
    if login is None:
        raise account_errors("bad_login")
    display_name = " ".join(display_name.split())
    if not display_name:
        raise account_errors("no_name")
    problem = password_problem(password, login.value.split("@")[0].lstrip("+"), display_name)
    if problem:
        raise account_errors(problem)
    user = User(display_name=display_name, password_hash=hash_password(password),
                locale=locale, role=role, **{login.kind: login.value})
    try:
        with db.session.begin_nested():  # the unique constraint, not a prior lookup, decides "taken"
            db.session.add(user)
    except IntegrityError:
        raise account_errors("taken") from None
    return user


def sign_up(raw_login: str, display_name: str, password: str, locale: str,
            invite_code: str | None, invite_required: bool) -> User:
    """A newcomer's own registration, before the caller commits: the rooms above accounts
    check her invite code first (user_registering), then the account is made and placed
    (user_registered). The DomainError names what is wrong, the invite code's problems too."""
    sender = current_app._get_current_object()
    user_registering.send(sender, invite_code=invite_code, invite_required=invite_required)
    user = register_user(raw_login, display_name, password, locale=locale)
    user_registered.send(sender, user_id=user.id, invite_code=invite_code)
    return user


def create_account(raw_login: str, display_name: str, password: str, locale: str,
                   role: str) -> User:
    """An account made from the command line: no invite code, so a root of the mentor tree
    (user_registered places it), before the caller commits."""
    user = register_user(raw_login, display_name, password, locale=locale, role=role)
    user_registered.send(current_app._get_current_object(), user_id=user.id, invite_code=None)
    return user


def authenticate(raw_login: str, password: str) -> User | None:
    """The active user with this login and password, else None (same cost either way)."""
    login = parse_login_name(raw_login)
    user = find_user(login) if login else None
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.active:
        if password_needs_rehash(user.password_hash):
            # The one moment the password is known: an older hash (scrypt, or weaker
            # parameters) becomes today's, committed with the sign-in.
            user.password_hash = hash_password(password)
        return user
    return None


def load_session_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def change_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """Set a new password; every other session of the user ends (the kept one stays)."""
    if not verify_password(user.password_hash, current):
        raise account_errors("wrong_password")
    problem = password_problem(new, user.login_name.split("@")[0].lstrip("+"), user.display_name)
    if problem:
        raise account_errors(problem)
    user.password_hash = hash_password(new)
    end_all_sessions(user, keep_key=keep_session)


def update_profile(user: User, display_name: str, locale: str) -> None:
    display_name = " ".join(display_name.split())
    if not display_name:
        raise account_errors("no_name")
    user.display_name = display_name
    user.locale = locale
