"""Quizzes, their immutable versions, attempts and autosaved answers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint,
                        func, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db


class Quiz(db.Model):
    """The quiz at the end of a module; its content lives in versions."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), unique=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_versions.id", use_alter=True, name="fk_quizzes_current_version"))
    hidden: Mapped[bool] = mapped_column(default=False)

    current_version: Mapped[QuizVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True)


class QuizVersion(db.Model):
    """Never edited once written: attempts point at the version they started with."""

    __tablename__ = "quiz_versions"
    __table_args__ = (UniqueConstraint("quiz_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)  # settings, intro, questions with the key
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    @property
    def settings(self) -> dict:
        return self.content["settings"]

    def question(self, question_id: str) -> dict | None:
        return next((q for q in self.content["questions"] if q["id"] == question_id), None)


class Attempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "quiz_id", "number"),
        CheckConstraint("state IN ('open', 'graded')", name="known_state"),
        # One open attempt per learner and quiz, whatever races happen.
        Index("uq_quiz_attempts_one_open", "user_id", "quiz_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_versions.id"))
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(8), default="open")
    # Drawn questions in shown order, and each question's option order: fixed per attempt.
    layout: Mapped[dict] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    score: Mapped[float | None] = mapped_column()
    max_score: Mapped[float | None] = mapped_column()
    percent: Mapped[float | None] = mapped_column()
    passed: Mapped[bool | None] = mapped_column()
    result: Mapped[dict | None] = mapped_column(JSON)  # per question: points, correct, late

    version: Mapped[QuizVersion] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(back_populates="attempt")


class AttemptAnswer(db.Model):
    __tablename__ = "quiz_answers"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    # The answer that counts; its shape depends on the question type (see grading.py).
    response: Mapped[dict | None] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Arrived after the time limit and its grace: kept, but never marked.
    late_response: Mapped[dict | None] = mapped_column(JSON)
    late_saved_at: Mapped[datetime | None] = mapped_column()

    attempt: Mapped[Attempt] = relationship(back_populates="answers")


class AttemptGrant(db.Model):
    """One more attempt given to a learner who used all of a quiz's attempts: who, when, why.

    Unique per (quiz, learner, attempts used when granted): two people pressing the button at
    once give one attempt, not two.
    """

    __tablename__ = "quiz_attempt_grants"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "after_attempts"),
        CheckConstraint("granted_by_id <> user_id", name="not_own_grant"),
        CheckConstraint("length(reason) > 0", name="has_reason"),
        CheckConstraint("after_attempts > 0", name="after_some_attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    after_attempts: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
