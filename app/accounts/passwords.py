"""Password rules (pure) and hashing with a slow KDF (Argon2id; older scrypt hashes verify)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

MIN_LENGTH = 8
MAX_LENGTH = 128
# Argon2id at OWASP's first recommended setting (Password Storage Cheat Sheet: m=19 MiB,
# t=2, p=1). About 30 ms of one core here, where the scrypt it replaces (Werkzeug's
# N=2^15, below OWASP's N=2^17 minimum) took 125 ms and N=2^17 would take 510 ms: a burst
# of sign-ups on 2 cores queued for up to a minute behind those (bench/signup_burst.py).
ARGON2 = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32,
                        salt_len=16, type=Type.ID)
# A fixed hash to compare against when the account does not exist, so that unknown
# users and wrong passwords take the same time.
_DUMMY_HASH = ARGON2.hash("smallb-academy-timing-equaliser")


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
    return ARGON2.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if password_hash is None or password_hash.startswith("$argon2"):
        try:
            return ARGON2.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False
    # Hashes made before Argon2 (Werkzeug's `scrypt:…`): verified as they are, and replaced
    # at the next successful login (password_needs_rehash).
    return check_password_hash(password_hash, password)


def password_needs_rehash(password_hash: str) -> bool:
    """True for a hash made with another KDF or other parameters than ARGON2's."""
    if not password_hash.startswith("$argon2"):
        return True
    try:
        return ARGON2.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
