"""Password rules (pure) and hashing with a slow KDF (scrypt, via Werkzeug)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8
MAX_LENGTH = 128
# A fixed hash to compare against when the account does not exist, so that unknown
# users and wrong passwords take the same time.
_DUMMY_HASH = generate_password_hash("smallb-academy-timing-equaliser")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords plus those common among Chinese users."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    extra = (Path(__file__).with_name("common_passwords_zh.txt")).read_text().split()
    return frozenset(p.lower() for p in (*FREQUENCY_LISTS["passwords"], *extra))


def password_problem(password: str, *personal: str) -> str | None:
    """Why a password is refused (an untranslated key), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 3:
        return "too_common"
    if any(p and p.lower() in lowered for p in personal if p and len(p) >= 4):
        return "personal"
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _DUMMY_HASH, password) and password_hash is not None
