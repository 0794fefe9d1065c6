"""The ledger's events from five sources (lessons read, quizzes, certificates, role-plays,
assignment reviews), filtered, in one time order, page by page or streamed.

Order: newest first by (time, kind, key...), a total order even when timestamps tie. A page
starts after the last row of the previous one (keyset), never at an OFFSET: each source is
read backwards along its (time, key) index from the cursor, LIMIT page size + 1, and the
sources are merged — the cost of a page does not grow with the ledger.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Boolean, Float, Integer, String, and_, cast, literal, null, select, tuple_, union_all
from sqlalchemy.sql import Select

from ..accounts.administration import matching_user_ids
from ..accounts.models import User
from ..certificates.models import Certificate
from ..extensions import db
from ..learning.models import Course, Lesson, LessonProgress, LessonText, Module
from ..practice.figures import current_versions
from ..practice.models import (Assignment, Scenario, ScenarioPlay, Submission, SubmissionReview,
                               SubmissionVersion)
from ..quizzes.models import Attempt, Quiz
from ..referrals.models import TreeNode
from ..referrals.services import find_by_code, subtree_range
from .errors import ledger_errors

# Kind and its rank in the sort order (ties in time: higher rank first).
KINDS = {"lesson": 1, "quiz": 2, "certificate_issued": 3, "certificate_revoked": 4,
         "roleplay": 5, "assignment_review": 6}
KIND_OF_RANK = {rank: kind for kind, rank in KINDS.items()}
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
STREAM_BATCH = 500
PEOPLE_LIST_MAX = 5000
# Cells that a spreadsheet would run as a formula (OWASP's list), made plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Cursor:
    """The sort key of the last row shown: the next page starts strictly after it."""

    at: datetime
    rank: int
    a: int
    b: int

    def encode(self) -> str:
        return f"{self.at.isoformat()}_{self.rank}_{self.a}_{self.b}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        try:
            at, rank, a, b = raw.rsplit("_", 3)
            cursor = cls(datetime.fromisoformat(at), int(rank), int(a), int(b))
        except ValueError:
            raise ledger_errors("bad_cursor") from None
        if cursor.rank not in KIND_OF_RANK:
            raise ledger_errors("bad_cursor")
        return cursor


@dataclass(frozen=True)
class Filters:
    start: datetime | None = None  # UTC, inclusive
    end: datetime | None = None  # UTC, exclusive
    course_id: int | None = None
    kinds: tuple[str, ...] = tuple(KINDS)
    learner: str = ""  # search text: name/phone/email prefix, invite code, #id
    mentor_path: str | None = None  # the mentor's tree path: their team, not themselves
    tier: str | None = None


@dataclass
class FilterForm:
    """The request's filter values as typed, to show them again in the form."""

    start: str = ""
    end: str = ""
    course: str = ""
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    learner: str = ""
    mentor: str = ""
    tier: str = ""


