"""Reading path rules: outlines, progress, "continue where you left off", marking as read."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from flask import current_app, has_request_context
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import (String, bindparam, cast, delete, literal_column, select, union_all,
                        update)

from ..accounts.models import User
from ..clock import utcnow
from ..database import insert_ignoring_duplicates, upsert
from ..extensions import db
from ..notifications import services as notifications
from . import gating, hooks
from .errors import learning_errors
from .models import ChecklistTick, Course, Enrolment, Lesson, LessonProgress, LessonText, Module
from .signals import course_completed


# The shape of a course: immutable, cached per process, keyed by the course's revision ------

@dataclass(frozen=True)
class LessonRow:
    """A visible lesson as the outline shows it: no body (the page loads its own)."""

    id: int
    course_id: int
    module_id: int
    slug: str
    position: int
    titles: dict  # locale -> (title, minutes)
    checklist: bool  # some language of it has ```checklist items
    hidden: bool = False


@dataclass(frozen=True)
class ModuleRow:
    id: int
    course_id: int
    slug: str
    position: int
    title: dict
    summary: dict
    hidden: bool = False


@dataclass(frozen=True)
class CourseShape:
    """Visible modules and lessons in order, and which modules have a visible quiz."""

    key: tuple
    modules: tuple  # ((ModuleRow, (LessonRow, ...)), ...)
    quizzes: dict  # module id -> quiz id
    lessons_by_slug: dict
    scenarios: dict = field(default_factory=dict)  # module id -> (role-play fact, ...)

    @property
    def lesson_ids(self) -> list[int]:
        return [lesson.id for _module, lessons in self.modules for lesson in lessons]


@dataclass(frozen=True)
class ShownText:
    """One language of a lesson as its page shows it."""

    locale: str
    title: str
    minutes: int
    toc: list
    body_html: str


_CACHE_LIMIT = 4096  # entries per cache and process; past it the cache starts again


def _cache(name: str) -> dict:
    # On the app, not the module: every app (a test's, a worker's) has its own.
    return current_app.extensions.setdefault("learning_cache", {}).setdefault(name, {})


def _key(course: Course) -> tuple:
    # The revision moves with every publish; updated_at too, so a database restored to an
    # older state does not meet an outline cached under the same revision number.
    return (course.id, course.content_revision, course.updated_at)


def course_shape(course: Course) -> CourseShape:
    """The course's outline without any learner in it: cached until the next publish."""
    cache = _cache("shapes")
    key = _key(course)
    shape = cache.get(course.id)
    if shape is not None and shape.key == key:
        return shape
    rows = db.session.execute(
        select(Module.id, Module.slug, Module.position, Module.title, Module.summary,
               Lesson.id, Lesson.slug, Lesson.position)
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id == course.id, Module.hidden.is_(False), Lesson.hidden.is_(False))
        .order_by(Module.position, Module.slug, Lesson.position, Lesson.slug)).all()
    titles: dict[int, dict] = {}
    checklists: set[int] = set()
    if rows:
        for lesson_id, locale, title, minutes, has_checklist in db.session.execute(
                select(LessonText.lesson_id, LessonText.locale, LessonText.title,
                       LessonText.minutes, LessonText.body_html.contains(_CHECKLIST_MARK))
                .where(LessonText.lesson_id.in_([row[5] for row in rows]))):
            titles.setdefault(lesson_id, {})[locale] = (title, minutes)
            if has_checklist:
                checklists.add(lesson_id)
    modules: dict[int, tuple[ModuleRow, list]] = {}
    for m_id, m_slug, m_position, m_title, m_summary, l_id, l_slug, l_position in rows:
        module, lessons = modules.setdefault(m_id, (ModuleRow(
            m_id, course.id, m_slug, m_position, m_title, m_summary or {}), []))
        lessons.append(LessonRow(l_id, course.id, m_id, l_slug, l_position,
                                 titles.get(l_id, {}), l_id in checklists))
    shape = CourseShape(
        key=key, modules=tuple((module, tuple(lessons)) for module, lessons in modules.values()),
        quizzes=hooks.visible_quizzes(list(modules)),  # quizzes answer: content, cached too
        scenarios=hooks.visible_scenarios(list(modules)),  # practice answers: content too
        lessons_by_slug={lesson.slug: lesson for _m, lessons in modules.values()
                         for lesson in lessons})
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[course.id] = shape
    return shape


