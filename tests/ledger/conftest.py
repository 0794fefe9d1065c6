"""Ledger data builders: people in a small tree and events at chosen times, written directly."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db

# 2026-11-10 02:00 UTC is 10:00 in Shanghai (the default TIMEZONE).
T0 = datetime(2026, 11, 10, 2, 0, 0)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class World:
    """Ids of courses, lessons and quizzes of the imported test curriculum, and builders."""

    def __init__(self):
        from app.learning.models import Course, Lesson
        from app.quizzes.models import Quiz
        from app.learning.models import Module

        self.course = dict(db.session.execute(select(Course.slug, Course.id)).all())
        self.lesson = {f"{slug}/{lesson}": lid for slug, lesson, lid in db.session.execute(
            select(Course.slug, Lesson.slug, Lesson.id).join(Course, Course.id == Lesson.course_id))}
        self.quiz = {f"{slug}/{module}": (qid, version) for slug, module, qid, version in db.session.execute(
            select(Course.slug, Module.slug, Quiz.id, Quiz.current_version_id)
            .join(Module, Module.id == Quiz.module_id).join(Course, Course.id == Module.course_id))}
        self._numbers: dict = {}
        self._codes = 0

    def person(self, name: str, phone: str | None = None, email: str | None = None,
               mentor: int | None = None, tier: str = "trainee", role: str = "learner") -> int:
        from app.accounts.models import User
        from app.referrals import services as tree
        from app.referrals.models import TreeNode

        user = User(display_name=name, phone=phone, email=email or (None if phone else f"{name}@example.com"),
                    password_hash="!", role=role)
        db.session.add(user)
        db.session.flush()
        node = tree.place_user(user, db.session.get(TreeNode, mentor) if mentor else None)
        node.tier = tier
        db.session.flush()
        return user.id

    def read(self, user_id: int, lesson: str, at: datetime) -> None:
        from app.learning.models import LessonProgress

        db.session.add(LessonProgress(user_id=user_id, lesson_id=self.lesson[lesson], read_at=at))

    def attempt(self, user_id: int, quiz: str, at: datetime, score: float, max_score: float,
                passed: bool) -> None:
        from app.quizzes.models import Attempt

        quiz_id, version_id = self.quiz[quiz]
        number = self._numbers[(user_id, quiz_id)] = self._numbers.get((user_id, quiz_id), 0) + 1
        db.session.add(Attempt(user_id=user_id, quiz_id=quiz_id, version_id=version_id,
                               number=number, state="graded", layout={}, started_at=at - HOUR / 4,
                               submitted_at=at, score=score, max_score=max_score,
                               percent=100 * score / max_score, passed=passed, result={}))

    def certificate(self, user_id: int, course: str, at: datetime, revoked: datetime | None = None,
                    name: str = "") -> str:
        from app.certificates.models import Certificate

        self._codes += 1
        code = f"code-{self._codes}"
        db.session.add(Certificate(code=code, user_id=user_id, course_id=self.course[course],
                                   learner_name=name or f"learner {user_id}", course_title={"zh": course, "en": course},
                                   issued_at=at, completed_at=at, revoked_at=revoked,
                                   revoked_reason="test" if revoked else None))
        return code


@pytest.fixture
def world(app, imported):
    """Builders inside an app context. Call `world.done()` before requests: a request made
    while the test holds an app context would share its `g` (signed-in user, language)."""
    context = app.app_context()
    context.push()
    built = World()

    def done():
        db.session.commit()
        db.session.remove()
        context.pop()
        built.done = lambda: None

    built.done = done
    yield built
    if built.done is done:
        db.session.rollback()
        context.pop()


@pytest.fixture
def admin_client(app, make_user):
    from tests.conftest import Auth

    make_user("admin@example.com", role="admin", name="管理员", locale="en")
    client = app.test_client()
    assert Auth(client).login("admin@example.com").status_code == 302
    return client
