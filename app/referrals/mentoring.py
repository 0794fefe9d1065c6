"""The mentor dashboard: direct mentees' training progress and where they are stuck."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from ..accounts.models import User, utcnow
from ..extensions import db
from ..learning.models import Course, Enrolment, Lesson, LessonProgress, Module
from ..notifications.models import Notification
from ..notifications.services import notify
from ..quizzes.models import Attempt
from .models import TreeNode

INACTIVE_AFTER = timedelta(days=7)
NUDGE_EVERY = timedelta(hours=24)
SORTS = ("name", "progress", "activity")


@dataclass
class MenteeRow:
    user_id: int
    name: str
    tier: str
    joined_at: datetime
    last_activity: datetime | None = None
    courses: dict = field(default_factory=dict)  # course slug -> percent read
    completed: int = 0
    stuck: list[str] = field(default_factory=list)  # failed_quiz_twice, inactive, never_started
    # Whether she logs in with an email address (she resets her password herself then; the
    # address itself is not shown to the mentor).
    has_email: bool = False

    @property
    def progress(self) -> int:
        return round(sum(self.courses.values()) / len(self.courses)) if self.courses else 0


def mentee_rows(mentor_id: int, sort: str = "activity", page: int = 1, per_page: int = 50,
                now: datetime | None = None) -> tuple[list[MenteeRow], int]:
    """One page of direct mentees with training data only (no phone, no email): five queries."""
    now = now or utcnow()
    total = db.session.scalar(select(func.count()).select_from(TreeNode).where(
        TreeNode.mentor_id == mentor_id)) or 0
    last = (select(Enrolment.user_id, func.max(Enrolment.last_activity_at).label("at"))
            .group_by(Enrolment.user_id).subquery())
    order = {"name": User.display_name, "progress": func.coalesce(last.c.at, TreeNode.joined_at).desc(),
             "activity": func.coalesce(last.c.at, TreeNode.joined_at).desc()}[sort if sort in SORTS else "activity"]
    rows = db.session.execute(
        select(TreeNode.user_id, User.display_name, TreeNode.tier, TreeNode.joined_at, last.c.at,
               User.email.is_not(None))
        .join(User, User.id == TreeNode.user_id).outerjoin(last, last.c.user_id == TreeNode.user_id)
        .where(TreeNode.mentor_id == mentor_id).order_by(order, TreeNode.user_id)
        .offset((page - 1) * per_page).limit(per_page)).all()
    mentees = {r[0]: MenteeRow(r[0], r[1], r[2], r[3], r[4], has_email=bool(r[5])) for r in rows}
    ids = list(mentees)
    if ids:
        totals = dict(db.session.execute(
            select(Course.slug, func.count(Lesson.id)).join(Lesson, Lesson.course_id == Course.id)
            .join(Module, Module.id == Lesson.module_id)
            .where(Course.hidden.is_(False), Lesson.hidden.is_(False), Module.hidden.is_(False))
            .group_by(Course.slug)).all())
        for user_id, slug, read in db.session.execute(
                select(LessonProgress.user_id, Course.slug, func.count())
                .join(Lesson, Lesson.id == LessonProgress.lesson_id).join(Course, Course.id == Lesson.course_id)
                .where(LessonProgress.user_id.in_(ids), Lesson.hidden.is_(False))
                .group_by(LessonProgress.user_id, Course.slug)):
            if totals.get(slug):
                mentees[user_id].courses[slug] = round(100 * read / totals[slug])
        for user_id, done in db.session.execute(
                select(Enrolment.user_id, func.count()).where(Enrolment.user_id.in_(ids),
                                                               Enrolment.completed_at.is_not(None))
                .group_by(Enrolment.user_id)):
            mentees[user_id].completed = done
        failed = (select(Attempt.user_id, Attempt.quiz_id).where(
            Attempt.user_id.in_(ids), Attempt.state == "graded", Attempt.passed.is_(False))
            .group_by(Attempt.user_id, Attempt.quiz_id).having(func.count() >= 2).subquery())
        passed = select(Attempt.id).where(and_(Attempt.user_id == failed.c.user_id,
                                               Attempt.quiz_id == failed.c.quiz_id,
                                               Attempt.passed.is_(True))).exists()
        for (user_id,) in db.session.execute(select(failed.c.user_id).where(~passed).distinct()):
            mentees[user_id].stuck.append("failed_quiz_twice")
    for row in mentees.values():
        if row.last_activity is None:
            row.stuck.append("never_started" if now - row.joined_at > timedelta(days=2) else "new")
        elif now - row.last_activity > INACTIVE_AFTER:
            row.stuck.append("inactive")
    result = list(mentees.values())
    if sort == "progress":
        result.sort(key=lambda r: (-r.progress, r.user_id))
    db.session.commit()
    return result, total


class NudgeError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def nudge(mentor: User, mentee_id: int, now: datetime | None = None) -> None:
    """An in-app reminder from a mentor to one of their own direct mentees, at most daily."""
    now = now or utcnow()
    node = db.session.get(TreeNode, mentee_id)
    if node is None or node.mentor_id != mentor.id:
        raise NudgeError("not_your_mentee")
    recent = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == mentee_id, Notification.kind == "nudge",
        Notification.created_at > now - NUDGE_EVERY))
    if recent:
        raise NudgeError("too_soon")
    notify(mentee_id, "nudge", mentor=mentor.display_name)
    db.session.commit()
