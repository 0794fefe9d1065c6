"""Attempts that cannot be lost or doubled: start, autosave, submit (idempotent), status."""
from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .. import transactions
from ..accounts.models import User
from ..clock import utcnow
from ..database import upsert
from ..extensions import db
from ..learning import hooks as learning_hooks
from ..learning.models import Course, Module
from . import hooks, ids
from .errors import quiz_errors
from .grading import ResponseError, clean_response, cooldown_after, draw_layout, grade
from .models import Attempt, AttemptAnswer, AttemptGrant, Quiz, QuizVersion

# Answers that arrive this long after the time limit still count (network, slow phones).
GRACE = timedelta(seconds=30)


@dataclass
class QuizStatus:
    quiz: Quiz
    version: QuizVersion
    attempts: list[Attempt]
    open_attempt: Attempt | None
    passed: bool
    attempts_left: int | None  # None: unlimited
    next_start_at: datetime | None  # cooldown end, when it is in the future
    granted: int = 0  # extra attempts given by a mentor, trainer or admin

    @property
    def settings(self) -> dict:
        return self.version.settings

    @property
    def best_percent(self) -> float | None:
        graded = [a.percent for a in self.attempts if a.state == "graded"]
        return max(graded) if graded else None

    @property
    def can_start(self) -> bool:
        return (self.open_attempt is None and not self.passed and self.attempts_left != 0
                and self.next_start_at is None)


def quiz_for_module(module_id: int) -> Quiz | None:
    return db.session.execute(select(Quiz).where(
        Quiz.module_id == module_id, Quiz.hidden.is_(False))).scalar_one_or_none()


def quiz_by_id(quiz_id: int) -> Quiz:
    return db.session.get(Quiz, quiz_id)


def module_of_quiz(quiz_id: int) -> Module:
    """The quiz's module, its course loaded with it (one query)."""
    return db.session.execute(select(Module).join(Quiz, Quiz.module_id == Module.id)
                              .options(joinedload(Module.course))
                              .where(Quiz.id == quiz_id)).scalar_one()


@learning_hooks.visible_quizzes.provide  # the course outline (cached per course revision)
def visible_quizzes(module_ids: list[int]) -> dict[int, int]:
    """Module id -> its visible quiz's id, for the modules that have one."""
    if not module_ids:
        return {}
    return dict(db.session.execute(select(Quiz.module_id, Quiz.id).where(
        Quiz.module_id.in_(module_ids), Quiz.hidden.is_(False))).all())


@learning_hooks.passed_quizzes.provide  # the outline's one progress query embeds it
def passed_quizzes(user_id: int, quiz_ids: list[int]):
    """A SELECT of the quiz ids among `quiz_ids` the user has passed (any version)."""
    return select(Attempt.quiz_id).where(Attempt.user_id == user_id,
                                         Attempt.quiz_id.in_(quiz_ids),
                                         Attempt.passed.is_(True)).distinct()


def quiz_status(user: User, quiz: Quiz, now: datetime | None = None) -> QuizStatus:
    now = now or utcnow()
    attempts = list(db.session.scalars(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz.id).order_by(Attempt.number)))
    open_attempt = next((a for a in attempts if a.state == "open"), None)
    version = open_attempt.version if open_attempt else quiz.current_version
    settings = quiz.current_version.settings
    passed = any(a.passed for a in attempts)
    limit = settings["max_attempts"]
    granted, last_grant = 0, None
    if limit is not None:
        granted, last_grant = db.session.execute(
            select(func.count(), func.max(AttemptGrant.granted_at)).where(
                AttemptGrant.user_id == user.id, AttemptGrant.quiz_id == quiz.id)).one()
    left = None if limit is None else max(0, limit + granted - len(attempts))
    next_start_at = None
    graded = [a for a in attempts if a.state == "graded"]
    # An attempt given since the last one may be taken at once: the giver decided.
    if graded and not (last_grant is not None and last_grant >= graded[-1].submitted_at):
        # The wait grows with every failure (settings may override the schedule).
        failures = sum(1 for a in graded if not a.passed)
        ready = graded[-1].submitted_at + cooldown_after(failures, settings["cooldown_minutes"])
        next_start_at = ready if ready > now else None
    return QuizStatus(quiz=quiz, version=version, attempts=attempts, open_attempt=open_attempt,
                      passed=passed, attempts_left=left, next_start_at=next_start_at,
                      granted=granted)


def cached_version(version_id: int) -> QuizVersion:
    """A quiz version, read once per process: versions are never edited once written.

    The object is detached (no session): read its columns, never its relationships."""
    cache = current_app.extensions.setdefault("quiz_versions", {})
    version = cache.get(version_id)
    if version is None:
        version = db.session.get(QuizVersion, version_id)
        if version is None:
            return None
        db.session.expunge(version)
        if len(cache) >= 4096:
            cache.clear()
        cache[version_id] = version
    return version


