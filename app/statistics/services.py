"""Statistics services: filters, live figures from the raw tables, roll-ups, refresh.

Every page has a live path (plain aggregate queries over the raw tables) and reads a roll-up
instead when one exists: the dashboard's cube (DailyFigures) and JSON snapshots of the other
pages, rebuilt together by refresh_statistics(). The live path computes what the roll-up
stores, which is how the tests prove the two agree.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (Column, Date, Float, Integer, MetaData, String, Table, and_, cast, delete,
                        distinct, func, insert, intersect, literal_column, select, text,
                        type_coerce, union)
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..certificates.models import Certificate
from ..clock import utcnow
from ..extensions import db
from ..learning.models import Course, Enrolment, Lesson, LessonProgress, Module
from ..quizzes.grading import normalize_text, question_fraction
from ..quizzes.models import Attempt, AttemptAnswer, Quiz, QuizVersion
from ..referrals.models import TierChange, TreeNode
from . import measures
from .models import ALL_COURSES, CompletionTime, DailyFigures, Snapshot, Team, TeamDailyFigures

FIRST_TIER = "trainee"  # a learner without a tree node (or a tier change) is here
DEFAULT_DAYS = 90
MAX_DAYS = 731
MENTOR_MINIMUMS = (3, 5, 10, 20)
DEFAULT_MENTOR_MINIMUM = 5
MENTORS_SHOWN = 100
TIER_WEEKS = 26
ITEM_SAMPLE = 20_000
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


# ---------------------------------------------------------------- time and dialect helpers

def _dialect() -> str:
    return db.session.get_bind().dialect.name


def offset_minutes() -> int:
    """The configured time zone's UTC offset; days and weeks are the operators' local ones.

    Taken once (now): Asia/Shanghai has no daylight saving time, so it is exact there."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return int(datetime.now(zone).utcoffset().total_seconds() // 60)


def local_today() -> date:
    return (utcnow() + timedelta(minutes=offset_minutes())).date()


def local_day(column):
    minutes = offset_minutes()
    if _dialect() == "postgresql":
        return cast(column + literal_column(f"interval '{minutes} minutes'"), Date)
    return type_coerce(func.date(column, f"{minutes:+d} minutes"), Date)


def local_week(column):
    """Monday of the column's local ISO week."""
    minutes = offset_minutes()
    if _dialect() == "postgresql":
        # Literal SQL, not bound parameters: PostgreSQL must see GROUP BY and SELECT as the
        # same expression.
        return cast(func.date_trunc(literal_column("'week'"),
                                    column + literal_column(f"interval '{minutes} minutes'")), Date)
    return type_coerce(func.date(column, f"{minutes:+d} minutes", "weekday 0", "-6 days"), Date)


def seconds_between(start, end):
    if _dialect() == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(raw: str) -> date | None:
    """'2026-W47' (what <input type=week> sends) -> Monday of that ISO week."""
    match = _WEEK.match((raw or "").strip())
    if not match:
        return None
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


# ---------------------------------------------------------------- filters

