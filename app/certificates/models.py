"""Certificates: one per learner and course (until an admin re-issues a revoked one)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint,
                        text)
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import utcnow
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
