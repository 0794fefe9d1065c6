"""Authoring: who may edit a course, its draft files, its published versions, stored images.

A course is authored as files in the courses/ format (docs/course-format.md). The draft is
the working copy of those files; publishing checks them, imports them into the learner-facing
rows (learning, quizzes) and freezes them as an immutable CourseVersion.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, LargeBinary, String, Text,
                        UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db


class CourseGrant(db.Model):
    """A trainer may edit a course they own or were granted; admins edit every course."""

    __tablename__ = "course_grants"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint("kind IN ('owner', 'editor')", name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="editor")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class DraftFile(db.Model):
    """One text file of a course's draft. `revision` is the optimistic lock: every save
    names the revision it was based on, and a save based on an older one is refused."""

    __tablename__ = "draft_files"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))  # relative to the course folder
    text: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DraftAsset(db.Model):
    """An image in the draft: its path in the course folder and the stored bytes' digest."""

    __tablename__ = "draft_assets"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"))


class CourseVersion(db.Model):
    """A published course, frozen: every file's text and every image's digest."""

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int]
    files: Mapped[dict] = mapped_column(JSON)  # {path: text}
    assets: Mapped[dict] = mapped_column(JSON, default=dict)  # {path: sha256}
    digest: Mapped[str] = mapped_column(String(64))  # of files and assets together
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    source: Mapped[str] = mapped_column(String(16), default="editor")  # editor | files | zip


class StoredFile(db.Model):
    """An uploaded image, content-addressed; its bytes live in the configured storage."""

    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredBlob(db.Model):
    """The bytes themselves, for the database storage backend (the embedded default)."""

    __tablename__ = "stored_blobs"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StagedImport(db.Model):
    """An uploaded course zip waiting for the trainer to confirm its preview."""

    __tablename__ = "staged_imports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, unguessable
    course_slug: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    files: Mapped[dict] = mapped_column(JSON)
    assets: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column()