@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    course_id: int | None = None
    tier: str | None = None
    mentor_id: int | None = None
    mentor_path: str | None = None
    cohort: date | None = None  # Monday of the sign-up week

    @property
    def learner_filtered(self) -> bool:
        return bool(self.tier or self.mentor_path or self.cohort)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end + 1 day 00:00) local, as naive UTC like the stored times."""
        shift = timedelta(minutes=offset_minutes())
        return (datetime.combine(self.start, time()) - shift,
                datetime.combine(self.end + timedelta(days=1), time()) - shift)


def find_mentor(raw: str) -> TreeNode | None:
    """A mentor by user id, phone, email or invite code."""
    from ..accounts.services import find_user, parse_login_name
    from ..referrals.services import find_by_code

    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isdigit() and len(raw) < 10:
        node = db.session.get(TreeNode, int(raw))
        if node is not None:
            return node
    login = parse_login_name(raw)
    if login:
        user = find_user(login)
        if user is not None:
            return db.session.get(TreeNode, user.id)
    return find_by_code(raw)


def parse_filters(args) -> tuple[Filters, list[str]]:
    """Filters from query-string values; problems come back as error keys, never a 500."""
    errors = []
    today = local_today()

    def day(name):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append("bad_date")
            return None

    end = day("end") or today
    start = day("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        errors.append("start_after_end")
        start, end = end, start
    if (end - start).days > MAX_DAYS:
        errors.append("range_too_long")
        start = end - timedelta(days=MAX_DAYS)
    course_id = None
    if args.get("course"):
        course = db.session.execute(select(Course).where(Course.slug == args["course"][:80])
                                    ).scalar_one_or_none()
        if course is None:
            errors.append("unknown_course")
        else:
            course_id = course.id
    tier = (args.get("tier") or "").strip() or None
    if tier and tier not in tier_keys():
        errors.append("unknown_tier")
        tier = None
    mentor = None
    if (args.get("mentor") or "").strip():
        mentor = find_mentor(args["mentor"][:254])
        if mentor is None:
            errors.append("unknown_mentor")
    cohort = None
    if (args.get("cohort") or "").strip():
        cohort = parse_week(args["cohort"])
        if cohort is None:
            errors.append("bad_week")
    return Filters(start=start, end=end, course_id=course_id, tier=tier,
                   mentor_id=mentor.user_id if mentor else None,
                   mentor_path=mentor.path if mentor else None, cohort=cohort), errors


def tier_keys() -> list[str]:
    from ..referrals.tiers import current_rules  # reads only: safe on GET

    return [t.key for t in current_rules().tiers]


def tier_names() -> dict[str, dict]:
    from ..referrals.tiers import current_rules

    return {t.key: t.name for t in current_rules().tiers}


def visible_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).where(Course.hidden.is_(False))
                                   .order_by(Course.position, Course.slug)))


# ---------------------------------------------------------------- the dashboard

def _tier_column():
    return func.coalesce(TreeNode.tier, literal_column(f"'{FIRST_TIER}'"))


def _learner_scope(statement, user_column, filters: Filters):
    """Only learners (not staff), narrowed by tier, mentor subtree and sign-up week."""
    if user_column is not User.id:  # a statement over users already has the table
        statement = statement.join(User, User.id == user_column)
    statement = (statement.outerjoin(TreeNode, TreeNode.user_id == user_column)
                 .where(User.role == "learner"))
    if filters.tier:
        statement = statement.where(_tier_column() == filters.tier)
    if filters.mentor_path:
        low, high = filters.mentor_path, filters.mentor_path[:-1] + "0"
        statement = statement.where(TreeNode.path > low, TreeNode.path < high)
    if filters.cohort:
        start = datetime.combine(filters.cohort, time()) - timedelta(minutes=offset_minutes())
        statement = statement.where(User.created_at >= start,
                                    User.created_at < start + timedelta(days=7))
    return statement


def _in_range(column, filters: Filters):
    low, high = filters.utc_bounds()
    return and_(column >= low, column < high)


def _activity(filters: Filters | None, per_course: bool):
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
        reads = reads.where(_in_range(LessonProgress.read_at, filters))
        subs = subs.where(_in_range(Attempt.submitted_at, filters))
        if filters.mentor_path:
            # The planner cannot push the team through the UNION: narrow each side first,
            # so a team's activity costs index lookups for its members only.
            team = _team_members(filters.mentor_path)
            reads = reads.where(LessonProgress.user_id.in_(team))
            subs = subs.where(Attempt.user_id.in_(team))
    return union(reads, subs).subquery()


def _team_members(path: str):
    return select(TreeNode.user_id).where(TreeNode.path > path, TreeNode.path < path[:-1] + "0")


def completion_times(filters: Filters) -> dict[int, tuple[float | None, float | None]]:
    """Median and 90th percentile seconds from enrolling to completing, per course.

    Over the enrolments started in the date range that are completed (by now); always live.
    """
    seconds = seconds_between(Enrolment.started_at, Enrolment.completed_at)
    where = [Enrolment.completed_at.is_not(None), _in_range(Enrolment.started_at, filters)]
    if filters.course_id:
        where.append(Enrolment.course_id == filters.course_id)
    if _dialect() == "postgresql":
        # One ordered-set aggregate with an array of fractions: one sort, not two.
        quantiles = func.percentile_cont(literal_column("ARRAY[0.5, 0.9]")).within_group(seconds)
        statement = select(Enrolment.course_id, quantiles)
        if filters.learner_filtered:
            statement = _learner_scope(statement, Enrolment.user_id, filters)
        else:  # staff are few: leaving them out is cheaper than keeping every learner in
            statement = statement.where(Enrolment.user_id.not_in(
                select(User.id).where(User.role != "learner")))
        rows = db.session.execute(statement.where(*where).group_by(Enrolment.course_id))
        return {course: (values[0], values[1]) for course, values in rows}
    statement = _learner_scope(select(Enrolment.course_id, cast(seconds, Float)),
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
    if _dialect() == "postgresql":
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
        _learner_scope(select(_tier_column(), func.count()).select_from(User), User.id, filters)
        .where(User.created_at < filters.utc_bounds()[1]).group_by(_tier_column())).all())
    statement = select(Enrolment.course_id, func.count(), func.count(Enrolment.completed_at))
    if filters.course_id:
        statement = statement.where(Enrolment.course_id == filters.course_id)
    courses = {c: (e, d) for c, e, d in db.session.execute(
        _learner_scope(statement, Enrolment.user_id, filters)
        .where(_in_range(Enrolment.started_at, filters)).group_by(Enrolment.course_id))}
    issued_day = local_day(Certificate.issued_at)
    statement = select(issued_day, func.count()).where(_in_range(Certificate.issued_at, filters))
    if filters.course_id:
        statement = statement.where(Certificate.course_id == filters.course_id)
    certificates = dict(db.session.execute(
        _learner_scope(statement, Certificate.user_id, filters).group_by(issued_day)).all())
    activity = _activity(filters, per_course=False)
    # The team is already applied inside: repeating its path range here made PostgreSQL
    # expect one member and loop over the activity once per member (5 s for 5,000 people).
    outside = replace(filters, mentor_id=None, mentor_path=None)
    active = dict(db.session.execute(
        _learner_scope(select(activity.c.day, func.count(distinct(activity.c.user_id))),
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


MEASURES = ("signups", "active_learners", "enrolments", "completions", "certificates")

# Scratch tables of one refresh (TEMPORARY: each connection has its own, gone with it):
# each learner's nearest big team; each big team with itself and every big team around it;
# the cells of the cube split by nearest big team.
_scratch = MetaData()
_team_of = Table("stats_tmp_team_of", _scratch,
                 Column("user_id", Integer, primary_key=True), Column("team_id", Integer),
                 prefixes=["TEMPORARY"])
_team_closure = Table("stats_tmp_team_closure", _scratch,
                      Column("team_id", Integer), Column("ancestor_id", Integer),
                      prefixes=["TEMPORARY"])
_cells = Table("stats_tmp_cells", _scratch,
               Column("team_id", Integer), Column("day", Date), Column("course_id", Integer),
               Column("cohort_week", Date), Column("tier", String(32)),
               *[Column(name, Integer, nullable=False, server_default="0") for name in MEASURES],
               prefixes=["TEMPORARY"])


def team_minimum() -> int:
    return current_app.config["STATISTICS_TEAM_MINIMUM"]


def big_teams(minimum: int) -> dict[int, int]:
    """{mentor id: people below them} for every mentor with at least `minimum` below.

    One pass over the paths: each path names all of its node's ancestors."""
    counts = Counter()
    for path in db.session.scalars(select(TreeNode.path).execution_options(yield_per=50_000)):
        counts.update(path[1:-1].split("/")[:-1])
    return {int(mentor): n for mentor, n in counts.items() if n >= minimum}


