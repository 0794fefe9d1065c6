"""The per-course page: each module's funnel from starting to reading every lesson to passing
the quiz."""
from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import and_, func, intersect, select, union

from ...extensions import db
from ...learning.models import Course, Lesson, LessonProgress, Module
from ...quizzes.models import Attempt, Quiz
from .. import measures
from ..models import Snapshot

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
