"""Per-attempt opaque ids for options and order steps, so a page never shows the key's order.

Stored responses keep the author's ids ("a", "b", … in file order, which for order questions
is the right order); the browser only ever sees HMAC-SHA256(server key, attempt, question,
option) cut to 16 hex digits, and the server maps those back.
"""
from __future__ import annotations

import hashlib
import hmac

# New attempts carry this in their layout; older ones (without it) also accept the author's
# ids, so a page opened before the change still saves and submits.
SCHEME = "hmac-sha256-16"
_LABEL = b"smallb quiz option ids v1"


def derive_key(secret: str | bytes) -> bytes:
    """A key for option ids only, derived from the app's secret (never the secret itself)."""
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, _LABEL, hashlib.sha256).digest()


def public_id(key: bytes, attempt_id: int, question_id: str, option_id: str) -> str:
    message = f"{attempt_id}\x1f{question_id}\x1f{option_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def choices_of(question: dict) -> list[dict]:
    return question.get("options") or question.get("items") or []


def public_ids(key: bytes, attempt_id: int, question: dict) -> dict[str, str]:
    """Author's option id -> the id this attempt's page shows."""
    return {choice["id"]: public_id(key, attempt_id, question["id"], choice["id"])
            for choice in choices_of(question)}


def to_author_ids(key: bytes, attempt_id: int, question: dict, raw, legacy: bool):
    """Map the ids a page sent back to the author's; unknown ids are left for the checks to refuse.

    raw is a string or a list of strings (as a form or JSON sends them). Text and numeric
    answers pass through untouched.
    """
    if question["type"] not in ("single", "truefalse", "multiple", "order"):
        return raw
    back = {shown: mine for mine, shown in public_ids(key, attempt_id, question).items()}
    if legacy:
        back.update({choice["id"]: choice["id"] for choice in choices_of(question)})

    def one(value):
        if not isinstance(value, str) or not value:
            return value
        return back.get(value, "\x00unknown")  # never an author id: refused as unknown_option

    return [one(v) for v in raw] if isinstance(raw, list) else one(raw)