def _write_teams(minimum: int) -> int:
    """stats_teams for this refresh, and which big team each learner is nearest to."""
    db.session.execute(delete(Team))
    members = big_teams(minimum)
    ids = sorted(members)
    rows = []
    for chunk in _chunks(ids):
        rows += db.session.execute(select(TreeNode.user_id, TreeNode.path)
                                   .where(TreeNode.user_id.in_(chunk))).all()
    if rows:
        db.session.execute(insert(Team), [{"mentor_id": mentor, "path": path,
                                           "members": members[mentor]} for mentor, path in rows])
        big = set(members)
        db.session.execute(insert(_team_closure), [
            {"team_id": mentor, "ancestor_id": int(ancestor)}
            for mentor, path in rows for ancestor in path[1:-1].split("/")
            if int(ancestor) in big])
    # Walk the tree from its roots: a node's nearest big team is its mentor if the mentor's
    # team is big, else the mentor's own nearest (one index lookup per node, 2.6 s at 1 M).
    walk = select(TreeNode.user_id.label("user_id"), cast(None, Integer).label("team_id")) \
        .where(TreeNode.mentor_id.is_(None)).cte("walk", recursive=True)
    child = aliased(TreeNode)
    walk = walk.union_all(
        select(child.user_id, func.coalesce(Team.mentor_id, walk.c.team_id))
        .select_from(child).join(walk, child.mentor_id == walk.c.user_id)
        .outerjoin(Team, Team.mentor_id == walk.c.user_id))
    db.session.execute(insert(_team_of).from_select(
        ["user_id", "team_id"],
        select(walk.c.user_id, walk.c.team_id).where(walk.c.team_id.is_not(None))))
    if _dialect() == "postgresql":
        db.session.execute(text("ANALYZE stats_tmp_team_of"))  # autovacuum never sees it
    return len(rows)


