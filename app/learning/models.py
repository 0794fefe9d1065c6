"""Curriculum rows keyed by stable slugs, and learner progress that survives content edits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (CheckConstraint("gating IN ('sequential', 'open')", name="known_gating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    grants_certificate: Mapped[bool] = mapped_column(default=False)
    gating: Mapped[str] = mapped_column(String(16), default="sequential")
    title: Mapped[dict] = mapped_column(JSON)  # {"zh": ..., "en": ...}
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    # A course, module or lesson gone from the files is hidden, never deleted: progress stays.
    hidden: Mapped[bool] = mapped_column(default=False)
    # Bumped by every publish in its transaction: the key of the in-process outline cache
    # (learning/services.py), so a publish is seen by every process at its next request.
    content_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow,
                                                 server_default=func.now())

    modules: Mapped[list[Module]] = relationship(back_populates="course",
                                                 order_by="Module.position")


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    hidden: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module",
                                                 order_by="Lesson.position")


class Lesson(db.Model):
    __tablename__ = "lessons"
    # Unique per course, not per module: a lesson moved to another module keeps its progress.
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False)

    module: Mapped[Module] = relationship(back_populates="lessons")
    texts: Mapped[list[LessonText]] = relationship(back_populates="lesson")


class LessonText(db.Model):
    """One language of a lesson, with its HTML rendered and sanitised at import time."""

    __tablename__ = "lesson_texts"
    __table_args__ = (
        UniqueConstraint("lesson_id", "locale"),
        CheckConstraint("locale IN ('zh', 'en')", name="known_locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(default=1)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    toc: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow,
                                                 server_default=func.now())

    lesson: Mapped[Lesson] = relationship(back_populates="texts")


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), primary_key=True,
                                           index=True)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChecklistTick(db.Model):
    """A learner ticked one item of a lesson's ```checklist.

    Keyed by the course's and lesson's slugs and the item's id, never by rows or text, so a
    tick survives re-imports, edits and a change of language; an item removed from the
    lesson keeps its row (it is only not shown). Unique, so a double click ticks once.
    """

    __tablename__ = "checklist_ticks"
    __table_args__ = (UniqueConstraint("user_id", "course_slug", "lesson_slug", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_slug: Mapped[str] = mapped_column(String(80))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    item_id: Mapped[str] = mapped_column(String(60))
    ticked_at: Mapped[datetime] = mapped_column(default=utcnow)
