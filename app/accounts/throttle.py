"""Per-account login back-off: growing waits for the addresses that keep failing, none for others.

Per-address limits (LOGIN_RATE_LIMIT, Flask-Limiter) stay strict. On top of them each account
counts its failures; past the first few, every failure doubles a wait during which the account's
password is not checked *from an address that has failed on it*. An address with no failures
on the account is always heard, so someone else's guessing never keeps the owner out; a wrong
password from it makes it a failing address like the others. Counters live in the limiter's
storage (Redis when REDIS_URL is set), so every process sees the same waits.
"""
from __future__ import annotations

import hashlib
import math
import time

from flask import current_app

from ..extensions import limiter

FREE_FAILURES = 5  # failures on an account before any wait
FIRST_WAIT_SECONDS = 2
MAX_WAIT_SECONDS = 15 * 60
WINDOW_SECONDS = 24 * 60 * 60  # failures are forgotten a day after the last burst began


def backoff_seconds(failures: int) -> int:
    """The wait after the account's n-th failure: 0 for the first few, then 2 s, 4 s, 8 s …
    up to 15 minutes."""
    if failures <= FREE_FAILURES:
        return 0
    return min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** min(failures - FREE_FAILURES - 1, 20))


def _keys(account: str, address: str) -> tuple[str, str, str]:
    digest = hashlib.sha256(account.encode()).hexdigest()[:32]  # any text the attacker typed
    return (f"smallb-login-failures/{digest}", f"smallb-login-wait/{digest}",
            f"smallb-login-pair/{digest}/{address}")


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def wait_seconds(account: str, address: str) -> int:
    """How long this address must wait before the account's password is checked again."""
    if not _enabled():
        return 0
    storage = limiter.storage
    _failures, wait, pair = _keys(account, address)
    if not storage.get(pair) or not storage.get(wait):
        return 0
    return max(0, math.ceil(storage.get_expiry(wait) - time.time()))


def record_failure(account: str, address: str) -> None:
    if not _enabled():
        return
    storage = limiter.storage
    failures, wait, pair = _keys(account, address)
    count = storage.incr(failures, WINDOW_SECONDS)
    storage.incr(pair, WINDOW_SECONDS)
    seconds = backoff_seconds(count)
    if seconds:
        storage.clear(wait)
        storage.incr(wait, seconds)


def record_success(account: str, address: str) -> None:
    """The owner got in from this address: it is no longer a failing one. The account's count
    stays, so signing in does not hand an attacker elsewhere a fresh set of free guesses."""
    if _enabled():
        limiter.storage.clear(_keys(account, address)[2])