def _write_cells() -> None:
    """Every event counted once into cells that also carry the learner's nearest big team.

    Teams nest, but each learner has one nearest big team, so the cells partition people:
    summing them over teams gives the whole platform's cube, and summing the cells of a big
    team and of the big teams inside it gives that team's cube. That holds for distinct
    active learners too, because no one is in two partitions."""
    everyone = Filters(start=date.min, end=date.max)
    cohort, tier, team = local_week(User.created_at), _tier_column(), _team_of.c.team_id

    def add(statement, user_column, columns, group_by, names):
        statement = (_learner_scope(statement.add_columns(cohort, tier, team, *columns),
                                    user_column, everyone)
                     .outerjoin(_team_of, _team_of.c.user_id == user_column)
                     .group_by(*group_by, cohort, tier, team))
        db.session.execute(insert(_cells).from_select(
            ["day", "course_id", "cohort_week", "tier", "team_id", *names], statement))

    all_courses = literal_column(str(ALL_COURSES))
    signup_day = local_day(User.created_at)
    add(select(signup_day, all_courses).select_from(User), User.id, [func.count()],
        [signup_day], ["signups"])
    start_day = local_day(Enrolment.started_at)
    add(select(start_day, Enrolment.course_id), Enrolment.user_id,
        [func.count(), func.count(Enrolment.completed_at)], [start_day, Enrolment.course_id],
        ["enrolments", "completions"])
    issued_day = local_day(Certificate.issued_at)
    add(select(issued_day, Certificate.course_id), Certificate.user_id, [func.count()],
        [issued_day, Certificate.course_id], ["certificates"])
    per_course = _activity(None, per_course=True)
    add(select(per_course.c.day, per_course.c.course_id), per_course.c.user_id,
        [func.count(distinct(per_course.c.user_id))], [per_course.c.day, per_course.c.course_id],
        ["active_learners"])
    overall = _activity(None, per_course=False)
    add(select(overall.c.day, all_courses), overall.c.user_id,
        [func.count(distinct(overall.c.user_id))], [overall.c.day], ["active_learners"])


