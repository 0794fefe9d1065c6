"""What learning keeps about a person: enrolments, lessons read, checklist ticks. Anonymising
keeps them all (they hold no personal text; statistics count them)."""
from sqlalchemy import select

from .. import privacy
from ..extensions import db
from .models import ChecklistTick, Course, Enrolment, Lesson, LessonProgress


def export_personal_data(user) -> dict:
    session = db.session
    slugs = dict(session.execute(select(Course.id, Course.slug)).all())
    progress = session.execute(
        select(LessonProgress.read_at, Lesson.slug, Lesson.course_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user.id).order_by(LessonProgress.read_at))
    return {
        "enrolments": [
            {"course": slugs[e.course_id], "started_at": privacy.when(e.started_at),
             "last_activity_at": privacy.when(e.last_activity_at),
             "completed_at": privacy.when(e.completed_at)}
            for e in session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                     .order_by(Enrolment.started_at))],
        "lessons_read": [{"course": slugs[course_id], "lesson": slug, "read_at": privacy.when(at)}
                         for at, slug, course_id in progress],
        "checklist_ticks": [
            {"course": t.course_slug, "lesson": t.lesson_slug, "item": t.item_id,
             "ticked_at": privacy.when(t.ticked_at)}
            for t in session.scalars(select(ChecklistTick).where(ChecklistTick.user_id == user.id)
                                     .order_by(ChecklistTick.ticked_at, ChecklistTick.id))],
    }


privacy.register("learning", export=export_personal_data,
                 covers={"enrolments.user_id", "lesson_progress.user_id", "checklist_ticks.user_id"})