@dataclass(frozen=True)
class Progress:
    read: frozenset  # lesson ids
    passed: frozenset  # quiz ids
    ticked: frozenset = frozenset()  # checklist item ids of one lesson
    last_course: int | None = None  # the course she was active in last (with_last_course)
    scenarios: dict = field(default_factory=dict)  # scenario id -> (passed, best percent)
    assignments: dict = field(default_factory=dict)  # assignment id -> state of her work


def read_progress(user: User | None, lesson_ids: list[int], quiz_ids: list[int],
                  ticks_of: tuple[str, str] | None = None,
                  with_last_course: bool = False, scenario_ids: list[int] = (),
                  assignment_ids: list[int] = ()) -> Progress:
    """Everything of one learner an outline needs, in one statement: lessons read, quizzes
    passed and (ticks_of = (course slug, lesson slug)) one lesson's checklist ticks. Each part
    reads an index that starts with the user's id, so it costs her rows, never anyone else's."""
    if user is None or not (lesson_ids or quiz_ids or ticks_of):
        return Progress(frozenset(), frozenset())
    badge = has_request_context() and getattr(current_user, "id", None) == user.id
    params: dict = {"user_id": user.id}
    if lesson_ids:
        params["lesson_ids"] = list(lesson_ids)
    if quiz_ids:
        params["quiz_ids"] = list(quiz_ids)
    if ticks_of is not None:
        params["course_slug"], params["lesson_slug"] = ticks_of
    if scenario_ids:
        params["scenario_ids"] = list(scenario_ids)
    if assignment_ids:
        params["assignment_ids"] = list(assignment_ids)
    statement = _progress_statement(bool(lesson_ids), bool(quiz_ids), ticks_of is not None,
                                    with_last_course, badge, bool(scenario_ids),
                                    bool(assignment_ids))
    found: dict[str, set] = {"l": set(), "q": set(), "t": set(), "e": set(), "n": set(),
                             "s": set(), "a": set()}
    for kind, value in db.session.execute(statement, params):
        found[kind].add(value if kind in "tsa" else int(value))
    scenarios = {}
    for row in found["s"]:  # "id:passed:best" (practice's hook)
        scenario_id, passed, best = row.split(":")
        scenarios[int(scenario_id)] = (passed == "1", int(best) if best else None)
    assignments = {int(row.split(":")[0]): row.split(":")[1] for row in found["a"]}
    if badge:
        notifications.remember_unread(user.id, next(iter(found["n"]), 0))
    return Progress(frozenset(found["l"]), frozenset(found["q"]), frozenset(found["t"]),
                    next(iter(found["e"]), None), scenarios, assignments)


_PROGRESS_STATEMENTS: dict[tuple, object] = {}  # one per shape of the question, built once


