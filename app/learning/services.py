"""Reading path rules: outlines, progress, "continue where you left off", marking as read."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, func, select, update

from ..accounts.models import User
from ..clock import utcnow
from ..database import insert_ignoring_duplicates
from ..extensions import db
from . import gating, hooks
from .errors import learning_errors
from .models import ChecklistTick, Course, Enrolment, Lesson, LessonProgress, LessonText, Module
from .signals import course_completed


@dataclass
class LessonEntry:
    lesson: Lesson
    title: str
    minutes: int
    read: bool


@dataclass
class ModuleEntry:
    module: Module
    lessons: list[LessonEntry] = field(default_factory=list)
    has_quiz: bool = False
    quiz_passed: bool = False
    unlocked: bool = True
    quiz_unlocked: bool = False
    scenarios: list = field(default_factory=list)  # role-plays (practice answers the hook)

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

    def module_of(self, lesson: Lesson) -> ModuleEntry:
        return next(m for m in self.modules if any(e.lesson.id == lesson.id for e in m.lessons))

    def next_unread(self) -> LessonEntry | None:
        return next((entry for entry in self.lessons if not entry.read), None)

    def neighbours(self, lesson: Lesson) -> tuple[LessonEntry | None, LessonEntry | None]:
        ids = [entry.lesson.id for entry in self.lessons]
        index = ids.index(lesson.id)
        before = self.lessons[index - 1] if index > 0 else None
        after = self.lessons[index + 1] if index + 1 < len(ids) else None
        return before, after


def visible_courses() -> list[Course]:
    return list(db.session.scalars(
        select(Course).where(Course.hidden.is_(False)).order_by(Course.position, Course.slug)))


def find_course(slug: str) -> Course | None:
    return db.session.execute(
        select(Course).where(Course.slug == slug, Course.hidden.is_(False))).scalar_one_or_none()


def find_lesson(course: Course, slug: str) -> Lesson | None:
    return db.session.execute(
        select(Lesson).join(Module).where(Lesson.course_id == course.id, Lesson.slug == slug,
                                          Lesson.hidden.is_(False), Module.hidden.is_(False))
    ).scalar_one_or_none()


def lesson_text(lesson: Lesson, language: str) -> LessonText | None:
    """The lesson in the learner's language, else in the language it was written in."""
    texts = {text.locale: text for text in lesson.texts}
    return texts.get(language) or next(iter(texts.values()), None)


def course_outline(course: Course, user: User | None, language: str) -> Outline:
    """Visible modules and lessons in order, with titles in `language` and read ticks."""
    rows = db.session.execute(
        select(Module, Lesson)
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id == course.id, Module.hidden.is_(False), Lesson.hidden.is_(False))
        .order_by(Module.position, Module.slug, Lesson.position, Lesson.slug)
    ).all()
    lesson_ids = [lesson.id for _module, lesson in rows]
    titles: dict[int, dict[str, LessonText]] = {}
    for text in db.session.scalars(select(LessonText).where(LessonText.lesson_id.in_(lesson_ids))):
        titles.setdefault(text.lesson_id, {})[text.locale] = text
    read_ids = set()
    if user is not None and lesson_ids:
        read_ids = set(db.session.scalars(select(LessonProgress.lesson_id).where(
            LessonProgress.user_id == user.id, LessonProgress.lesson_id.in_(lesson_ids))))
    modules: dict[int, ModuleEntry] = {}
    for module, lesson in rows:
        texts = titles.get(lesson.id, {})
        text = texts.get(language) or next(iter(texts.values()), None)
        entry = LessonEntry(lesson=lesson, title=text.title if text else lesson.slug,
                            minutes=text.minutes if text else 1, read=lesson.id in read_ids)
        modules.setdefault(module.id, ModuleEntry(module=module)).lessons.append(entry)
    outline = Outline(course=course, modules=list(modules.values()))
    _apply_gating(outline, user)
    return outline


def _apply_gating(outline: Outline, user: User | None) -> None:
    # Quizzes build on learning and answer this.
    module_ids = [m.module.id for m in outline.modules]
    passed = hooks.quiz_facts(user.id if user else None, module_ids)
    scenarios = hooks.scenario_facts(user.id if user else None, module_ids)  # practice answers
    for entry in outline.modules:
        entry.has_quiz = entry.module.id in passed
        entry.quiz_passed = passed.get(entry.module.id, False)
        entry.scenarios = scenarios.get(entry.module.id, [])
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


