"""Server-side sign-in sessions: one row per signed-in browser, ended by logout or from afar."""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ..clock import utcnow
from ..extensions import db
from .models import SignInSession, User

# The Flask session key that holds the browser's sign-in key (the row stores its SHA-256).
SESSION_KEY = "signin"
# last_seen_at is recorded at most this often per session (or a quarter of the idle timeout).
TOUCH_EVERY = timedelta(minutes=5)
log = logging.getLogger(__name__)


def now() -> datetime:
    """The clock sessions are judged by (naive UTC); tests replace it."""
    return utcnow()


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def idle_timeout() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def max_lifetime() -> timedelta:
    return timedelta(days=current_app.config["SESSION_MAX_DAYS"])


def start_session(user: User, user_agent: str | None, address: str | None) -> str:
    """Record a new sign-in and return the key for the cookie (the caller commits)."""
    key = secrets.token_urlsafe(32)
    device, browser = describe_user_agent(user_agent or "")
    at = now()
    db.session.add(SignInSession(key_hash=key_hash(key), user_id=user.id, created_at=at,
                                 last_seen_at=at, device=device, browser=browser,
                                 network=network_of(address)))
    return key


def is_live(signin: SignInSession, at: datetime | None = None) -> bool:
    at = at or now()
    return (signin.revoked_at is None and at - signin.last_seen_at <= idle_timeout()
            and at - signin.created_at <= max_lifetime())


def live_session(user: User, key: str | None) -> SignInSession | None:
    """The user's session this cookie key names, if it has not been ended or timed out."""
    if not key or not isinstance(key, str):
        return None
    signin = db.session.scalar(select(SignInSession).where(SignInSession.key_hash == key_hash(key)))
    if signin is None or signin.user_id != user.id or not is_live(signin):
        return None
    return signin


def live_session_user(session_id: str, key: str | None) -> tuple[User, SignInSession] | None:
    """The cookie's user and her live sign-in session, in one query (every signed-in request
    asks this): the session row by its key, its user joined, the cookie's session version
    checked."""
    user_id, _, version = (session_id or "").partition(".")
    if not (user_id.isdigit() and version.isdigit()) or not key or not isinstance(key, str):
        return None
    row = db.session.execute(
        select(User, SignInSession).join(SignInSession, SignInSession.user_id == User.id)
        .where(SignInSession.key_hash == key_hash(key), User.id == int(user_id))).first()
    if row is None:
        return None
    user, signin = row
    if user.session_version != int(version) or not is_live(signin):
        return None
    return user, signin


def record_activity(signin: SignInSession) -> None:
    """Move last_seen_at forward, at most every few minutes, without breaking "GET never writes".

    Write requests carry the stamp in their own transaction (it already holds the write lock on
    SQLite). Pages read with GET must not write in theirs, so the stamp goes through a separate
    connection in a short transaction of its own: BEGIN IMMEDIATE on SQLite with a busy timeout
    of a fifth of a second, a lock timeout as short on PostgreSQL. If the database is busy the
    stamp is skipped and logged; the page never waits long and never fails because of it.
    """
    from ..database import request_writes, write_aside

    at = now()
    interval = min(TOUCH_EVERY, idle_timeout() / 4)
    if at - signin.last_seen_at < interval:
        return
    if request_writes():
        signin.last_seen_at = at
        return
    statement = (update(SignInSession).where(SignInSession.id == signin.id,
                                             SignInSession.last_seen_at < at)
                 .values(last_seen_at=at))
    if not write_aside(statement):
        log.warning("Skipped recording sign-in activity for session %s", signin.id)


def end_session(user: User, session_id: int) -> bool:
    """Sign out one of the user's own sessions; False when there is no such live session."""
    result = db.session.execute(
        update(SignInSession).where(SignInSession.id == session_id,
                                    SignInSession.user_id == user.id,
                                    SignInSession.revoked_at.is_(None))
        .values(revoked_at=now()))
    return result.rowcount == 1


def end_session_by_key(key: str | None) -> None:
    if key and isinstance(key, str):
        db.session.execute(update(SignInSession).where(SignInSession.key_hash == key_hash(key),
                                                       SignInSession.revoked_at.is_(None))
                           .values(revoked_at=now()))


def end_all_sessions(user: User, keep_key: str | None = None) -> None:
    """Sign the user out everywhere (but for the session whose key is kept): every row is
    revoked and the session version that signed cookies carry is bumped."""
    keep = key_hash(keep_key) if keep_key else None
    condition = [SignInSession.user_id == user.id, SignInSession.revoked_at.is_(None)]
    if keep:
        condition.append(SignInSession.key_hash != keep)
    db.session.execute(update(SignInSession).where(*condition).values(revoked_at=now()))
    user.session_version += 1


def active_sessions(user: User) -> list[SignInSession]:
    """The user's live sessions, the most recently seen first."""
    at = now()
    rows = db.session.scalars(select(SignInSession).where(
        SignInSession.user_id == user.id, SignInSession.revoked_at.is_(None),
        SignInSession.created_at >= at - max_lifetime(),
        SignInSession.last_seen_at >= at - idle_timeout())
        .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc()))
    return list(rows)


_DEVICES = [("ipad", re.compile(r"iPad")), ("iphone", re.compile(r"iPhone|iPod")),
            ("harmony", re.compile(r"HarmonyOS|OpenHarmony")), ("android", re.compile(r"Android")),
            ("windows", re.compile(r"Windows")), ("mac", re.compile(r"Macintosh|Mac OS X")),
            ("linux", re.compile(r"Linux|X11|CrOS"))]
_BROWSERS = [("wechat", re.compile(r"MicroMessenger")), ("qq", re.compile(r"M?QQBrowser|QQ/")),
             ("uc", re.compile(r"UCBrowser|UCWEB")), ("edge", re.compile(r"Edg(e|A|iOS)?/")),
             ("firefox", re.compile(r"Firefox/|FxiOS/")),
             ("chrome", re.compile(r"Chrome/|CriOS/|Chromium/")), ("safari", re.compile(r"Safari/"))]


def describe_user_agent(user_agent: str) -> tuple[str, str]:
    """(device, browser) as short codes the account page puts into words; never the header."""
    device = next((name for name, pattern in _DEVICES if pattern.search(user_agent)), "unknown")
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "unknown")
    return device, browser


def network_of(address: str | None) -> str:
    """The network part of an address (IPv4 /24, IPv6 /48): enough to tell places apart in
    words, not enough to identify the line. Empty when there is no usable address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def network_kind(network: str) -> str:
    """"loopback", "private" or "public" (what the address class says; no geography)."""
    try:
        net = ipaddress.ip_network(network)
    except ValueError:
        return "unknown"
    if net.is_loopback:
        return "loopback"
    if net.is_private or net.is_link_local:
        return "private"
    return "public"


def network_label(network: str) -> str:
    """How the network is shown: 203.0.113.* for IPv4, the /48 for IPv6."""
    if network.endswith(".0/24"):
        return network[:-len("0/24")] + "*"
    return network