def _progress_statement(lessons: bool, quizzes: bool, ticks: bool, last_course: bool,
                        badge: bool, scenarios: bool, assignments: bool):
    """read_progress's UNION with its values as bound parameters. Built once per shape and
    kept: building and coercing the union took a tenth of a lesson page."""
    key = (lessons, quizzes, ticks, last_course, badge, scenarios, assignments)
    statement = _PROGRESS_STATEMENTS.get(key)
    if statement is not None:
        return statement
    user_id = bindparam("user_id")
    parts = []
    if lessons:
        parts.append(select(literal_column("'l'"), cast(LessonProgress.lesson_id, String))
                     .where(LessonProgress.user_id == user_id,
                            LessonProgress.lesson_id.in_(bindparam("lesson_ids", expanding=True))))
    if quizzes:  # quizzes answer
        passed = hooks.passed_quizzes(user_id, bindparam("quiz_ids", expanding=True)).subquery()
        parts.append(select(literal_column("'q'"), cast(passed.c[0], String)))
    if ticks:
        parts.append(select(literal_column("'t'"), ChecklistTick.item_id).where(
            ChecklistTick.user_id == user_id,
            ChecklistTick.course_slug == bindparam("course_slug"),
            ChecklistTick.lesson_slug == bindparam("lesson_slug")))
    if last_course:
        last = (select(Enrolment.course_id).join(Course, Course.id == Enrolment.course_id)
                .where(Enrolment.user_id == user_id, Course.hidden.is_(False))
                .order_by(Enrolment.last_activity_at.desc()).limit(1).subquery())
        parts.append(select(literal_column("'e'"), cast(last.c.course_id, String)))
    if badge:  # the header's unread badge of the page she is reading, in the same statement
        unread = notifications.unread_count_select(user_id).subquery()
        parts.append(select(literal_column("'n'"), cast(unread.c[0], String)))
    if scenarios:  # practice answers
        results = hooks.scenario_results(
            user_id, bindparam("scenario_ids", expanding=True)).subquery()
        parts.append(select(literal_column("'s'"), results.c[0]))
    if assignments:  # practice answers
        work = hooks.assignment_results(
            user_id, bindparam("assignment_ids", expanding=True)).subquery()
        parts.append(select(literal_column("'a'"), work.c[0]))
    statement = union_all(*parts) if len(parts) > 1 else parts[0]
    _PROGRESS_STATEMENTS[key] = statement
    return statement


@dataclass
class LessonEntry:
    lesson: LessonRow
    title: str
    minutes: int
    read: bool


@dataclass
class ModuleEntry:
    module: ModuleRow
    lessons: list[LessonEntry] = field(default_factory=list)
    has_quiz: bool = False
    quiz_passed: bool = False
    unlocked: bool = True
    quiz_unlocked: bool = False
    # Role-plays and assignments (practice answers the hook): each fact has a `kind`.
    scenarios: list = field(default_factory=list)

    @property
    def roleplays(self) -> list:
        return [s for s in self.scenarios if s.kind == "roleplay"]

    @property
    def assignments(self) -> list:
        return [s for s in self.scenarios if s.kind == "assignment"]

    @property
    def facts(self) -> gating.ModuleFacts:
        return gating.ModuleFacts(self.module.id, self.all_read, self.has_quiz, self.quiz_passed,
                                  all(s.passed for s in self.scenarios if s.required))

    @property
    def read_count(self) -> int:
        return sum(entry.read for entry in self.lessons)

    @property
    def all_read(self) -> bool:
        return self.read_count == len(self.lessons)


