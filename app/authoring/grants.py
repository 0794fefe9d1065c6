"""Who may edit a course: admins, and trainers an admin gave it to (course grants)."""
from __future__ import annotations

from sqlalchemy import delete, select

from ..accounts.models import User
from ..extensions import db
from ..learning.models import Course
from ..practice import hooks as practice_hooks
from ..quizzes import hooks as quizzes_hooks
from .errors import authoring_errors
from .models import CourseGrant


@quizzes_hooks.may_edit_course.provide  # who may give another attempt asks it
def can_edit(user: User, course: Course) -> bool:
    if user.has_role("admin"):
        return True
    return user.has_role("trainer") and db.session.scalar(
        select(CourseGrant.id).where(CourseGrant.course_id == course.id,
                                     CourseGrant.user_id == user.id)) is not None


def editable_courses(user: User) -> list[Course]:
    query = select(Course).order_by(Course.position, Course.slug)
    if not user.has_role("admin"):
        query = query.join(CourseGrant, CourseGrant.course_id == Course.id).where(
            CourseGrant.user_id == user.id)
    return list(db.session.scalars(query))


def grants(course: Course) -> list[tuple[CourseGrant, User]]:
    return list(db.session.execute(
        select(CourseGrant, User).join(User, User.id == CourseGrant.user_id)
        .where(CourseGrant.course_id == course.id).order_by(CourseGrant.granted_at)))


def grant(course: Course, trainer: User, by: User, kind: str = "editor") -> None:
    from ..database import insert_ignoring_duplicates

    if not trainer.has_role("trainer", "admin"):
        raise authoring_errors("not_a_trainer")
    insert_ignoring_duplicates(CourseGrant, course_id=course.id, user_id=trainer.id, kind=kind,
                               granted_by_id=by.id)


def revoke(course: Course, user_id: int) -> None:
    db.session.execute(delete(CourseGrant).where(CourseGrant.course_id == course.id,
                                                 CourseGrant.user_id == user_id))


@practice_hooks.course_trainers.provide  # an assignment's review queue asks it
def course_trainer_ids(course_id: int) -> list[int]:
    return list(db.session.scalars(
        select(CourseGrant.user_id).join(User, User.id == CourseGrant.user_id)
        .where(CourseGrant.course_id == course_id, User.role.in_(("trainer", "admin")))
        .order_by(CourseGrant.user_id)))
