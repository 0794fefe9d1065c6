"""Login back-off that holds guessers back without locking the owner out.

Per-address limits (LOGIN_RATE_LIMIT, Flask-Limiter; an IPv6 /64 is one address) stay
strict. On top of them, each account counts its failures, and past the first few every
failure doubles a wait (2 s … 15 min) during which the account's password is not checked —
but only for browsers that are not known to the account:

- A *known device* (a browser the account signed in from before; it holds a signed
  `smallb_device` cookie naming the account) is never held by the account's wait: only by
  its own failures. Someone else's guessing, however long, never keeps the owner out on
  her own phone, even after she mistyped.
- An unknown browser is heard while its address has failed fewer than PAIR_FREE times on
  the account and the account has had fewer than UNTRUSTED_CEILING failures (the owner on a
  new phone, who mistyped once). Past either, it waits the account's wait: guessing spread
  over many addresses gets UNTRUSTED_CEILING checked guesses, then one per wait.

This is OWASP's "device cookie" scheme. Counters live in the limiter's storage (Redis when
REDIS_URL is set), so every process sees the same waits.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import secrets
import time

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import limiter

log = logging.getLogger(__name__)


def fail_open(default):
    """Counters in the limiter's storage (Redis when REDIS_URL is set): if it is down, log
    and carry on with `default`, and leave it alone for a while (the per-address limits
    fall back to memory meanwhile), so logging in and resets still work."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            global _storage_down_until
            if time.monotonic() < _storage_down_until:
                return default  # failed a moment ago: don't make every login wait on it
            try:
                return function(*args, **kwargs)
            except Exception as error:  # the storage's own errors differ by backend
                log.warning("%s skipped for %s s, its storage failed: %s", function.__name__,
                            STORAGE_PAUSE_SECONDS, error)
                _storage_down_until = time.monotonic() + STORAGE_PAUSE_SECONDS
                return default
        return wrapper
    return decorate


STORAGE_PAUSE_SECONDS = 30
_storage_down_until = 0.0

FREE_FAILURES = 5  # failures (on an account, or of one known device) before any wait
FIRST_WAIT_SECONDS = 2
MAX_WAIT_SECONDS = 15 * 60
WINDOW_SECONDS = 24 * 60 * 60  # failures are forgotten a day after the last burst began
PAIR_FREE = 2  # failures one unknown address may make on an account and still be heard
UNTRUSTED_CEILING = 30  # account failures after which every unknown browser waits
DEVICE_COOKIE = "smallb_device"
DEVICE_DAYS = 365
DEVICE_ACCOUNTS = 8  # a shared phone: the last few accounts that signed in on it


def backoff_seconds(failures: int) -> int:
    """The wait after the n-th failure: 0 for the first few, then 2 s, 4 s, 8 s … up to
    15 minutes."""
    if failures <= FREE_FAILURES:
        return 0
    return min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** min(failures - FREE_FAILURES - 1, 20))


def _digest(account: str) -> str:
    # Keyed: the cookie must not let anyone test which accounts used this phone.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, account.encode(), hashlib.sha256).hexdigest()[:32]


def _keys(account: str, address: str, device: str | None) -> dict[str, str]:
    digest = hashlib.sha256(account.encode()).hexdigest()[:32]  # any text the attacker typed
    return {"failures": f"smallb-login-failures/{digest}", "wait": f"smallb-login-wait/{digest}",
            "pair": f"smallb-login-pair/{digest}/{address}",
            "device": f"smallb-login-device/{digest}/{device}"}


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="smallb-device")


def _device_cookie() -> dict:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def known_device(account: str) -> str | None:
    """This browser's device id when the account signed in from it before, else None."""
    cookie = _device_cookie()
    accounts = cookie.get("a")
    if isinstance(accounts, list) and _digest(account) in accounts:
        device = cookie.get("d")
        return device if isinstance(device, str) else None
    return None


def _wait_left(storage, key: str) -> int:
    return max(0, math.ceil(storage.get_expiry(key) - time.time())) if storage.get(key) else 0


@fail_open(0)
def wait_seconds(account: str, address: str) -> int:
    """How long this browser must wait before the account's password is checked again."""
    if not _enabled():
        return 0
    storage = limiter.storage
    device = known_device(account)
    keys = _keys(account, address, device)
    if device is not None:
        return _wait_left(storage, keys["device"] + "/wait")
    if (storage.get(keys["pair"]) < PAIR_FREE
            and storage.get(keys["failures"]) < UNTRUSTED_CEILING):
        return 0
    return _wait_left(storage, keys["wait"])


def _arm(storage, key: str, seconds: int) -> None:
    if seconds:
        storage.clear(key)
        storage.incr(key, seconds)


@fail_open(None)
def record_failure(account: str, address: str) -> None:
    if not _enabled():
        return
    storage = limiter.storage
    device = known_device(account)
    keys = _keys(account, address, device)
    if device is not None:  # her own phone: its own count, not the account's
        _arm(storage, keys["device"] + "/wait",
             backoff_seconds(storage.incr(keys["device"], WINDOW_SECONDS)))
        return
    count = storage.incr(keys["failures"], WINDOW_SECONDS)
    storage.incr(keys["pair"], WINDOW_SECONDS)
    _arm(storage, keys["wait"], backoff_seconds(count))


@fail_open(None)
def record_success(account: str, address: str) -> None:
    """The owner got in: this address and device start afresh. The account's count stays,
    so signing in does not hand an attacker elsewhere a fresh set of free guesses."""
    if _enabled():
        keys = _keys(account, address, known_device(account))
        for key in (keys["pair"], keys["device"], keys["device"] + "/wait"):
            limiter.storage.clear(key)


def remember_device(response, account: str) -> None:
    """Mark this browser as a known device of the account (after a successful sign-in)."""
    cookie = _device_cookie()
    device = cookie.get("d") if isinstance(cookie.get("d"), str) else secrets.token_urlsafe(16)
    accounts = [a for a in cookie.get("a", []) if isinstance(a, str)] if isinstance(
        cookie.get("a"), list) else []
    digest = _digest(account)
    accounts = ([a for a in accounts if a != digest] + [digest])[-DEVICE_ACCOUNTS:]
    response.set_cookie(DEVICE_COOKIE, _serializer().dumps({"d": device, "a": accounts}),
                        max_age=DEVICE_DAYS * 24 * 3600, httponly=True, samesite="Lax",
                        secure=request.is_secure, path="/")
