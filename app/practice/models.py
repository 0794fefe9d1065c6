"""Role-play scenarios and assignments, their immutable versions, and the learners' plays,
submissions and reviews."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text,
                        UniqueConstraint,
                        func, select, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db


class Scenario(db.Model):
    """A role-play of a module (roleplay-<slug>.LANG.md); its content lives in versions."""

    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    # module.md `requires: [roleplay-<slug>]`: the module is done when she passed a play.
    required: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)

    @property
    def current_version(self) -> ScenarioVersion | None:
        """The highest-numbered version (no pointer back: no cycle between the tables)."""
        return db.session.scalars(select(ScenarioVersion).where(
            ScenarioVersion.scenario_id == self.id)
            .order_by(ScenarioVersion.number.desc()).limit(1)).first()


class ScenarioVersion(db.Model):
    """Never edited once written: a play keeps the version it started with."""

    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)  # practice.parser.merge_languages
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class ScenarioPlay(db.Model):
    """One run through a scenario. `step` counts the choices made; a choice is recorded only
    with the step it was made at (compare-and-set), so a repeated post records nothing."""

    __tablename__ = "scenario_plays"
    __table_args__ = (
        UniqueConstraint("user_id", "scenario_id", "number"),
        CheckConstraint("state IN ('open', 'finished')", name="known_state"),
        CheckConstraint("step >= 0", name="step_not_negative"),
        # One open play per learner and scenario, whatever races happen.
        Index("uq_scenario_plays_one_open", "user_id", "scenario_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id"))
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(8), default="open")
    step: Mapped[int] = mapped_column(default=0)
    node: Mapped[str] = mapped_column(String(80))  # where she is now (an ending once finished)
    path: Mapped[list] = mapped_column(JSON, default=list)  # [{"node": id, "option": index}]
    scores: Mapped[dict | None] = mapped_column(JSON)  # scenario.score(), once finished
    percent: Mapped[int | None] = mapped_column()
    passed: Mapped[bool | None] = mapped_column()
    ending: Mapped[str | None] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    version: Mapped[ScenarioVersion] = relationship()
    scenario: Mapped[Scenario] = relationship()


class Assignment(db.Model):
    """An assignment of a module (assignment-<slug>.LANG.md); its content lives in versions."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    lesson_slug: Mapped[str] = mapped_column(String(80))  # whose "Try it today" it hands in
    # module.md `requires: [assignment-<slug>]`: the module is done when her work is approved.
    required: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)

    @property
    def current_version(self) -> AssignmentVersion | None:
        return db.session.scalars(select(AssignmentVersion).where(
            AssignmentVersion.assignment_id == self.id)
            .order_by(AssignmentVersion.number.desc()).limit(1)).first()


class AssignmentVersion(db.Model):
    """Never edited once written: a submission keeps the rubric it was written for."""

    __tablename__ = "assignment_versions"
    __table_args__ = (UniqueConstraint("assignment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)  # practice.parser.merge_assignment
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class Submission(db.Model):
    """Her work on one assignment: the text she is writing (autosaved), then each handed-in
    version and each review. `state`: draft (writing, before the first hand-in or after a
    revision was asked), waiting (a version waits for review), approved (done; closed)."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("user_id", "assignment_id", "number"),
        CheckConstraint("state IN ('draft', 'waiting', 'approved')", name="known_state"),
        # One open submission per learner and assignment, whatever races happen.
        Index("uq_submissions_one_open", "user_id", "assignment_id", unique=True,
              sqlite_where=text("state <> 'approved'"),
              postgresql_where=text("state <> 'approved'")),
        Index("ix_submissions_user_state", "user_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("assignment_versions.id"))
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(8), default="draft")
    text: Mapped[str] = mapped_column(Text, default="")  # the draft, plain text
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column()

    assignment: Mapped[Assignment] = relationship()
    version: Mapped[AssignmentVersion] = relationship()


class SubmissionImage(db.Model):
    """A picture she attached, re-encoded by the image pipeline (EXIF gone). Removing it from
    the draft stamps removed_at; versions that showed it keep it."""

    __tablename__ = "submission_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()


class SubmissionVersion(db.Model):
    """One hand-in: the text and pictures as they were, and who is to review it (her mentor,
    or nobody named: the course's trainers and the admins). Never edited."""

    __tablename__ = "submission_versions"
    __table_args__ = (
        UniqueConstraint("submission_id", "number"),
        CheckConstraint("route IN ('mentor', 'trainers')", name="known_route"),
        Index("ix_submission_versions_waiting", "reviewed", "submitted_at"),
        Index("ix_submission_versions_reviewer", "reviewer_id", "reviewed", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    image_ids: Mapped[list] = mapped_column(JSON, default=list)
    route: Mapped[str] = mapped_column(String(8))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set in the review's transaction; the queue reads it through its index.
    reviewed: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship()


class SubmissionReview(db.Model):
    """A reviewer's verdict on one version. The unique version id is the race guard: of two
    reviewers saving at once, one row goes in; the other is told it was already reviewed."""

    __tablename__ = "submission_reviews"
    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'revise')", name="known_decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"), unique=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(8))
    scores: Mapped[dict] = mapped_column(JSON)  # {criterion id: points}
    points: Mapped[int]
    max_points: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[SubmissionVersion] = relationship()


class ReviewReminder(db.Model):
    """One reminder per waiting version and period of REVIEW_REMINDER_DAYS: the unique pair
    makes a second run (or two schedulers) send nothing more."""

    __tablename__ = "review_reminders"
    __table_args__ = (UniqueConstraint("version_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"))
    period: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeptTemplate(db.Model):
    """A lesson's message template she kept for My templates (the text as the lesson had it
    when she kept it)."""

    __tablename__ = "kept_templates"
    __table_args__ = (UniqueConstraint("user_id", "course_slug", "lesson_slug", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_slug: Mapped[str] = mapped_column(String(80))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]  # the template's place in the lesson, from 1
    text: Mapped[str] = mapped_column(Text)
    kept_at: Mapped[datetime] = mapped_column(default=utcnow)