@dataclass
class Outline:
    course: Course
    modules: list[ModuleEntry]
    ticked: frozenset = frozenset()  # the checklist ticks asked for (course_outline's lesson)

    @property
    def lessons(self) -> list[LessonEntry]:
        return [entry for module in self.modules for entry in module.lessons]

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def read_count(self) -> int:
        return sum(entry.read for entry in self.lessons)

    @property
    def percent(self) -> int:
        return round(100 * self.read_count / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return gating.course_complete([m.facts for m in self.modules])

    def module_of(self, lesson) -> ModuleEntry:
        return next(m for m in self.modules if any(e.lesson.id == lesson.id for e in m.lessons))

    def next_unread(self) -> LessonEntry | None:
        return next((entry for entry in self.lessons if not entry.read), None)

    def neighbours(self, lesson) -> tuple[LessonEntry | None, LessonEntry | None]:
        ids = [entry.lesson.id for entry in self.lessons]
        index = ids.index(lesson.id)
        before = self.lessons[index - 1] if index > 0 else None
        after = self.lessons[index + 1] if index + 1 < len(ids) else None
        return before, after

    def mark_read_here(self, lesson) -> None:
        """The lesson is read now (this request wrote it): the gating follows."""
        for entry in self.lessons:
            if entry.lesson.id == lesson.id:
                entry.read = True
        _apply_gating(self, {m.module.id for m in self.modules if m.quiz_passed})


def visible_courses() -> list[Course]:
    return list(db.session.scalars(
        select(Course).where(Course.hidden.is_(False)).order_by(Course.position, Course.slug)))


def find_course(slug: str) -> Course | None:
    return db.session.execute(
        select(Course).where(Course.slug == slug, Course.hidden.is_(False))).scalar_one_or_none()


def find_lesson(course: Course, slug: str) -> LessonRow | None:
    """A visible lesson of a visible module (from the cached outline: no query)."""
    return course_shape(course).lessons_by_slug.get(slug)


def lesson_text(lesson: LessonRow, language: str, course: Course | None = None) -> ShownText | None:
    """The lesson in the learner's language, else in the language it was written in.

    Cached per process like the outline, under the course's revision: the HTML was rendered
    at publish time and only a publish changes it."""
    course = course or db.session.get(Course, lesson.course_id)
    cache = _cache("texts")
    key = (_key(course), lesson.id)
    texts = cache.get(key)
    if texts is None:
        texts = {row.locale: ShownText(row.locale, row.title, row.minutes, row.toc or [],
                                       row.body_html)
                 for row in db.session.execute(
                     select(LessonText.locale, LessonText.title, LessonText.minutes,
                            LessonText.toc, LessonText.body_html)
                     .where(LessonText.lesson_id == lesson.id).order_by(LessonText.id))}
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = texts
    return texts.get(language) or next(iter(texts.values()), None)


def course_outline(course: Course, user: User | None, language: str,
                   ticks_of: LessonRow | None = None) -> Outline:
    """Visible modules and lessons in order, with titles in `language` and read ticks.

    The course's shape comes from the process's cache (keyed by its revision); the learner's
    progress from one query (and, with ticks_of, that lesson's checklist ticks with it)."""
    shape = course_shape(course)
    ticks = (course.slug, ticks_of.slug) if ticks_of is not None and ticks_of.checklist else None
    practice = [fact for facts in shape.scenarios.values() for fact in facts]
    progress = read_progress(
        user, shape.lesson_ids, list(shape.quizzes.values()), ticks,
        scenario_ids=[fact.id for fact in practice if fact.kind == "roleplay"],
        assignment_ids=[fact.id for fact in practice if fact.kind == "assignment"])
    return _outline(course, shape, progress, language, _scenarios(shape, progress))


def _scenarios(shape: CourseShape, progress: Progress) -> dict:
    """The course's role-plays and assignments (cached content) with her results (from her
    progress)."""
    def hers(fact):
        if fact.kind == "assignment":
            state = progress.assignments.get(fact.id)
            return replace(fact, passed=state == "approved", state=state) if state else fact
        result = progress.scenarios.get(fact.id)
        return replace(fact, passed=result[0], best_percent=result[1]) if result else fact

    return {module_id: [hers(fact) for fact in facts]
            for module_id, facts in shape.scenarios.items()}


def _outline(course: Course, shape: CourseShape, progress: Progress, language: str,
             scenarios: dict | None = None) -> Outline:
    """The outline from the cached shape and her progress; without `scenarios` (the home
    page's "continue" link) the role-plays are left out, which only the gating would use."""
    modules = []
    for module, lessons in shape.modules:
        entry = ModuleEntry(module=module)
        for lesson in lessons:
            title, minutes = lesson.titles.get(language) or next(
                iter(lesson.titles.values()), (lesson.slug, 1))
            entry.lessons.append(LessonEntry(lesson=lesson, title=title, minutes=minutes,
                                             read=lesson.id in progress.read))
        entry.has_quiz = module.id in shape.quizzes
        entry.scenarios = (scenarios or {}).get(module.id, [])
        modules.append(entry)
    outline = Outline(course=course, modules=modules, ticked=progress.ticked)
    _apply_gating(outline, {module_id for module_id, quiz_id in shape.quizzes.items()
                            if quiz_id in progress.passed})
    return outline


def _apply_gating(outline: Outline, passed_modules: set[int]) -> None:
    for entry in outline.modules:
        entry.quiz_passed = entry.module.id in passed_modules
    unlocked = gating.unlocked_modules([m.facts for m in outline.modules], outline.course.gating)
    for entry in outline.modules:
        entry.unlocked = unlocked[entry.module.id]
        entry.quiz_unlocked = entry.has_quiz and gating.quiz_unlocked(
            entry.facts, entry.unlocked, outline.course.gating)


@dataclass
class CatalogEntry:
    course: Course
    total: int
    read: int

    @property
    def percent(self) -> int:
        return round(100 * self.read / self.total) if self.total else 0


def catalog(user: User, courses: list[Course] | None = None,
            progress: Progress | None = None) -> list[CatalogEntry]:
    """Every visible course with the user's read/total lesson counts: the totals from the
    cached outlines, what she read from one query."""
    courses = visible_courses() if courses is None else courses
    shapes = [course_shape(course) for course in courses]
    if progress is None:
        progress = read_progress(user, [i for shape in shapes for i in shape.lesson_ids], [])
    return [CatalogEntry(course, len(shape.lesson_ids),
                         sum(1 for i in shape.lesson_ids if i in progress.read))
            for course, shape in zip(courses, shapes)]


def home_data(user: User, language: str):
    """The home page's catalog and continue point: one query besides the courses."""
    courses = visible_courses()
    shapes = {course.id: course_shape(course) for course in courses}
    progress = read_progress(user, [i for shape in shapes.values() for i in shape.lesson_ids],
                             [q for shape in shapes.values() for q in shape.quizzes.values()],
                             with_last_course=True)
    entries = catalog(user, courses, progress)
    resume = None
    course = next((c for c in courses if c.id == progress.last_course), None)
    if course is not None:
        resume = course, _outline(course, shapes[course.id], progress, language).next_unread()
    return entries, resume


def continue_point(user: User, language: str) -> tuple[Course, LessonEntry | None] | None:
    """The course the learner touched last and its first unread lesson (None when all read)."""
    course = db.session.execute(
        select(Course).join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id, Course.hidden.is_(False))
        .order_by(Enrolment.last_activity_at.desc()).limit(1)).scalar_one_or_none()
    if course is None:
        return None
    return course, course_outline(course, user, language).next_unread()