def _with_cached_version(attempt: Attempt) -> Attempt:
    """Give the attempt its version from the cache (a copy in this session), so
    `attempt.version` costs no query."""
    if "version" not in attempt.__dict__:
        version = cached_version(attempt.version_id)
        if version is not None:
            set_committed_value(attempt, "version", db.session.merge(version, load=False))
    return attempt


def own_attempt_in_course(user: User, attempt_id: int):
    """(attempt, its module, its course) in one query; quiz_errors("not_found") when it is not
    the user's."""
    row = db.session.execute(
        select(Attempt, Module, Course).join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Module, Module.id == Quiz.module_id).join(Course, Course.id == Module.course_id)
        .where(Attempt.id == attempt_id)).first()
    if row is None or row[0].user_id != user.id:
        raise quiz_errors("not_found")
    return _with_cached_version(row[0]), row[1], row[2]


def _locked_attempt(user: User, attempt_id: int) -> Attempt:
    """The user's own attempt, row-locked until commit (PostgreSQL; SQLite locks the file)."""
    attempt = db.session.execute(
        select(Attempt).where(Attempt.id == attempt_id).with_for_update()).scalar_one_or_none()
    if attempt is None or attempt.user_id != user.id:
        raise quiz_errors("not_found")  # someone else's attempt looks like no attempt
    return _with_cached_version(attempt)


