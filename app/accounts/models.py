"""Users and their roles."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db


class Role(StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_login"),
        CheckConstraint("role IN ('learner', 'trainer', 'admin')", name="known_role"),
        CheckConstraint("locale IN ('zh', 'en')", name="known_locale"),
        # Admin search is a prefix match (LIKE 'q%'); on PostgreSQL only text_pattern_ops
        # indexes serve LIKE whatever the database's collation (SQLite uses range scans).
        Index("ix_users_phone_prefix", "phone", postgresql_ops={"phone": "text_pattern_ops"}),
        Index("ix_users_email_prefix", "email", postgresql_ops={"email": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    # The shop's own id for this person, for the shop API.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.LEARNER, server_default="learner")
    locale: Mapped[str] = mapped_column(String(8), default="zh", server_default="zh")
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    # Bumped on password change: every other signed-in session stops being valid.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    # Set once, when the person's data was replaced by placeholders at their request.
    anonymised_at: Mapped[datetime | None] = mapped_column()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def login_name(self) -> str:
        return self.email or self.phone or ""


# Names match whatever their case: the name index is on lower(display_name).
Index("ix_users_display_name_lower", func.lower(User.display_name).label("name_lower"),
      postgresql_ops={"name_lower": "text_pattern_ops"})


class AccountAudit(db.Model):
    """Audit of every admin action on an account: who, when, what, why."""

    __tablename__ = "account_audit"
    __table_args__ = (Index("ix_account_audit_user_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))  # role_changed, deactivated, exported, ...
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInSession(db.Model):
    """One signed-in browser: the cookie carries a random key whose SHA-256 is stored here, so
    logging out (or being signed out) ends that copy of the cookie wherever it went."""

    __tablename__ = "sign_in_sessions"
    __table_args__ = (Index("ix_sign_in_sessions_user_id", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    # Words, not the raw header or address: "iphone"/"wechat", and the network part only.
    device: Mapped[str] = mapped_column(String(16), default="unknown")
    browser: Mapped[str] = mapped_column(String(16), default="unknown")
    network: Mapped[str] = mapped_column(String(64), default="")


class PasswordReset(db.Model):
    """A one-time link to set a new password: mailed to the person, or handed over by their
    mentor or an admin. Single use is the UPDATE … WHERE used_at IS NULL, not a check."""

    __tablename__ = "password_resets"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'handover')", name="known_channel"),
        Index("ix_password_resets_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Bound to the password it replaces: any password change makes older links useless.
    password_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