def catalog(user: User) -> list[CatalogEntry]:
    """Every visible course with the user's read/total lesson counts, in two queries."""
    visible = (select(Lesson.id, Lesson.course_id).join(Module)
               .where(Lesson.hidden.is_(False), Module.hidden.is_(False)).subquery())
    totals = dict(db.session.execute(
        select(visible.c.course_id, func.count()).group_by(visible.c.course_id)).all())
    reads = dict(db.session.execute(
        select(visible.c.course_id, func.count())
        .join(LessonProgress, LessonProgress.lesson_id == visible.c.id)
        .where(LessonProgress.user_id == user.id)
        .group_by(visible.c.course_id)).all())
    return [CatalogEntry(course, totals.get(course.id, 0), reads.get(course.id, 0))
            for course in visible_courses()]


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


def mark_read(user: User, lesson: Lesson, outline: Outline) -> bool:
    """Record that the learner read a lesson; True the first time. Safe to repeat or race."""
    if not outline.module_of(lesson).unlocked:
        raise learning_errors("locked")
    now = utcnow()
    first = insert_ignoring_duplicates(LessonProgress, user_id=user.id, lesson_id=lesson.id,
                                       read_at=now)
    insert_ignoring_duplicates(Enrolment, user_id=user.id, course_id=lesson.course_id,
                               started_at=now, last_activity_at=now)
    db.session.execute(update(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.course_id == lesson.course_id
    ).values(last_activity_at=now))
    db.session.commit()
    record_completion_if_done(user, lesson.course_id)
    return first


def record_completion_if_done(user: User, course_id: int) -> bool:
    """Record the course as completed when every lesson is read and every quiz (and required
    role-play) passed.

    True exactly once per learner and course (compare-and-set on completed_at), and only
    then is `course_completed` sent — inside the transaction, so what its receivers write
    into the outbox (the certificate) commits with the completion or not at all.
    """
    course = db.session.get(Course, course_id)
    if course is None or not course_outline(course, user, "en").complete:
        return False
    event = {"user_id": user.id, "course_id": course_id,
             "grants_certificate": course.grants_certificate, "completed_at": utcnow()}
    changed = db.session.execute(update(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course_id,
        Enrolment.completed_at.is_(None)).values(completed_at=event["completed_at"],
                                                 last_activity_at=event["completed_at"])).rowcount
    if changed == 1:
        # Inside the transaction: receivers write their side effects (the certificate to
        # issue) into the outbox, so the completion never commits without them.
        course_completed.send(current_app._get_current_object(), **event)
    return changed == 1


# Checklists ------------------------------------------------------------------------------

# A ```checklist item as the content pipeline stores it (app/content/render.py).
_CHECKLIST_ITEM = re.compile(r'<li class="checklist-item" id="c-check-([a-z0-9-]+)">(.*?)</li>',
                             re.DOTALL)


def checklist_element_id(item_id: str) -> str:
    """The item's id on the page, as the content pipeline gave it (c-check-<id>)."""
    from ..content.render import CHECKLIST_ITEM_PREFIX, content_id

    return content_id(CHECKLIST_ITEM_PREFIX + item_id)


class UnknownChecklistItem(LookupError):
    """The lesson (in no language) has a checklist item with that id."""


def checklist_ids(lesson: Lesson) -> set[str]:
    """The ids of the lesson's checklist items, as published (the same in every language)."""
    return {match.group(1) for text in lesson.texts
            for match in _CHECKLIST_ITEM.finditer(text.body_html)}


def ticked_items(user: User, course: Course, lesson: Lesson) -> set[str]:
    """Every item the learner ticked in this lesson, including items no longer in it."""
    return set(db.session.scalars(select(ChecklistTick.item_id).where(
        ChecklistTick.user_id == user.id, ChecklistTick.course_slug == course.slug,
        ChecklistTick.lesson_slug == lesson.slug)))


def set_tick(user: User, course: Course, lesson: Lesson, item_id: str, done: bool,
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
