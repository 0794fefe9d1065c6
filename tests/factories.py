"""Shared data builders: rows written directly (no pages), at the times a test chooses.

Every builder adds to `db.session` and flushes where an id is needed; the caller commits (or
not: in a rolled-back test transaction the session sees its own rows either way). Call them
inside an app context.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.transactions import unit_of_work
from app.extensions import db

PASSWORD = "quiet-river-lantern-42"


def signed_in_client(app, login: str, role: str = "learner", name: str = "小林",
                     locale: str = "zh"):
    """A test client signed in as a new account made the way every road makes one."""
    from tests.conftest import Auth

    account(app, login, role=role, name=name, locale=locale)
    client = app.test_client()
    assert Auth(client).login(login).status_code == 302
    return client


def account(app, login: str, role: str = "learner", name: str = "小林", locale: str = "zh",
            password: str = PASSWORD) -> int:
    """A registered user (real password hash) placed in the tree as a root; committed."""
    from app.accounts.services import register_user
    from app.referrals.services import place_user

    with unit_of_work(app):
        user = register_user(login, name, password, locale=locale, role=role)
        place_user(user, None)  # as every road that makes an account does
        db.session.commit()
        return user.id


def person(name: str, phone: str | None = None, email: str | None = None,
           mentor: int | None = None, tier: str = "trainee", role: str = "learner",
           created_at: datetime | None = None, invite_code: str | None = None,
           tier_rank: int | None = None) -> int:
    """A user with no usable password and her tree node under `mentor` (a user id)."""
    from app.accounts.models import User
    from app.referrals import services as tree
    from app.referrals.models import TreeNode

    user = User(display_name=name, phone=phone,
                email=email or (None if phone else f"{name}@example.com"),
                password_hash="!", role=role)
    if created_at is not None:
        user.created_at = created_at
    db.session.add(user)
    db.session.flush()
    node = tree.place_user(user, db.session.get(TreeNode, mentor) if mentor else None)
    node.tier = tier
    if created_at is not None:
        node.joined_at = created_at
    if invite_code is not None:
        node.invite_code = invite_code
    if tier_rank is not None:
        node.tier_rank = tier_rank
    db.session.flush()
    return user.id


def mentor_and_mentee(mentor: str = "王姐", mentee: str = "小林", **kwargs) -> tuple[int, int]:
    """Two people, the second placed under the first."""
    mentor_id = person(mentor, **kwargs)
    return mentor_id, person(mentee, mentor=mentor_id, **kwargs)


def enrolment(user_id: int, course_id: int, started_at: datetime,
              last_activity_at: datetime | None = None, completed_at: datetime | None = None):
    from app.learning.models import Enrolment

    row = Enrolment(user_id=user_id, course_id=course_id, started_at=started_at,
                    last_activity_at=last_activity_at or completed_at or started_at,
                    completed_at=completed_at)
    db.session.add(row)
    return row


def read(user_id: int, lesson_id: int, at: datetime):
    from app.learning.models import LessonProgress

    row = LessonProgress(user_id=user_id, lesson_id=lesson_id, read_at=at)
    db.session.add(row)
    return row


def attempt(user_id: int, quiz_id: int, version_id: int, number: int, at: datetime,
            score: float, max_score: float, passed: bool | None = None,
            answers: dict | None = None, layout: dict | None = None, result: dict | None = None,
            minutes: float = 15, percent: float | None = None):
    """A graded attempt handed in at `at`, with its answers ({question id: choice})."""
    from app.quizzes.models import Attempt, AttemptAnswer

    row = Attempt(user_id=user_id, quiz_id=quiz_id, version_id=version_id, number=number,
                  state="graded", layout=layout if layout is not None else {},
                  started_at=at - timedelta(minutes=minutes), submitted_at=at, score=score,
                  max_score=max_score,
                  percent=percent if percent is not None else 100 * score / max_score,
                  passed=score == max_score if passed is None else passed,
                  result=result if result is not None else {})
    db.session.add(row)
    if answers:
        db.session.flush()
        db.session.add_all([AttemptAnswer(attempt_id=row.id, question_id=q,
                                          response={"choice": c}, saved_at=at)
                            for q, c in answers.items()])
    return row


def certificate(user_id: int, course_id: int, at: datetime, code: str, name: str = "",
                course_title: dict | None = None, revoked: datetime | None = None, **extra):
    from app.certificates.models import Certificate

    row = Certificate(code=code, user_id=user_id, course_id=course_id,
                      learner_name=name or f"learner {user_id}",
                      course_title=course_title or {"en": str(course_id)}, issued_at=at,
                      completed_at=at, revoked_at=revoked,
                      revoked_reason="test" if revoked else None, **extra)
    db.session.add(row)
    return row


def tier_changes(changes, reason: str = "t") -> None:
    """(user id, from tier, to tier, at) rows under one recorded rules version."""
    from app.referrals.models import RulesVersion, TierChange

    rules = RulesVersion(digest="d" * 64, source="-")
    db.session.add(rules)
    db.session.flush()
    db.session.add_all([TierChange(user_id=user_id, from_tier=before, to_tier=after,
                                   rules_version_id=rules.id, reason=reason, changed_at=at)
                        for user_id, before, after, at in changes])


class Curriculum:
    """Ids of the courses, lessons and quizzes in the database (the imported test curriculum),
    and builders that take their names: "gamma", "gamma/intro", "gamma/start"."""

    def __init__(self):
        from app.learning.models import Course, Lesson, Module
        from app.quizzes.models import Quiz

        self.course = dict(db.session.execute(select(Course.slug, Course.id)).all())
        self.lesson = {f"{slug}/{lesson}": lid for slug, lesson, lid in db.session.execute(
            select(Course.slug, Lesson.slug, Lesson.id).join(Course, Course.id == Lesson.course_id))}
        self.quiz = {f"{slug}/{module}": (qid, version) for slug, module, qid, version in db.session.execute(
            select(Course.slug, Module.slug, Quiz.id, Quiz.current_version_id)
            .join(Module, Module.id == Quiz.module_id).join(Course, Course.id == Module.course_id))}
        self._numbers: dict = {}
        self._codes = 0

    person = staticmethod(person)

    def read(self, user_id: int, lesson: str, at: datetime) -> None:
        read(user_id, self.lesson[lesson], at)

    def attempt(self, user_id: int, quiz: str, at: datetime, score: float, max_score: float,
                passed: bool) -> None:
        quiz_id, version_id = self.quiz[quiz]
        number = self._numbers[(user_id, quiz_id)] = self._numbers.get((user_id, quiz_id), 0) + 1
        attempt(user_id, quiz_id, version_id, number, at, score, max_score, passed)

    def certificate(self, user_id: int, course: str, at: datetime, revoked: datetime | None = None,
                    name: str = "") -> str:
        self._codes += 1
        code = f"code-{self._codes}"
        certificate(user_id, self.course[course], at, code, name=name,
                    course_title={"zh": course, "en": course}, revoked=revoked)
        return code


def scenario_play(user_id: int, scenario_id: int, version_id: int, content: dict, number: int,
                  choices: list[int], started_at: datetime, finished: bool = True) -> int:
    """A role-play play that took the replies `choices` (option indexes, from the start);
    finished (scored as the player scores it) when the last reply reaches an ending."""
    from app.practice import scenario as rules
    from app.practice.models import ScenarioPlay

    node, path = content["start"], []
    for option in choices:
        path.append({"node": node, "option": option})
        node = rules.node_of(content, node)["options"][option]["next"]
    play = ScenarioPlay(user_id=user_id, scenario_id=scenario_id, version_id=version_id,
                        number=number, state="open", step=len(path), node=node, path=path,
                        started_at=started_at)
    ending = rules.node_of(content, node)["ending"]
    if finished and ending:
        scores = rules.score(content, path)
        play.state, play.ending, play.scores = "finished", ending, scores
        play.percent, play.passed = scores["percent"], scores["passed"]
        play.finished_at = started_at + timedelta(minutes=5)
    db.session.add(play)
    db.session.flush()
    return play.id