def _local_day_start(day: date) -> datetime:
    """Midnight of a local date (TIMEZONE, Asia/Shanghai by default) as naive UTC."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = datetime.combine(day, time.min, tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def parse_filters(args) -> tuple[Filters, FilterForm]:
    """Filters from query arguments; a ledger DomainError (a 400) for values that make no sense."""
    form = FilterForm(start=args.get("start", "").strip(), end=args.get("end", "").strip(),
                      course=args.get("course", "").strip(),
                      kinds=[k for k in args.getlist("kind") if k] or list(KINDS),
                      learner=" ".join(args.get("learner", "").split())[:64],
                      mentor=args.get("mentor", "").strip()[:32], tier=args.get("tier", "").strip())
    try:
        start = date.fromisoformat(form.start) if form.start else None
        end = date.fromisoformat(form.end) if form.end else None
    except ValueError:
        raise ledger_errors("bad_date") from None
    if start and end and end < start:
        raise ledger_errors("dates_reversed")
    if any(kind not in KINDS for kind in form.kinds):
        raise ledger_errors("bad_kind")
    course_id = None
    if form.course:
        course_id = db.session.scalar(select(Course.id).where(Course.slug == form.course))
        if course_id is None:
            raise ledger_errors("unknown_course")
    mentor_path = None
    if form.mentor:
        node = find_by_code(form.mentor)
        if node is None and form.mentor.lstrip("#").isdigit() and int(form.mentor.lstrip("#")) < 2**31:
            node = db.session.get(TreeNode, int(form.mentor.lstrip("#")))
        if node is None:
            raise ledger_errors("unknown_mentor")
        mentor_path = node.path
    if form.tier and form.tier not in tier_names():
        raise ledger_errors("unknown_tier")
    filters = Filters(start=_local_day_start(start) if start else None,
                      end=_local_day_start(end + timedelta(days=1)) if end else None,
                      course_id=course_id, kinds=tuple(form.kinds), learner=form.learner,
                      mentor_path=mentor_path, tier=form.tier or None)
    return filters, form


def tier_names() -> dict[str, dict]:
    from ..referrals.tiers import current_rules

    return {tier.key: tier.name for tier in current_rules().tiers}


def _after(at, rank: int, keys: tuple, cursor: Cursor | None):
    """Rows of one source (fixed rank) that sort after the cursor in newest-first order."""
    if cursor is None:
        return None
    if rank < cursor.rank:
        return at <= cursor.at
    if rank > cursor.rank:
        return at < cursor.at
    # Same kind: compare (time, keys) as a row value, which the (time, keys) index serves.
    values = (cursor.at, cursor.a, cursor.b)[:len(keys) + 1]
    return tuple_(at, *keys) < tuple_(*values)


def _none(type_, name: str):
    # Typed: PostgreSQL reads an untyped NULL in a subquery as text, which UNION then refuses.
    return cast(null(), type_).label(name)


def _people_ids(filters: Filters) -> list:
    """Selects of the user ids each people filter allows (all must hold)."""
    selects = []
    if filters.learner:
        ids = matching_user_ids(filters.learner)
        selects.append(select(ids.c.id) if ids is not None else None)
    if filters.mentor_path:
        low, high = subtree_range(filters.mentor_path)
        selects.append(select(TreeNode.user_id).where(TreeNode.path > low, TreeNode.path < high))
    if filters.tier:
        selects.append(select(TreeNode.user_id).where(TreeNode.tier == filters.tier))
    return selects


def _resolved(selects: list) -> list:
    """A small set of people becomes a list of ids: the planner then reads each person's own
    rows by user index instead of walking the whole time index looking for them (a team of
    100 among 200,000 people: 2.6 s as a subquery, milliseconds as a list). Large sets stay
    subqueries; their rows are common, so the time-ordered walk finds a page quickly."""
    resolved = []
    for statement in selects:
        if statement is None:
            resolved.append([])
            continue
        ids = list(db.session.scalars(statement.limit(PEOPLE_LIST_MAX + 1)))
        resolved.append(ids if len(ids) <= PEOPLE_LIST_MAX else statement)
    return resolved


def _people(people: list, user_column) -> list:
    return [user_column.in_(ids) for ids in people]


def _time(column, filters: Filters) -> list:
    conditions = []
    if filters.start:
        conditions.append(column >= filters.start)
    if filters.end:
        conditions.append(column < filters.end)
    return conditions


def _sources(filters: Filters, cursor: Cursor | None) -> list[tuple[Select, tuple]]:
    """One select per kind asked for, all with the same columns, and each one's sort columns."""
    sources = []
    if "lesson" in filters.kinds:
        at, keys = LessonProgress.read_at, (LessonProgress.user_id, LessonProgress.lesson_id)
        statement = select(
            at.label("at"), literal(KINDS["lesson"]).label("kind"), keys[0].label("a"),
            keys[1].label("b"), LessonProgress.user_id.label("user_id"),
            Lesson.course_id.label("course_id"), LessonProgress.lesson_id.label("item_id"),
            _none(Integer, "number"), _none(Float, "score"), _none(Float, "max_score"),
            _none(Float, "percent"), _none(Boolean, "passed"), _none(String, "code"),
        ).join(Lesson, Lesson.id == LessonProgress.lesson_id)
        if filters.course_id:
            statement = statement.where(Lesson.course_id == filters.course_id)
        sources.append((statement, at, keys, KINDS["lesson"], LessonProgress.user_id))
    if "quiz" in filters.kinds:
        at, keys = Attempt.submitted_at, (Attempt.id,)
        statement = select(
            at.label("at"), literal(KINDS["quiz"]).label("kind"), Attempt.id.label("a"),
            literal(0).label("b"), Attempt.user_id.label("user_id"),
            Module.course_id.label("course_id"), Quiz.module_id.label("item_id"),
            Attempt.number.label("number"), Attempt.score.label("score"),
            Attempt.max_score.label("max_score"), Attempt.percent.label("percent"),
            Attempt.passed.label("passed"), _none(String, "code"),
        ).join(Quiz, Quiz.id == Attempt.quiz_id).join(Module, Module.id == Quiz.module_id) \
            .where(Attempt.state == "graded", at.is_not(None))
        if filters.course_id:
            statement = statement.where(Module.course_id == filters.course_id)
        sources.append((statement, at, keys, KINDS["quiz"], Attempt.user_id))
    for kind, at in (("certificate_issued", Certificate.issued_at),
                     ("certificate_revoked", Certificate.revoked_at)):
        if kind not in filters.kinds:
            continue
        keys = (Certificate.id,)
        statement = select(
            at.label("at"), literal(KINDS[kind]).label("kind"), Certificate.id.label("a"),
            literal(0).label("b"), Certificate.user_id.label("user_id"),
            Certificate.course_id.label("course_id"), _none(Integer, "item_id"),
            Certificate.generation.label("number"), _none(Float, "score"),
            _none(Float, "max_score"), _none(Float, "percent"), _none(Boolean, "passed"),
            Certificate.code.label("code"),
        ).where(at.is_not(None))
        if filters.course_id:
            statement = statement.where(Certificate.course_id == filters.course_id)
        sources.append((statement, at, keys, KINDS[kind], Certificate.user_id))
    if "roleplay" in filters.kinds:
        # A finished role-play: who, which scenario, her score (earned of the most she could
        # have earned on the way she went) and whether she passed.
        at, keys = ScenarioPlay.finished_at, (ScenarioPlay.id,)
        statement = select(
            at.label("at"), literal(KINDS["roleplay"]).label("kind"), ScenarioPlay.id.label("a"),
            literal(0).label("b"), ScenarioPlay.user_id.label("user_id"),
            Module.course_id.label("course_id"), ScenarioPlay.scenario_id.label("item_id"),
            ScenarioPlay.number.label("number"),
            cast(ScenarioPlay.scores["earned"].as_float(), Float).label("score"),
            cast(ScenarioPlay.scores["max"].as_float(), Float).label("max_score"),
            cast(ScenarioPlay.percent, Float).label("percent"),
            ScenarioPlay.passed.label("passed"), _none(String, "code"),
        ).join(Scenario, Scenario.id == ScenarioPlay.scenario_id) \
            .join(Module, Module.id == Scenario.module_id) \
            .where(ScenarioPlay.state == "finished", at.is_not(None))
        if filters.course_id:
            statement = statement.where(Module.course_id == filters.course_id)
        sources.append((statement, at, keys, KINDS["roleplay"], ScenarioPlay.user_id))
    if "assignment_review" in filters.kinds:
        at, keys = SubmissionReview.reviewed_at, (SubmissionReview.id,)
        statement = select(
            at.label("at"), literal(KINDS["assignment_review"]).label("kind"),
            SubmissionReview.id.label("a"), literal(0).label("b"),
            Submission.user_id.label("user_id"), Module.course_id.label("course_id"),
            Assignment.module_id.label("item_id"), SubmissionVersion.number.label("number"),
            cast(SubmissionReview.points, Float).label("score"),
            cast(SubmissionReview.max_points, Float).label("max_score"),
            (cast(SubmissionReview.points, Float) * 100 / SubmissionReview.max_points)
            .label("percent"), (SubmissionReview.decision == "approved").label("passed"),
            _none(String, "code"),
        ).join(SubmissionVersion, SubmissionVersion.id == SubmissionReview.version_id) \
            .join(Submission, Submission.id == SubmissionVersion.submission_id) \
            .join(Assignment, Assignment.id == Submission.assignment_id) \
            .join(Module, Module.id == Assignment.module_id)
        if filters.course_id:
            statement = statement.where(Module.course_id == filters.course_id)
        sources.append((statement, at, keys, KINDS["assignment_review"], Submission.user_id))
    shaped = []
    people = _resolved(_people_ids(filters))
    for statement, at, keys, rank, user_column in sources:
        conditions = [*_time(at, filters), *_people(people, user_column)]
        after = _after(at, rank, keys, cursor)
        if after is not None:
            conditions.append(after)
        if conditions:
            statement = statement.where(and_(*conditions))
        shaped.append((statement, (at.desc(), *(k.desc() for k in keys))))
    return shaped