def completed(user: User, course_id: int) -> bool:
    """Whether the learner's completion of the course is recorded."""
    return db.session.scalar(select(Enrolment.completed_at).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course_id)) is not None


def mark_read(user: User, lesson: LessonRow, outline: Outline) -> bool:
    """Record that the learner read a lesson; True the first time. Safe to repeat or race.

    Two statements, in the caller's transaction (the view commits): the progress row, and
    the enrolment with its last activity (one upsert). `outline` follows (the lesson read),
    then completion is recorded if this finished the course."""
    if not outline.module_of(lesson).unlocked:
        raise learning_errors("locked")
    now = utcnow()
    first = insert_ignoring_duplicates(LessonProgress, user_id=user.id, lesson_id=lesson.id,
                                       read_at=now)
    upsert(Enrolment, {"user_id": user.id, "course_id": lesson.course_id},
           {"last_activity_at": now}, insert_only={"started_at": now})
    outline.mark_read_here(lesson)
    if outline.complete:  # a compare-and-set: once per learner and course, whoever gets here
        record_completion(user, outline.course)
    return first


def record_completion_if_done(user: User, course_id: int) -> bool:
    """Record the course as completed when every lesson is read and every quiz (and required
    role-play) passed.

    True exactly once per learner and course (compare-and-set on completed_at), and only
    then is `course_completed` sent — inside the transaction, so what its receivers write
    into the outbox (the certificate) commits with the completion or not at all. The caller
    commits, then says `outbox.release()`.
    """
    course = db.session.get(Course, course_id)
    if course is None or not course_outline(course, user, "en").complete:
        return False
    return record_completion(user, course)