def own_attempt(user: User, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise quiz_errors("not_found")
    return _with_cached_version(attempt)


def start_attempt(user: User, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """Resume the open attempt, or open a new one if the learner may (a quizzes DomainError if not)."""
    now = now or utcnow()
    status = quiz_status(user, quiz, now)
    if status.open_attempt is not None:
        if not _expired(status.open_attempt, now):
            return status.open_attempt
        submit_attempt(user, status.open_attempt.id, {}, now)
        transactions.commit()  # the expired attempt is graded whatever happens next
        status = quiz_status(user, quiz, now)
    if status.passed:
        raise quiz_errors("already_passed")
    if status.attempts_left == 0:
        raise quiz_errors("no_attempts_left")
    if status.next_start_at is not None:
        raise quiz_errors("cooldown", detail=status.next_start_at)
    version = quiz.current_version
    layout = draw_layout(version.content, layout_rng())
    limit = version.settings["time_limit_minutes"]
    attempt = Attempt(user_id=user.id, quiz_id=quiz.id, version_id=version.id,
                      number=len(status.attempts) + 1, state="open", layout=layout,
                      started_at=now, deadline_at=now + timedelta(minutes=limit) if limit else None)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # A twin request opened it first: both get the same open attempt.
        twin = quiz_status(user, quiz, now).open_attempt
        if twin is None:
            raise
        return twin
    return attempt


def layout_rng() -> random.Random:
    """Where shuffles get their randomness (the operating system's CSPRNG)."""
    return random.SystemRandom()


_KEYS: dict[str, bytes] = {}


def option_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    key = _KEYS.get(secret)
    if key is None:
        key = _KEYS[secret] = ids.derive_key(secret)
    return key


def shown_ids(attempt: Attempt, question: dict) -> dict[str, str]:
    """Author's option id -> the opaque id this attempt's page shows for it."""
    return ids.public_ids(option_key(), attempt.id, question)


def author_ids(attempt: Attempt, question: dict, raw):
    """The page's opaque ids back to the author's (those the stored answers and the key use)."""
    return _author_ids(attempt.id, attempt.layout, question, raw)


def _author_ids(attempt_id: int, layout: dict, question: dict, raw):
    legacy = layout.get("ids") != ids.SCHEME
    return ids.to_author_ids(option_key(), attempt_id, question, raw, legacy)


def _expired(attempt, now: datetime) -> bool:
    return attempt.deadline_at is not None and now > attempt.deadline_at + GRACE


def _clean(attempt_id: int, layout: dict, version: QuizVersion, question_id: str, raw):
    """The answer as stored (author's ids, checked against the question), or a DomainError."""
    question = version.question(question_id) if question_id in layout["questions"] else None
    if question is None:
        raise quiz_errors("unknown_question")
    if callable(raw):
        raw = raw(question)  # the form's value, read the way this question type needs
    try:
        return clean_response(question, _author_ids(attempt_id, layout, question, raw))
    except ResponseError as error:
        raise quiz_errors(error.code) from None


def _upsert_answer(attempt_id: int, question_id: str, response, late: bool, now: datetime):
    keys = {"attempt_id": attempt_id, "question_id": question_id}
    if late:  # kept for the record, never replaces an answer given in time
        upsert(AttemptAnswer, keys, {"late_response": response, "late_saved_at": now})
    else:
        upsert(AttemptAnswer, keys, {"response": response, "saved_at": now})


def _write_answer(attempt: Attempt, question_id: str, raw, now: datetime) -> bool:
    """Save one answer; returns True when it arrived too late to be marked."""
    response = _clean(attempt.id, attempt.layout, attempt.version, question_id, raw)
    late = _expired(attempt, now)
    _upsert_answer(attempt.id, question_id, response, late, now)
    return late


def save_answer(user: User, attempt_id: int, question_id: str, raw,
                now: datetime | None = None) -> bool:
    """Autosave one answer of an open attempt. Returns True if it was late (saved, not marked).

    raw: the value, or a function of the question that reads it from the form. In the
    caller's transaction, which the caller commits (the view: once, at the end of the
    request); a DomainError means nothing was written and the caller rolls back. Two
    statements in SQLAlchemy Core — the attempt's row locked (FOR UPDATE on PostgreSQL;
    SQLite's write transaction began with BEGIN IMMEDIATE), then the answer's upsert — and
    the version from the process's cache (versions are immutable).
    """
    now = now or utcnow()
    row = db.session.execute(
        select(Attempt.user_id, Attempt.state, Attempt.layout, Attempt.version_id,
               Attempt.deadline_at).where(Attempt.id == attempt_id).with_for_update()).one_or_none()
    if row is None or row.user_id != user.id:
        raise quiz_errors("not_found")  # someone else's attempt looks like no attempt
    if row.state != "open":
        raise quiz_errors("closed")
    response = _clean(attempt_id, row.layout, cached_version(row.version_id), question_id, raw)
    late = _expired(row, now)
    _upsert_answer(attempt_id, question_id, response, late, now)
    return late


def submit_attempt(user: User, attempt_id: int, raw_answers,
                   now: datetime | None = None) -> Attempt:
    """Grade the attempt exactly once; replays and double clicks get the same graded attempt.

    raw_answers: question id -> raw value, the final state of the form (may be empty when
    everything was autosaved), or a function of the attempt that reads them from the form.
    In the caller's unit of work, which commits once (a pass that completes the course
    leaves the certificate in the outbox, started after the commit). A DomainError means the
    caller rolls back: a bad field refuses the whole submission, nothing recorded.
    """
    now = now or utcnow()
    attempt = _locked_attempt(user, attempt_id)
    if attempt.state != "open":
        return attempt
    if callable(raw_answers):
        raw_answers = raw_answers(attempt)
    for question_id, raw in raw_answers.items():
        _write_answer(attempt, question_id, raw, now)
    db.session.flush()
    rows = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))
    responses, late = {}, set()
    for row in rows:
        responses[row.question_id] = row.response
        if row.late_response is not None and row.response is None:
            late.add(row.question_id)
    result = grade(attempt.version.content, attempt.layout, responses, late)
    # Compare-and-set: only the request that still sees the attempt open grades it.
    changed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.state == "open").values(
            state="graded", submitted_at=now, score=result.score, max_score=result.max_score,
            percent=result.percent, passed=result.passed,
            result={"questions": result.questions,
                    "late": bool(late) or (attempt.deadline_at is not None
                                           and now > attempt.deadline_at + GRACE)})
    ).rowcount
    if changed != 1:
        db.session.rollback()
        return db.session.get(Attempt, attempt_id)
    if result.passed:
        from ..learning.services import record_completion_if_done  # learning owns completion

        module = db.session.get(Module, db.session.get(Quiz, attempt.quiz_id).module_id)
        record_completion_if_done(user, module.course_id)
    return attempt


def may_reveal(status_passed: bool, attempts_left: int | None, reveal: str) -> bool:
    """Whether correct answers and feedback may be shown (the quiz's `reveal` setting)."""
    if reveal == "after_pass":
        return status_passed
    if reveal in ("after_last_attempt", "feedback_after_attempt"):
        return status_passed or attempts_left == 0
    return False


def may_show_own_feedback(revealed: bool, reveal: str) -> bool:
    """Feedback on the options the learner chose (never the key itself) after any attempt."""
    return revealed or reveal == "feedback_after_attempt"


# Another attempt, given by people who know the learner ---------------------------------

MENTOR_GRANTS_PER_QUIZ = 2  # beyond these, a trainer or an admin decides


def may_grant(actor: User, learner: User, quiz: Quiz) -> bool:
    """Admins, the course's trainers (owner or granted), and her direct mentor when the
    mentor holds a valid certificate of the course herself: anyone can sign up a second
    account and make it "mentor" of the first, and a grant from that would be worth nothing.
    A mentor also has a cap (grant_attempt). Authoring, the mentor tree and certificates
    sit above quizzes and answer their part (hooks.py)."""
    if actor.id == learner.id:
        return False
    if actor.has_role("admin"):
        return True
    course = module_of_quiz(quiz.id).course
    if actor.has_role("trainer") and hooks.may_edit_course(actor, course):
        return True
    return hooks.mentor_id_of(learner.id) == actor.id and hooks.holds_certificate(actor.id, course.id)