def _ledger(filters: Filters, cursor: Cursor | None, limit: int | None):
    """The merged, ordered events; with a limit each source is cut at the limit first."""
    sources = _sources(filters, cursor)
    if not sources:
        return None
    parts = []
    for statement, order in sources:
        if limit is not None:
            # Each source reads at most `limit` rows along its index before the merge.
            statement = select(statement.order_by(*order).limit(limit).subquery())
        parts.append(statement)
    merged = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("events")
    statement = select(merged, User.display_name.label("name")) \
        .join(User, User.id == merged.c.user_id) \
        .order_by(merged.c.at.desc(), merged.c.kind.desc(), merged.c.a.desc(), merged.c.b.desc())
    if limit is not None:
        statement = statement.limit(limit)
    return statement


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    user_id: int
    name: str
    course_id: int
    item_id: int | None
    number: int | None
    score: float | None
    max_score: float | None
    percent: float | None
    passed: bool | None
    code: str | None


def _entry(row) -> Entry:
    passed = row.passed
    return Entry(at=row.at, kind=KIND_OF_RANK[row.kind], user_id=row.user_id, name=row.name,
                 course_id=row.course_id, item_id=row.item_id, number=row.number,
                 score=row.score, max_score=row.max_score, percent=row.percent,
                 passed=None if passed is None else bool(passed), code=row.code)


