"""Import validated course folders into the database in one transaction."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..learning.models import Course, Lesson, LessonText, Module
from ..quizzes.services import import_quiz
from .curriculum import CourseSource, read_curriculum


def _assign(row, counter: Counter, kind: str, **values) -> None:
    # New rows (no id yet) are counted as new by the caller, not as changed.
    changed = row.id is not None and any(getattr(row, key) != value for key, value in values.items())
    for key, value in values.items():
        setattr(row, key, value)
    if changed:
        counter[f"{kind} changed"] += 1


def _import_course(source: CourseSource, counter: Counter) -> None:
    course = db.session.execute(select(Course).where(Course.slug == source.slug)).scalar_one_or_none()
    if course is None:
        course = Course(slug=source.slug)
        db.session.add(course)
        counter["courses new"] += 1
    _assign(course, counter, "courses", position=source.position,
            grants_certificate=source.grants_certificate, gating=source.gating,
            title=source.title, summary=source.summary, hidden=False)
    db.session.flush()

    modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    lessons = {l.slug: l for l in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))}
    seen_modules, seen_lessons = set(), set()
    for module_source in source.modules:
        module = modules.get(module_source.slug)
        if module is None:
            module = modules[module_source.slug] = Module(course_id=course.id, slug=module_source.slug)
            db.session.add(module)
            counter["modules new"] += 1
        _assign(module, counter, "modules", position=module_source.position,
                title=module_source.title, summary=module_source.summary, hidden=False)
        db.session.flush()
        seen_modules.add(module.slug)
        import_quiz(module.id, module_source.quiz, counter)
        for lesson_source in module_source.lessons:
            lesson = lessons.get(lesson_source.slug)
            if lesson is None:
                lesson = lessons[lesson_source.slug] = Lesson(course_id=course.id,
                                                              slug=lesson_source.slug)
                db.session.add(lesson)
                counter["lessons new"] += 1
            _assign(lesson, counter, "lessons", module_id=module.id,
                    position=lesson_source.position, hidden=False)
            db.session.flush()
            seen_lessons.add(lesson.slug)
            _import_texts(lesson, lesson_source.texts, counter)

    # Gone from the files: hidden, never deleted, so every learner's history stays.
    for slug, module in modules.items():
        if slug not in seen_modules and not module.hidden:
            module.hidden = True
            import_quiz(module.id, None, counter)
            counter["modules hidden"] += 1
    for slug, lesson in lessons.items():
        if slug not in seen_lessons and not lesson.hidden:
            lesson.hidden = True
            counter["lessons hidden"] += 1


def _import_texts(lesson: Lesson, sources: dict, counter: Counter) -> None:
    texts = {t.locale: t for t in db.session.scalars(
        select(LessonText).where(LessonText.lesson_id == lesson.id))}
    for locale, source in sources.items():
        text = texts.get(locale)
        if text is None:
            text = LessonText(lesson_id=lesson.id, locale=locale)
            db.session.add(text)
        _assign(text, counter, "lesson texts", title=source.title, minutes=source.minutes,
                body_markdown=source.markdown, body_html=source.rendered.html,
                toc=source.rendered.toc)
    for locale, text in texts.items():
        if locale not in sources:
            db.session.delete(text)  # a dropped translation; progress is on the lesson
            counter["lesson texts removed"] += 1


def import_curriculum(root: str | Path) -> Counter:
    """Validate every file first, then write all courses in one transaction.

    Raises CurriculumError (nothing written) when any file is malformed. Returns counts of
    what was created, changed and hidden.
    """
    sources = read_curriculum(root)
    counter: Counter = Counter()
    try:
        for source in sources:
            _import_course(source, counter)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    counter["courses read"] = len(sources)
    return counter
