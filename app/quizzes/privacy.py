"""What quizzes keep about a person: attempts with their answers, extra attempts given to
her and by her. Anonymising scrubs typed answers (they can hold her own name or number);
scores are stored with the attempt, so no total changes."""
from sqlalchemy import select

from .. import privacy
from ..extensions import db
from ..learning.models import Course, Module
from .models import Attempt, AttemptAnswer, AttemptGrant, Quiz


def _places() -> dict[int, tuple[str, str]]:
    """quiz id -> (course slug, module slug)"""
    return {quiz_id: (course, module) for quiz_id, course, module in db.session.execute(
        select(Quiz.id, Course.slug, Module.slug).join(Module, Module.id == Quiz.module_id)
        .join(Course, Course.id == Module.course_id))}


def _grant(grant, places) -> dict:
    course, module = places.get(grant.quiz_id, (None, None))
    return {"course": course, "module": module, "after_attempts": grant.after_attempts,
            "user_id": grant.user_id, "granted_by_id": grant.granted_by_id, "reason": grant.reason,
            "granted_at": privacy.when(grant.granted_at)}


def export_personal_data(user) -> dict:
    session = db.session
    places = _places()
    attempts = []
    for attempt in session.scalars(select(Attempt).where(Attempt.user_id == user.id)
                                   .order_by(Attempt.started_at, Attempt.id)):
        answers = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                  .order_by(AttemptAnswer.question_id))
        course, module = places.get(attempt.quiz_id, (None, None))
        attempts.append({
            "course": course, "module": module,
            "number": attempt.number, "state": attempt.state,
            "started_at": privacy.when(attempt.started_at),
            "submitted_at": privacy.when(attempt.submitted_at),
            "score": attempt.score, "max_score": attempt.max_score, "percent": attempt.percent,
            "passed": attempt.passed,
            "answers": [{"question": a.question_id, "response": a.response,
                         "saved_at": privacy.when(a.saved_at), "late_response": a.late_response,
                         "late_saved_at": privacy.when(a.late_saved_at)} for a in answers]})
    order = (AttemptGrant.granted_at, AttemptGrant.id)
    return {
        "quiz_attempts": attempts,
        "extra_quiz_attempts_given": [_grant(g, places) for g in session.scalars(
            select(AttemptGrant).where(AttemptGrant.user_id == user.id).order_by(*order))],
        "extra_quiz_attempts_given_by_them": [_grant(g, places) for g in session.scalars(
            select(AttemptGrant).where(AttemptGrant.granted_by_id == user.id).order_by(*order))],
    }


def anonymise(user, traces: list[str]) -> None:
    session = db.session
    for grant in session.scalars(select(AttemptGrant).where(AttemptGrant.user_id == user.id)):
        grant.reason = privacy.scrub(grant.reason, traces) or "-"  # the table requires a reason
    for answer in session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(
            select(Attempt.id).where(Attempt.user_id == user.id)))):
        for field in ("response", "late_response"):
            value = getattr(answer, field)
            scrubbed = privacy.scrub_json(value, traces)
            if scrubbed != value:
                setattr(answer, field, scrubbed)


privacy.register("quizzes", export=export_personal_data, anonymise=anonymise,
                 covers={"quiz_attempts.user_id", "quiz_attempt_grants.user_id",
                         "quiz_attempt_grants.granted_by_id"})
