"""A small hand-made world whose statistics are worked out by hand in the tests.

Times are naive UTC like the app's; the app's days are Asia/Shanghai days (UTC+8), so 04:00
UTC is local noon and 20:00 UTC is 04:00 the next local day. Everything happens in the
weeks around BASE, a Monday three weeks before this week, so weekly windows ending today
hold it all.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from app.transactions import unit_of_work
from app.extensions import db

ONE_QUIZ = {
    "settings": {"pass_mark": 80, "max_attempts": None, "cooldown_minutes": 0,
                 "time_limit_minutes": None, "shuffle_questions": False, "shuffle_options": False,
                 "draw": None, "reveal": "after_pass", "multiple_scoring": "partial"},
    "intro": {"zh": "", "en": ""},
    "questions": [
        {"id": qid, "type": "single", "points": 1,
         "text": {"zh": f"<p><strong>问题 {qid}</strong></p>", "en": f"<p><strong>Question {qid}</strong></p>"},
         "feedback": {"zh": "", "en": ""},
         "options": [{"id": o, "correct": o == "a", "text": {"zh": f"选项{o}", "en": f"Option {o}"},
                      "feedback": {"zh": "", "en": ""}} for o in "abc"]}
        for qid in ("q1", "q2", "q3")],
}


def base_monday(app) -> datetime:
    from app.statistics.services.periods import local_today, week_start

    with unit_of_work(app):
        return datetime.combine(week_start(local_today()) - timedelta(weeks=3), time())


class World:
    """Builds rows directly (no pages), with the times the test chooses."""

    def __init__(self, app):
        self.app = app
        self.base = base_monday(app)
        self.users = {}
        self.lessons = {}
        self.courses = {}
        self.quiz_id = self.version_id = None

    def at(self, day: int, hour: int = 4, minute: int = 0) -> datetime:
        return self.base + timedelta(days=day, hours=hour, minutes=minute)

    def day(self, n: int):
        return (self.base + timedelta(days=n)).date()

    def build(self):
        from app.accounts.models import User
        from app.certificates.models import Certificate
        from app.learning.models import Course, Enrolment, Lesson, LessonProgress, Module
        from app.quizzes.models import Attempt, AttemptAnswer, Quiz, QuizVersion
        from app.referrals.models import RulesVersion, TierChange, TreeNode

        with self.app.app_context():
            s = db.session
            for slug, position in (("alpha-s", 1), ("beta-s", 2)):
                course = Course(slug=slug, position=position, grants_certificate=True,
                                title={"zh": f"课程{slug}", "en": f"Course {slug}"})
                s.add(course)
                s.flush()
                self.courses[slug] = course.id
            m1 = Module(course_id=self.courses["alpha-s"], slug="first", position=1,
                        title={"zh": "第一单元", "en": "First"})
            m2 = Module(course_id=self.courses["alpha-s"], slug="second", position=2,
                        title={"zh": "第二单元", "en": "Second"})
            mb = Module(course_id=self.courses["beta-s"], slug="only", position=1,
                        title={"zh": "唯一", "en": "Only"})
            s.add_all([m1, m2, mb])
            s.flush()
            self.modules = {"first": m1.id, "second": m2.id}
            for slug, module, position in (("a1", m1, 1), ("a2", m1, 2), ("a3", m2, 1), ("b1", mb, 1)):
                lesson = Lesson(course_id=module.course_id, module_id=module.id, slug=slug,
                                position=position)
                s.add(lesson)
                s.flush()
                self.lessons[slug] = lesson.id
            quiz = Quiz(module_id=m1.id)
            s.add(quiz)
            s.flush()
            version = QuizVersion(quiz_id=quiz.id, number=1, content=ONE_QUIZ, content_hash="x")
            s.add(version)
            s.flush()
            quiz.current_version_id = version.id
            self.quiz_id, self.version_id = quiz.id, version.id

            # People: M mentors L1 and L2; L3 is a root. Sign-up weeks: M, L1 in week 0,
            # L2, L3 in week 1. Current tiers: M mentor, L1 certified, L2 and L3 trainee.
            people = [("M", 0, None, "mentor", 2), ("L1", 1, "M", "certified", 1),
                      ("L2", 8, "M", "trainee", 0), ("L3", 8, None, "trainee", 0)]
            for name, day, mentor, tier, rank in people:
                user = User(email=f"{name.lower()}@stats.example.com", display_name=name,
                            password_hash="-", role="learner", created_at=self.at(day))
                s.add(user)
                s.flush()
                self.users[name] = user.id
                parent = s.get(TreeNode, self.users[mentor]) if mentor else None
                s.add(TreeNode(user_id=user.id, mentor_id=parent.user_id if parent else None,
                               path=(parent.path if parent else "/") + f"{user.id}/",
                               depth=parent.depth + 1 if parent else 0,
                               invite_code=f"CODE{name}", joined_at=self.at(day), tier=tier,
                               tier_rank=rank))
                s.flush()
            u = self.users
            alpha, beta = self.courses["alpha-s"], self.courses["beta-s"]
            # Enrolments: alpha started by M (day 1), L1 (2), L2 (9), L3 (10); completed by
            # M after 10 days, L1 after 2 days, L2 after 6 hours. Beta: L1 only, unfinished.
            s.add_all([
                Enrolment(user_id=u["M"], course_id=alpha, started_at=self.at(1),
                          last_activity_at=self.at(11), completed_at=self.at(11)),
                Enrolment(user_id=u["L1"], course_id=alpha, started_at=self.at(2),
                          last_activity_at=self.at(4), completed_at=self.at(4)),
                Enrolment(user_id=u["L2"], course_id=alpha, started_at=self.at(9),
                          last_activity_at=self.at(9, 10), completed_at=self.at(9, 10)),
                Enrolment(user_id=u["L3"], course_id=alpha, started_at=self.at(10),
                          last_activity_at=self.at(10)),
                Enrolment(user_id=u["L1"], course_id=beta, started_at=self.at(3),
                          last_activity_at=self.at(3)),
            ])
            reads = [("M", "a1", self.at(1)), ("M", "a2", self.at(1, 5)),
                     ("L1", "a1", self.at(2)), ("L1", "a2", self.at(2, 5)), ("L1", "a3", self.at(2, 6)),
                     ("L2", "a1", self.at(9)), ("L2", "a2", self.at(10, 20)),  # local day 11
                     ("L3", "a1", self.at(10))]
            s.add_all([LessonProgress(user_id=u[p], lesson_id=self.lessons[lesson], read_at=at)
                       for p, lesson, at in reads])
            # First attempts (in this id order): L1, L2, L3, M; then L2 tries again.
            attempts = [("L1", 1, self.at(2, 7), {"q1": "a", "q2": "a", "q3": "b"}),
                        ("L2", 1, self.at(9, 12), {"q1": "a", "q2": "b"}),  # q3 left blank
                        ("L3", 1, self.at(10, 5), {"q1": "b", "q2": "c", "q3": "a"}),
                        ("M", 1, self.at(1, 6), {"q1": "a", "q2": "a", "q3": "a"}),
                        ("L2", 2, self.at(10, 21), {"q1": "a", "q2": "a", "q3": "b"})]
            for person, number, at, answers in attempts:
                score = sum(1 for choice in answers.values() if choice == "a")
                attempt = Attempt(user_id=u[person], quiz_id=quiz.id, version_id=version.id,
                                  number=number, state="graded",
                                  layout={"questions": ["q1", "q2", "q3"], "options": {}},
                                  started_at=at - timedelta(minutes=5), submitted_at=at,
                                  score=score, max_score=3, percent=round(100 * score / 3, 2),
                                  passed=score == 3, result={"questions": {}, "late": False})
                s.add(attempt)
                s.flush()
                s.add_all([AttemptAnswer(attempt_id=attempt.id, question_id=q,
                                         response={"choice": c}, saved_at=at)
                           for q, c in answers.items()])
            for person, at in (("L1", self.at(4, 5)), ("L2", self.at(9, 11)), ("M", self.at(11))):
                s.add(Certificate(code=f"code-{person}", user_id=u[person], course_id=alpha,
                                  learner_name=person, course_title={"en": "alpha"},
                                  issued_at=at, completed_at=at))
            rules = RulesVersion(digest="d" * 64, source="-")
            s.add(rules)
            s.flush()
            s.add_all([
                TierChange(user_id=u["L1"], from_tier="trainee", to_tier="certified",
                           rules_version_id=rules.id, reason="t", changed_at=self.at(4, 6)),
                TierChange(user_id=u["M"], from_tier="trainee", to_tier="certified",
                           rules_version_id=rules.id, reason="t", changed_at=self.at(4, 6)),
                TierChange(user_id=u["M"], from_tier="certified", to_tier="mentor",
                           rules_version_id=rules.id, reason="t", changed_at=self.at(11, 6)),
            ])
            s.commit()
        return self


@pytest.fixture
def world(app):
    return World(app).build()


@pytest.fixture
def admin_client(app, client, make_user):
    from tests.conftest import Auth

    make_user("admin@stats.example.com", role="admin", name="运营")
    assert Auth(client).login("admin@stats.example.com").status_code == 302
    return client