def record_completion(user: User, course: Course) -> bool:
    event = {"user_id": user.id, "course_id": course.id,
             "grants_certificate": course.grants_certificate, "completed_at": utcnow()}
    changed = db.session.execute(update(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id,
        Enrolment.completed_at.is_(None)).values(completed_at=event["completed_at"],
                                                 last_activity_at=event["completed_at"])).rowcount
    if changed == 1:
        # Inside the transaction: receivers write their side effects (the certificate to
        # issue) into the outbox, so the completion never commits without them.
        course_completed.send(current_app._get_current_object(), **event)
    return changed == 1


# Checklists ------------------------------------------------------------------------------

# A ```checklist item as the content pipeline stores it (app/content/render.py).
_CHECKLIST_MARK = '<li class="checklist-item"'
_CHECKLIST_ITEM = re.compile(r'<li class="checklist-item" id="c-check-([a-z0-9-]+)">(.*?)</li>',
                             re.DOTALL)


def checklist_element_id(item_id: str) -> str:
    """The item's id on the page, as the content pipeline gave it (c-check-<id>)."""
    from ..content.render import CHECKLIST_ITEM_PREFIX, content_id

    return content_id(CHECKLIST_ITEM_PREFIX + item_id)


class UnknownChecklistItem(LookupError):
    """The lesson (in no language) has a checklist item with that id."""


def checklist_ids(lesson: LessonRow) -> set[str]:
    """The ids of the lesson's checklist items, as published (the same in every language)."""
    return {match.group(1) for body in db.session.scalars(
        select(LessonText.body_html).where(LessonText.lesson_id == lesson.id))
            for match in _CHECKLIST_ITEM.finditer(body)}


def ticked_items(user: User, course: Course, lesson: LessonRow) -> set[str]:
    """Every item the learner ticked in this lesson, including items no longer in it."""
    return set(db.session.scalars(select(ChecklistTick.item_id).where(
        ChecklistTick.user_id == user.id, ChecklistTick.course_slug == course.slug,
        ChecklistTick.lesson_slug == lesson.slug)))


def set_tick(user: User, course: Course, lesson: LessonRow, item_id: str, done: bool,
             outline: Outline) -> bool:
    """Tick (or untick) one checklist item; the state asked for, so repeats change nothing.

    Raises learning_errors("locked") when the lesson's module is not open, UnknownChecklistItem when the
    lesson has no such item. Returns whether the item is ticked now.
    """
    if not outline.module_of(lesson).unlocked:
        raise learning_errors("locked")
    if item_id not in checklist_ids(lesson):
        raise UnknownChecklistItem(item_id)
    if done:
        insert_ignoring_duplicates(ChecklistTick, user_id=user.id, course_slug=course.slug,
                                   lesson_slug=lesson.slug, item_id=item_id, ticked_at=utcnow())
    else:
        db.session.execute(delete(ChecklistTick).where(
            ChecklistTick.user_id == user.id, ChecklistTick.course_slug == course.slug,
            ChecklistTick.lesson_slug == lesson.slug, ChecklistTick.item_id == item_id))
    return done


def body_with_checklist(body_html: str, ticked: set[str],
                        item: Callable[[str, str, bool], str]) -> Markup:
    """The stored lesson HTML with each checklist item drawn by `item(id, html, ticked)`
    (the page's tick form). The HTML was sanitised at import; `item` escapes its own."""
    return Markup(_CHECKLIST_ITEM.sub(
        lambda match: str(item(match.group(1), Markup(match.group(2)),
                               match.group(1) in ticked)), body_html))
