"""Roll-ups the statistics pages read at scale, rebuilt by `refresh_statistics` (tasks.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..practice.models import ScenarioPlay
from ..referrals.models import PathType

ALL_COURSES = 0  # course_id of the rows that count across courses (distinct active learners)


class _Cell:
    """One cell of the dashboard's cube: a local day, course, sign-up week and current tier."""

    day: Mapped[date] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cohort_week: Mapped[date] = mapped_column(primary_key=True)  # Monday of the sign-up week
    tier: Mapped[str] = mapped_column(String(32), primary_key=True)
    signups: Mapped[int] = mapped_column(default=0)
    active_learners: Mapped[int] = mapped_column(default=0)
    enrolments: Mapped[int] = mapped_column(default=0)  # enrolments started that day...
    completions: Mapped[int] = mapped_column(default=0)  # ...and how many of them completed
    certificates: Mapped[int] = mapped_column(default=0)  # certificates issued that day


class DailyFigures(_Cell, db.Model):
    """Counts per local day, course, sign-up week and current tier: the dashboard's cube.

    Every learner is in exactly one (cohort week, tier) cell, so any filter on those two
    (and on days and course) is a plain SUM over cells. Distinct active learners are not
    additive across courses: rows with course_id = ALL_COURSES hold them for "any course".
    """

    __tablename__ = "stats_daily"
    __table_args__ = (Index("ix_stats_daily_course_day", "course_id", "day"),)


class Team(db.Model):
    """A mentor whose team (everyone below them in the tree) had at least
    STATISTICS_TEAM_MINIMUM people at the last refresh. Their team's cube is kept in
    stats_team_daily; smaller teams are computed live, which is fast for them."""

    __tablename__ = "stats_teams"

    mentor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    path: Mapped[str] = mapped_column(PathType, unique=True)  # the mentor's path at refresh
    members: Mapped[int]


class TeamDailyFigures(_Cell, db.Model):
    """The cube of one big team (stats_teams): the same cells, counting its members only."""

    __tablename__ = "stats_team_daily"

    team_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class Snapshot(db.Model):
    """A page's figures as computed at refreshed_at (funnel per course, items per quiz
    version, mentor ranking, tier history): the same plain data the live path returns."""

    __tablename__ = "stats_snapshots"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[dict] = mapped_column(JSON)
    refreshed_at: Mapped[datetime]


class CompletionTime(db.Model):
    """One row per completed enrolment (learners only): how long it took, in the cube's
    dimensions, so the dashboard's percentiles need no scan of enrolments and users."""

    __tablename__ = "stats_completion_times"
    __table_args__ = (Index("ix_stats_completion_times_day", "day", "course_id"),
                      Index("ix_stats_completion_times_team_day", "team_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int]
    # The nearest big team (stats_teams) the learner is in, if any: a big team's times are
    # the rows of its own and of the big teams inside it.
    team_id: Mapped[int | None]
    day: Mapped[date]  # local day the enrolment started
    cohort_week: Mapped[date]
    tier: Mapped[str] = mapped_column(String(32))
    seconds: Mapped[float]


# The role-play page's reads (services/practice.py), attached to the practice room's table
# like the ledger's indexes: per scenario and state (counts, each learner's best finished
# play ranked by percent), and per version and learner (her first play of a version).
scenario_play_figures = Index("ix_scenario_plays_figures", ScenarioPlay.scenario_id,
                              ScenarioPlay.state, ScenarioPlay.user_id, ScenarioPlay.percent)
scenario_play_first = Index("ix_scenario_plays_version_user", ScenarioPlay.version_id,
                            ScenarioPlay.user_id, ScenarioPlay.id)