def _write_cubes() -> int:
    """stats_daily (every partition) and stats_team_daily (each big team's partitions)."""
    dims = [_cells.c.day, _cells.c.course_id, _cells.c.cohort_week, _cells.c.tier]
    names = ["day", "course_id", "cohort_week", "tier", *MEASURES]
    sums = [func.sum(_cells.c[name]) for name in MEASURES]
    db.session.execute(delete(DailyFigures))
    db.session.execute(insert(DailyFigures).from_select(
        names, select(*dims, *sums).group_by(*dims)))
    db.session.execute(delete(TeamDailyFigures))
    db.session.execute(insert(TeamDailyFigures).from_select(
        ["team_id", *names],
        select(_team_closure.c.ancestor_id, *dims, *sums)
        .join(_team_closure, _team_closure.c.team_id == _cells.c.team_id)
        .group_by(_team_closure.c.ancestor_id, *dims)))
    return db.session.scalar(select(func.count()).select_from(DailyFigures))


def _write_completion_times() -> None:
    """Every learner's completed enrolment into stats_completion_times."""
    everyone = Filters(start=date.min, end=date.max)
    start_day = local_day(Enrolment.started_at)
    rows = _learner_scope(select(
        Enrolment.course_id, _team_of.c.team_id, start_day, local_week(User.created_at),
        _tier_column(), cast(seconds_between(Enrolment.started_at, Enrolment.completed_at), Float)),
        Enrolment.user_id, everyone)
    # Stored in (team, day) order: a big team's percentiles then read a few hundred pages
    # instead of one page per row (the whole tree's team at 1 M learners: 530 -> 210 ms).
    rows = (rows.outerjoin(_team_of, _team_of.c.user_id == Enrolment.user_id)
            .where(Enrolment.completed_at.is_not(None)).order_by(_team_of.c.team_id, start_day))
    db.session.execute(delete(CompletionTime))
    db.session.execute(insert(CompletionTime).from_select(
        ["course_id", "team_id", "day", "cohort_week", "tier", "seconds"], rows))


# ---------------------------------------------------------------- funnel per course

def live_funnel(course: Course) -> dict:
    """Per module: learners who started -> read every lesson -> (read all and) passed the quiz."""
    modules = list(db.session.scalars(select(Module).where(
        Module.course_id == course.id, Module.hidden.is_(False)).order_by(Module.position)))
    ids = [m.id for m in modules]
    totals = dict(db.session.execute(
        select(Lesson.module_id, func.count()).where(Lesson.module_id.in_(ids),
                                                     Lesson.hidden.is_(False))
        .group_by(Lesson.module_id)).all())
    quizzes = dict(db.session.execute(select(Quiz.module_id, Quiz.id).where(
        Quiz.module_id.in_(ids), Quiz.hidden.is_(False), Quiz.current_version_id.is_not(None))).all())
    visible = and_(Lesson.module_id.in_(ids), Lesson.hidden.is_(False))
    reads = (select(Lesson.module_id.label("module_id"), LessonProgress.user_id.label("user_id"),
                    func.count().label("n"))
             .join(Lesson, Lesson.id == LessonProgress.lesson_id).where(visible)
             .group_by(Lesson.module_id, LessonProgress.user_id)).subquery()
    quiz_takers = select(Quiz.module_id, Attempt.user_id).join(Quiz, Quiz.id == Attempt.quiz_id) \
        .where(Quiz.module_id.in_(ids))
    started_set = union(select(reads.c.module_id, reads.c.user_id), quiz_takers).subquery()
    started = dict(db.session.execute(select(started_set.c.module_id, func.count())
                                      .group_by(started_set.c.module_id)).all())
    lesson_totals = (select(Lesson.module_id.label("module_id"), func.count().label("total"))
                     .where(visible).group_by(Lesson.module_id)).subquery()
    read_all_rows = (select(reads.c.module_id, reads.c.user_id)
                     .join(lesson_totals, lesson_totals.c.module_id == reads.c.module_id)
                     .where(reads.c.n >= lesson_totals.c.total))
    read_all_set = read_all_rows.subquery()
    read_all = dict(db.session.execute(select(read_all_set.c.module_id, func.count())
                                       .group_by(read_all_set.c.module_id)).all())
    passers = select(Quiz.module_id, Attempt.user_id).join(Quiz, Quiz.id == Attempt.quiz_id).where(
        Quiz.module_id.in_(ids), Attempt.passed.is_(True))
    passed_set = intersect(read_all_rows, passers).subquery()
    passed = dict(db.session.execute(select(passed_set.c.module_id, func.count())
                                     .group_by(passed_set.c.module_id)).all())
    result = []
    for module in modules:
        steps = [("started", started.get(module.id, 0)), ("read_all", read_all.get(module.id, 0))]
        if module.id in quizzes:
            steps.append(("passed", passed.get(module.id, 0)))
        result.append({"id": module.id, "slug": module.slug, "position": module.position,
                       "title": module.title, "lessons": totals.get(module.id, 0),
                       "quiz_id": quizzes.get(module.id),
                       "steps": [asdict(s) for s in measures.funnel(steps)]})
    return {"course_id": course.id, "modules": result}


