"""Tokens: create (shown once), check (hashed, scoped, revocable, expiring)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db
from .models import ApiToken

SCOPES = ("tiers:read", "certificates:read")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, scopes: list[str], created_by_id: int | None = None,
                 expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}")
    plain = "sbk_" + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=plain[:12], token_hash=_hash(plain), scopes=sorted(set(scopes)),
                     created_by_id=created_by_id,
                     expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None)
    db.session.add(token)
    db.session.flush()
    return token, plain


def check_token(header: str | None) -> ApiToken | None:
    """The live token behind an `Authorization: Bearer ...` header, else None."""
    if not header or not header.startswith("Bearer "):
        return None
    plain = header[len("Bearer "):].strip()
    if not plain or len(plain) > 200:
        return None
    token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _hash(plain))).scalar_one_or_none()
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at < now):
        return None
    return token


def revoke_token(prefix: str) -> int:
    tokens = list(db.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix,
                                                            ApiToken.revoked_at.is_(None))))
    for token in tokens:
        token.revoked_at = utcnow()
    return len(tokens)
