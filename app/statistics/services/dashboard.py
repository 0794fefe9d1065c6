"""The dashboard page: learners per tier, enrolments and completions per course, completion
times, certificates per week and active learners per day, live or from the cube."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import Float, and_, cast, distinct, func, literal_column, select, union

from ...accounts.models import User
from ...certificates.models import Certificate
from ...extensions import db
from ...learning.models import Enrolment, Lesson, LessonProgress, Module
from ...quizzes.models import Attempt, Quiz
from .. import measures
from ..models import ALL_COURSES, CompletionTime, DailyFigures, Snapshot, Team, TeamDailyFigures
from .filters import (Filters, in_range, learner_scope, team_members, tier_column, tier_keys,
                      visible_courses)
from .periods import as_date, dialect, local_day, seconds_between, week_start

def learner_activity(filters: Filters | None, per_course: bool):
    """(user_id, day[, course_id]) for every lesson read and quiz submitted, de-duplicated."""
    day_read, day_sub = local_day(LessonProgress.read_at), local_day(Attempt.submitted_at)
    reads = select(LessonProgress.user_id.label("user_id"), day_read.label("day"))
    subs = select(Attempt.user_id.label("user_id"), day_sub.label("day"))
    if per_course or (filters and filters.course_id):
        reads = reads.add_columns(Lesson.course_id.label("course_id")).join(
            Lesson, Lesson.id == LessonProgress.lesson_id)
        subs = subs.add_columns(Module.course_id.label("course_id")).join(
            Quiz, Quiz.id == Attempt.quiz_id).join(Module, Module.id == Quiz.module_id)
        if filters and filters.course_id:
            reads = reads.where(Lesson.course_id == filters.course_id)
            subs = subs.where(Module.course_id == filters.course_id)
    subs = subs.where(Attempt.submitted_at.is_not(None))
    if filters:
        reads = reads.where(in_range(LessonProgress.read_at, filters))
        subs = subs.where(in_range(Attempt.submitted_at, filters))
        if filters.mentor_path:
            # The planner cannot push the team through the UNION: narrow each side first,
            # so a team's activity costs index lookups for its members only.
            team = team_members(filters.mentor_path)
            reads = reads.where(LessonProgress.user_id.in_(team))
            subs = subs.where(Attempt.user_id.in_(team))
    return union(reads, subs).subquery()


def completion_times(filters: Filters) -> dict[int, tuple[float | None, float | None]]:
    """Median and 90th percentile seconds from enrolling to completing, per course.

    Over the enrolments started in the date range that are completed (by now); always live.
    """
    seconds = seconds_between(Enrolment.started_at, Enrolment.completed_at)
    where = [Enrolment.completed_at.is_not(None), in_range(Enrolment.started_at, filters)]
    if filters.course_id:
        where.append(Enrolment.course_id == filters.course_id)
    if dialect() == "postgresql":
        # One ordered-set aggregate with an array of fractions: one sort, not two.
        quantiles = func.percentile_cont(literal_column("ARRAY[0.5, 0.9]")).within_group(seconds)
        statement = select(Enrolment.course_id, quantiles)
        if filters.learner_filtered:
            statement = learner_scope(statement, Enrolment.user_id, filters)
        else:  # staff are few: leaving them out is cheaper than keeping every learner in
            statement = statement.where(Enrolment.user_id.not_in(
                select(User.id).where(User.role != "learner")))
        rows = db.session.execute(statement.where(*where).group_by(Enrolment.course_id))
        return {course: (values[0], values[1]) for course, values in rows}
    statement = learner_scope(select(Enrolment.course_id, cast(seconds, Float)),
                               Enrolment.user_id, filters).where(*where)
    values = defaultdict(list)
    for course, value in db.session.execute(statement):
        values[course].append(value)
    return {course: (measures.percentile(v, 0.5), measures.percentile(v, 0.9))
            for course, v in values.items()}


def _days(filters: Filters) -> list[date]:
    return [filters.start + timedelta(days=i) for i in range((filters.end - filters.start).days + 1)]


def rollup_completion_times(filters: Filters, team: Team | None = None
                            ) -> dict[int, tuple[float | None, float | None]]:
    """The same percentiles from stats_completion_times (filters on its own columns)."""
    table = CompletionTime
    where = [table.day >= filters.start, table.day <= filters.end]
    if team is not None:  # the learners nearest to this big team or to one inside it
        low, high = team.path, team.path[:-1] + "0"
        where.append(table.team_id.in_(select(Team.mentor_id).where(Team.path >= low,
                                                                    Team.path < high)))
    if filters.course_id:
        where.append(table.course_id == filters.course_id)
    if filters.tier:
        where.append(table.tier == filters.tier)
    if filters.cohort:
        where.append(table.cohort_week == filters.cohort)
    if dialect() == "postgresql":
        quantiles = func.percentile_cont(literal_column("ARRAY[0.5, 0.9]")).within_group(table.seconds)
        rows = db.session.execute(select(table.course_id, quantiles).where(*where)
                                  .group_by(table.course_id))
        return {course: (values[0], values[1]) for course, values in rows}
    values = defaultdict(list)
    for course, value in db.session.execute(select(table.course_id, table.seconds).where(*where)):
        values[course].append(value)
    return {course: (measures.percentile(v, 0.5), measures.percentile(v, 0.9))
            for course, v in values.items()}


def _assemble(filters: Filters, tiers: dict, courses: dict, certificates: dict,
              active: dict, source: str, refreshed_at: str | None,
              team: Team | None = None) -> dict:
    if source == "rollup":
        times = rollup_completion_times(filters, team)
    else:
        times = completion_times(filters)
    rows = []
    for course in visible_courses():
        if filters.course_id and course.id != filters.course_id:
            continue
        enrolled, completed = courses.get(course.id, (0, 0))
        median, p90 = times.get(course.id, (None, None))
        rows.append({"id": course.id, "slug": course.slug, "title": course.title,
                     "enrolments": int(enrolled), "completions": int(completed),
                     "rate": measures.rate(int(completed), int(enrolled)),
                     "median_seconds": median, "p90_seconds": p90})
    weeks = Counter()
    for day, count in certificates.items():
        weeks[week_start(as_date(day))] += int(count)
    first_week = week_start(filters.start)
    week_list = [first_week + timedelta(weeks=i)
                 for i in range((week_start(filters.end) - first_week).days // 7 + 1)]
    active_by_day = {as_date(d): int(n) for d, n in active.items()}
    order = tier_keys()
    tier_rows = sorted(((t, int(n)) for t, n in tiers.items() if n),
                       key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return {"source": source, "refreshed_at": refreshed_at,
            "tiers": tier_rows, "courses": rows,
            "certificates_per_week": [(w.isoformat(), weeks.get(w, 0)) for w in week_list],
            "active_per_day": [(d.isoformat(), active_by_day.get(d, 0)) for d in _days(filters)]}


def live_dashboard(filters: Filters) -> dict:
    tiers = dict(db.session.execute(
        learner_scope(select(tier_column(), func.count()).select_from(User), User.id, filters)
        .where(User.created_at < filters.utc_bounds()[1]).group_by(tier_column())).all())
    statement = select(Enrolment.course_id, func.count(), func.count(Enrolment.completed_at))
    if filters.course_id:
        statement = statement.where(Enrolment.course_id == filters.course_id)
    courses = {c: (e, d) for c, e, d in db.session.execute(
        learner_scope(statement, Enrolment.user_id, filters)
        .where(in_range(Enrolment.started_at, filters)).group_by(Enrolment.course_id))}
    issued_day = local_day(Certificate.issued_at)
    statement = select(issued_day, func.count()).where(in_range(Certificate.issued_at, filters))
    if filters.course_id:
        statement = statement.where(Certificate.course_id == filters.course_id)
    certificates = dict(db.session.execute(
        learner_scope(statement, Certificate.user_id, filters).group_by(issued_day)).all())
    activity = learner_activity(filters, per_course=False)
    # The team is already applied inside: repeating its path range here made PostgreSQL
    # expect one member and loop over the activity once per member (5 s for 5,000 people).
    outside = replace(filters, mentor_id=None, mentor_path=None)
    active = dict(db.session.execute(
        learner_scope(select(activity.c.day, func.count(distinct(activity.c.user_id))),
                       activity.c.user_id, outside).group_by(activity.c.day)).all())
    return _assemble(filters, tiers, courses, certificates, active, "live", None)


def rollup_dashboard(filters: Filters, refreshed_at: str, team: Team | None = None) -> dict:
    """The dashboard from the cube: the platform's, or a big team's (the mentor filter)."""
    cube = DailyFigures if team is None else TeamDailyFigures

    def scoped(statement):
        if team is not None:
            statement = statement.where(cube.team_id == team.mentor_id)
        if filters.tier:
            statement = statement.where(cube.tier == filters.tier)
        if filters.cohort:
            statement = statement.where(cube.cohort_week == filters.cohort)
        return statement

    in_range = and_(cube.day >= filters.start, cube.day <= filters.end)
    tiers = dict(db.session.execute(scoped(
        select(cube.tier, func.sum(cube.signups)).where(cube.course_id == ALL_COURSES,
                                                        cube.day <= filters.end))
        .group_by(cube.tier)).all())
    courses_where = [cube.course_id != ALL_COURSES, in_range]
    if filters.course_id:
        courses_where = [cube.course_id == filters.course_id, in_range]
    courses = {c: (e, d) for c, e, d in db.session.execute(scoped(
        select(cube.course_id, func.sum(cube.enrolments), func.sum(cube.completions))
        .where(*courses_where)).group_by(cube.course_id))}
    certificates = dict(db.session.execute(scoped(
        select(cube.day, func.sum(cube.certificates)).where(*courses_where))
        .group_by(cube.day)).all())
    active = dict(db.session.execute(scoped(
        select(cube.day, func.sum(cube.active_learners))
        .where(cube.course_id == (filters.course_id or ALL_COURSES), in_range))
        .group_by(cube.day)).all())
    return _assemble(filters, tiers, courses, certificates, active, "rollup", refreshed_at, team)


def last_refresh() -> str | None:
    row = db.session.get(Snapshot, ("refresh", "last"))
    return row.payload.get("finished_at") if row else None


def dashboard(filters: Filters) -> dict:
    """The cube when it exists and can answer: the platform's, or a big team's for a mentor
    filter. A team that was small at the last refresh is computed live (fast when small)."""
    refreshed = last_refresh()
    if refreshed and not filters.mentor_path:
        return rollup_dashboard(filters, refreshed)
    if refreshed:
        team = db.session.get(Team, filters.mentor_id)
        if team is not None:
            return rollup_dashboard(filters, refreshed, team)
    return live_dashboard(filters)