def funnel(course: Course) -> tuple[dict, str | None]:
    row = db.session.get(Snapshot, ("funnel", str(course.id)))
    if row is not None:
        return row.payload, row.refreshed_at.isoformat()
    return live_funnel(course), None


# ---------------------------------------------------------------- quiz item analysis

def quiz_versions(quiz_id: int) -> list[QuizVersion]:
    return list(db.session.scalars(select(QuizVersion).where(QuizVersion.quiz_id == quiz_id)
                                   .order_by(QuizVersion.number.desc())))


def _wrong_key(question: dict, response: dict | None) -> list[str]:
    """What a wrong answer was, as keys to count: option ids, or the typed text."""
    if not response:
        return ["-"]  # shown but left blank
    kind = question["type"]
    if kind in ("single", "truefalse"):
        return [response.get("choice", "-")]
    if kind == "multiple":
        correct = {o["id"] for o in question["options"] if o["correct"]}
        picked = [c for c in response.get("choices", []) if c not in correct]
        missed = [f"!{c}" for c in sorted(correct - set(response.get("choices", [])))]
        return picked or missed or ["-"]
    if kind in ("text", "numeric"):
        return ["=" + normalize_text(response.get("text", ""))[:60]]
    if kind == "order":
        return [">" + "".join(response.get("order", []))]
    return ["-"]


def _chunks(ids: list[int], size: int = 5000):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def live_item_analysis(version: QuizVersion) -> dict:
    """Item analysis over each learner's first graded attempt at this quiz version.

    First attempts, the textbook choice: later attempts are by people who already saw the
    questions (and the feedback), which inflates facility and hides broken items.
    """
    content = version.content
    questions = content["questions"]
    by_id = {q["id"]: q for q in questions}
    scoring = content["settings"]["multiple_scoring"]
    first_ids = db.session.scalars(
        # quiz_id first: it is indexed, so only this quiz's attempts are read.
        select(func.min(Attempt.id)).where(Attempt.quiz_id == version.quiz_id,
                                           Attempt.version_id == version.id,
                                           Attempt.state == "graded")
        .group_by(Attempt.user_id)).all()
    # The latest ITEM_SAMPLE first attempts: plenty for the measures (the standard error of
    # a facility is under 0.004 at 20,000) and a refresh that stays short at any scale.
    order = sorted(first_ids)[-ITEM_SAMPLE:]
    attempts = {}
    all_ids = [q["id"] for q in questions]
    if content["settings"].get("draw"):  # a random subset per attempt: read what each was shown
        for chunk in _chunks(order):
            for attempt_id, layout in db.session.execute(
                    select(Attempt.id, Attempt.layout).where(Attempt.id.in_(chunk))):
                attempts[attempt_id] = {q: 0.0 for q in layout["questions"] if q in by_id}
    else:
        attempts = {attempt_id: dict.fromkeys(all_ids, 0.0) for attempt_id in order}
    wrong = defaultdict(Counter)
    answered = set()
    # Chunks of attempt ids: primary-key lookups, never a scan of every answer ever given.
    for chunk in _chunks(order):
        for attempt_id, question_id, response in db.session.execute(
                select(AttemptAnswer.attempt_id, AttemptAnswer.question_id,
                       AttemptAnswer.response).where(AttemptAnswer.attempt_id.in_(chunk))):
            shown = attempts.get(attempt_id)
            if shown is None or question_id not in shown:
                continue
            question = by_id[question_id]
            fraction = question_fraction(question, response, scoring)
            shown[question_id] = fraction
            answered.add((attempt_id, question_id))
            if fraction < 1:
                for key in _wrong_key(question, response):
                    wrong[question_id][key] += 1
    for attempt_id in order:  # shown, never answered: blank
        for question_id, fraction in attempts[attempt_id].items():
            if (attempt_id, question_id) not in answered:
                wrong[question_id]["-"] += 1
    people = [attempts[a] for a in order]
    points = {q["id"]: q["points"] for q in questions}
    # Rank by the points earned (the attempt's score), computed the same way for everyone.
    totals = [sum(points[q] * f for q, f in person.items()) for person in people]
    analysis = measures.item_analysis([q["id"] for q in questions], people, totals, wrong)
    # Alpha over points earned per item, the usual form.
    complete = [[person[q["id"]] * points[q["id"]] for q in questions] for person in people
                if all(q["id"] in person for q in questions)]
    items = []
    for item in analysis.items:
        data = asdict(item)
        data.update(review=item.review, reasons=item.reasons)
        items.append(data)
    return {"version_id": version.id, "people": analysis.people,
            "first_attempts": len(first_ids),
            "alpha": measures.cronbach_alpha(complete), "alpha_people": len(complete),
            "items": items}


