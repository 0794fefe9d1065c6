"""Certificates: one per learner and course (until an admin re-issues a revoked one)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # Automatic issuing only ever writes generation 1: a twin insert is ignored.
        UniqueConstraint("user_id", "course_id", "generation"),
        # At most one valid certificate per learner and course, whatever races happen.
        Index("uq_certificates_one_valid", "user_id", "course_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"),
              postgresql_where=text("revoked_at IS NULL")),
        CheckConstraint("generation >= 1", name="generation_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # >= 128 random bits, URL-safe
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    generation: Mapped[int] = mapped_column(default=1)
    # What the certificate says, fixed when it was issued (later renames don't rewrite it).
    learner_name: Mapped[str] = mapped_column(String(64))
    course_title: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def valid(self) -> bool:
        return self.revoked_at is None


class StatusList(db.Model):
    """One published Bitstring Status List (status.py): the key that places certificates'
    bits in it, and the signed list credential as last published (refreshed on revoke)."""
    __tablename__ = "status_lists"
    __table_args__ = (CheckConstraint("purpose = 'revocation'", name="known_purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the list number
    purpose: Mapped[str] = mapped_column(String(16), default="revocation")
    secret: Mapped[bytes] = mapped_column(LargeBinary(32))  # the position permutation's key
    credential: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    revision: Mapped[int] = mapped_column(default=0)  # the ETag: bumped on every re-signing
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()