def ledger_page(filters: Filters, cursor: Cursor | None = None,
                size: int = PAGE_SIZE) -> tuple[list[Entry], Cursor | None]:
    """One page of events after `cursor`, and the cursor of the next page (None: last page)."""
    statement = _ledger(filters, cursor, size + 1)
    if statement is None:
        return [], None
    rows = db.session.execute(statement).all()
    entries = [_entry(row) for row in rows[:size]]
    if len(rows) <= size:
        return entries, None
    last = rows[size - 1]
    return entries, Cursor(last.at, last.kind, last.a, last.b)


def stream_entries(filters: Filters):
    """Every event, newest first, page by page along the same keyset as the screen.

    One unlimited ordered UNION would make PostgreSQL sort every event before the first row
    (tens of seconds at millions); keyset pages start at once, each an index walk, and memory
    stays flat at any size.
    """
    cursor = None
    while True:
        entries, cursor = ledger_page(filters, cursor, STREAM_BATCH)
        yield from entries
        if cursor is None:
            return


class Titles:
    """Course, module and lesson titles for display (the curriculum is small: read it once)."""

    def __init__(self, language: str):
        from ..i18n import pick

        self.courses = {cid: pick(title, language) for cid, title in db.session.execute(
            select(Course.id, Course.title))}
        self.course_slugs = dict(db.session.execute(select(Course.id, Course.slug)).all())
        self.modules = {mid: pick(title, language) for mid, title in db.session.execute(
            select(Module.id, Module.title))}
        lessons: dict[int, dict] = {}
        for lesson_id, locale, title in db.session.execute(
                select(LessonText.lesson_id, LessonText.locale, LessonText.title)):
            lessons.setdefault(lesson_id, {})[locale] = title
        self.lessons = {lid: pick(texts, language) for lid, texts in lessons.items()}
        self.scenarios = {sid: pick(content["title"], language) for sid, (_v, _n, content)
                          in current_versions(list(db.session.scalars(select(Scenario.id))))
                          .items()}

    def item(self, entry: Entry) -> str:
        if entry.kind == "lesson":
            return self.lessons.get(entry.item_id, "")
        if entry.kind in ("quiz", "assignment_review"):
            return self.modules.get(entry.item_id, "")
        if entry.kind == "roleplay":
            return self.scenarios.get(entry.item_id, "")
        return self.courses.get(entry.course_id, "")


def courses() -> list[tuple[str, dict]]:
    return list(db.session.execute(select(Course.slug, Course.title).order_by(Course.position, Course.id)))


def safe_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading =, +, -, @, tab or CR gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Line:
    def write(self, text: str) -> str:
        return text


def csv_lines(header: list[str], rows):
    """CSV text, one chunk per batch of rows: a BOM (Excel reads UTF-8), then the rows."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([safe_cell(h) for h in header])
    batch = []
    for row in rows:
        batch.append(writer.writerow([safe_cell(cell) for cell in row]))
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)