def item_analysis(version: QuizVersion) -> tuple[dict, str | None]:
    row = db.session.get(Snapshot, ("items", str(version.id)))
    if row is not None:
        return row.payload, row.refreshed_at.isoformat()
    return live_item_analysis(version), None


def edit_link(course_slug: str, module: Module, language: str) -> str:
    """Where the course editor opens this module's quiz file (the authoring room's page)."""
    from flask import url_for

    return url_for("authoring.edit_file", slug=course_slug,
                   path=f"{module.position:02d}-{module.slug}/quiz.{language}.md")


# ---------------------------------------------------------------- mentors and tiers

def live_mentor_outcomes() -> list[measures.MentorOutcome]:
    """Every mentor's direct mentees, how many hold a certificate, and how fast they got it."""
    mentees = dict(db.session.execute(
        select(TreeNode.mentor_id, func.count()).where(TreeNode.mentor_id.is_not(None))
        .group_by(TreeNode.mentor_id)).all())
    first = (select(Certificate.user_id.label("user_id"),
                    func.min(Certificate.issued_at).label("issued_at"))
             .where(Certificate.revoked_at.is_(None)).group_by(Certificate.user_id)).subquery()
    days = defaultdict(list)
    for mentor_id, seconds in db.session.execute(
            select(TreeNode.mentor_id, cast(seconds_between(TreeNode.joined_at, first.c.issued_at),
                                            Float))
            .join(first, first.c.user_id == TreeNode.user_id)
            .where(TreeNode.mentor_id.is_not(None)).execution_options(yield_per=20000)):
        days[mentor_id].append(max(0.0, seconds) / 86400)
    return [measures.MentorOutcome(mentor_id, count, len(days.get(mentor_id, ())),
                                   measures.percentile(days.get(mentor_id, []), 0.5))
            for mentor_id, count in mentees.items()]


def _ranking_payload(outcomes, minimum: int) -> dict:
    ranked = measures.rank_mentors(outcomes, minimum)
    return {"minimum": minimum, "eligible": len(ranked),
            "mentors": [{"mentor_id": o.mentor_id, "mentees": o.mentees, "certified": o.certified,
                         "rate": o.certification_rate, "median_days": o.median_days}
                        for o in ranked[:MENTORS_SHOWN]]}


def mentor_ranking(minimum: int) -> tuple[dict, str | None]:
    row = db.session.get(Snapshot, ("mentors", str(minimum)))
    if row is not None:
        return row.payload, row.refreshed_at.isoformat()
    return _ranking_payload(live_mentor_outcomes(), minimum), None