def _grants_by(actor: User, learner: User, quiz: Quiz) -> int:
    return db.session.scalar(select(func.count()).select_from(AttemptGrant).where(
        AttemptGrant.user_id == learner.id, AttemptGrant.quiz_id == quiz.id,
        AttemptGrant.granted_by_id == actor.id))


def _is_staff_for(actor: User, quiz: Quiz) -> bool:
    return actor.has_role("admin") or (
        actor.has_role("trainer") and hooks.may_edit_course(actor, module_of_quiz(quiz.id).course))


def grants_used_up(actor: User, learner: User, quiz: Quiz) -> bool:
    """A mentor who gave this learner MENTOR_GRANTS_PER_QUIZ attempts at it gives no more."""
    return not _is_staff_for(actor, quiz) and _grants_by(actor, learner, quiz) >= MENTOR_GRANTS_PER_QUIZ


def mentor_who_may_grant(learner: User, quiz: Quiz) -> User | None:
    """Her mentor, if the mentor may give her another attempt at this quiz now (the result
    page names only people who can)."""
    mentor = mentor_of(learner)
    if mentor is None or not may_grant(mentor, learner, quiz) or grants_used_up(mentor, learner, quiz):
        return None
    return mentor


def mentor_of(learner: User) -> User | None:
    mentor_id = hooks.mentor_id_of(learner.id)
    return db.session.get(User, mentor_id) if mentor_id else None


def attempted_quizzes(learner: User) -> list[Quiz]:
    return list(db.session.scalars(select(Quiz).where(Quiz.id.in_(
        select(Attempt.quiz_id).where(Attempt.user_id == learner.id))).order_by(Quiz.id)))


def grants_for(learner: User, quiz: Quiz) -> list[tuple[AttemptGrant, User]]:
    return list(db.session.execute(
        select(AttemptGrant, User).join(User, User.id == AttemptGrant.granted_by_id)
        .where(AttemptGrant.user_id == learner.id, AttemptGrant.quiz_id == quiz.id)
        .order_by(AttemptGrant.granted_at)))


def grant_attempt(actor: User, learner: User, quiz: Quiz, reason: str,
                  now: datetime | None = None) -> AttemptGrant:
    """Give a learner who used every attempt one more, recorded with who, when and why."""
    if not may_grant(actor, learner, quiz):
        raise quiz_errors("not_found")
    if grants_used_up(actor, learner, quiz):
        raise quiz_errors("mentor_grant_limit")
    status = quiz_status(learner, quiz, now)
    if status.passed:
        raise quiz_errors("already_passed")
    if status.attempts_left != 0:
        raise quiz_errors("has_attempts")  # also quizzes without a limit: nothing to give
    grant = AttemptGrant(quiz_id=quiz.id, user_id=learner.id, granted_by_id=actor.id,
                         after_attempts=len(status.attempts), reason=reason.strip(),
                         granted_at=now or utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(grant)
    except IntegrityError:  # someone gave it a moment ago: one attempt, not two
        raise quiz_errors("already_granted") from None
    return grant


def answers_of(attempt: Attempt) -> dict[str, AttemptAnswer]:
    return {row.question_id: row for row in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))}


def attempt_count(quiz_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.quiz_id == quiz_id)) or 0


def import_quiz(module_id: int, content: dict | None, counter: Counter) -> None:
    """Make `content` the module's current quiz version (a new version only when it changed).

    Versions are never edited: open attempts keep the version they started with. A quiz gone
    from the files is hidden, its attempts kept.
    """
    quiz = db.session.execute(select(Quiz).where(Quiz.module_id == module_id)).scalar_one_or_none()
    if content is None:
        if quiz is not None and not quiz.hidden:
            quiz.hidden = True
            counter["quizzes hidden"] += 1
        return
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False)
                            .encode()).hexdigest()
    if quiz is None:
        quiz = Quiz(module_id=module_id)
        db.session.add(quiz)
        db.session.flush()
        counter["quizzes new"] += 1
    if quiz.hidden:
        quiz.hidden = False
        counter["quizzes changed"] += 1
    current = quiz.current_version
    if current is not None and current.content_hash == digest:
        return
    number = (db.session.scalar(select(func.max(QuizVersion.number)).where(
        QuizVersion.quiz_id == quiz.id)) or 0) + 1
    version = QuizVersion(quiz_id=quiz.id, number=number, content=content, content_hash=digest)
    db.session.add(version)
    quiz.current_version = version
    db.session.flush()
    counter["quiz versions new"] += 1
