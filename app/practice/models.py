"""Role-play scenarios, their immutable versions, and the learners' plays."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint,
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