def mentor_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def live_tier_history(weeks: int = TIER_WEEKS) -> dict:
    """People per tier at the end of each of the last `weeks` weeks (joins + tier changes)."""
    last = week_start(local_today())
    first = last - timedelta(weeks=weeks - 1)
    week_list = [first + timedelta(weeks=i) for i in range(weeks)]

    def fold(day) -> date:
        return max(first, as_date(day))  # earlier history counts into the first week

    joins = Counter()
    joined = local_week(TreeNode.joined_at)
    for week, count in db.session.execute(select(joined, func.count()).group_by(joined)):
        joins[fold(week)] += count
    changes: dict = defaultdict(Counter)
    changed = local_week(TierChange.changed_at)
    for week, old, new, count in db.session.execute(
            select(changed, TierChange.from_tier, TierChange.to_tier, func.count())
            .group_by(changed, TierChange.from_tier, TierChange.to_tier)):
        changes[fold(week)][(old, new)] += count
    keys = tier_keys()
    per_week = measures.tier_distribution(week_list, joins, changes, keys, FIRST_TIER)
    return {"tiers": keys, "weeks": [w.isoformat() for w in week_list],
            "counts": [[row.get(k, 0) for k in keys] for row in per_week]}


def tier_history() -> tuple[dict, str | None]:
    row = db.session.get(Snapshot, ("tiers", "weekly"))
    if row is not None:
        return row.payload, row.refreshed_at.isoformat()
    return live_tier_history(), None


# ---------------------------------------------------------------- refresh

def refresh_statistics(progress=None) -> dict:
    """Rebuild every roll-up from the raw tables in one transaction (readers see the old
    roll-ups until the commit). Safe to run twice or concurrently: the last commit wins."""
    started = utcnow()
    step = progress or (lambda label: None)
    if _dialect() == "postgresql":
        # One refresh at a time; a second waits and then rebuilds from fresher data.
        db.session.execute(select(func.pg_advisory_xact_lock(7_000_007)))
    step("teams")
    for table in (_team_of, _team_closure, _cells):
        db.session.execute(text(f"DROP TABLE IF EXISTS {table.name}"))
        table.create(db.session.connection())
    teams = _write_teams(team_minimum())
    step("daily figures")
    _write_cells()
    cells = _write_cubes()
    _write_completion_times()
    snapshots = []
    step("funnels")
    for course in visible_courses():
        snapshots.append(("funnel", str(course.id), live_funnel(course)))
    step("item analysis")
    for version in db.session.scalars(select(QuizVersion).where(QuizVersion.id.in_(
            select(Attempt.version_id).where(Attempt.state == "graded").distinct()))):
        snapshots.append(("items", str(version.id), live_item_analysis(version)))
    step("mentors")
    outcomes = live_mentor_outcomes()
    for minimum in MENTOR_MINIMUMS:
        snapshots.append(("mentors", str(minimum), _ranking_payload(outcomes, minimum)))
    step("tier history")
    snapshots.append(("tiers", "weekly", live_tier_history()))
    finished = utcnow()
    snapshots.append(("refresh", "last", {"started_at": started.isoformat(),
                                          "finished_at": finished.isoformat(),
                                          "seconds": (finished - started).total_seconds(),
                                          "cells": cells, "teams": teams}))
    step("writing")
    for table in (_team_of, _team_closure, _cells):
        table.drop(db.session.connection())
    if _dialect() == "postgresql":
        # Fresh planner statistics for the rewritten roll-ups (autovacuum comes later).
        db.session.execute(text("ANALYZE stats_daily, stats_team_daily, stats_teams, "
                                "stats_completion_times"))
    db.session.execute(delete(Snapshot))
    db.session.execute(insert(Snapshot), [
        {"kind": kind, "key": key, "payload": payload, "refreshed_at": finished}
        for kind, key, payload in snapshots])
    db.session.commit()
    return {"cells": cells, "teams": teams, "snapshots": len(snapshots),
            "seconds": (finished - started).total_seconds()}


def human_duration(seconds: float | None) -> tuple[float, str] | None:
    """(value, unit) for a duration: minutes under 2 hours, hours under 2 days, else days."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return None
    if seconds < 7200:
        return round(seconds / 60, 1), "minutes"
    if seconds < 172800:
        return round(seconds / 3600, 1), "hours"
    return round(seconds / 86400, 1), "days"

