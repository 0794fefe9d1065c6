"""Quiz pages: overview, attempt (autosaving), submit, result."""
from __future__ import annotations

from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import transactions
from ..accounts.models import User
from ..clock import utcnow
from ..domain_errors import DomainError
from ..extensions import db
from ..i18n import current_language
from ..learning import services as learning
from . import services
from .errors import quiz_errors

bp = Blueprint("quizzes", __name__)


def _message(error: DomainError) -> str:
    if error.code == "cooldown" and error.detail:  # the time, in the reader's time zone
        return quiz_errors.message("cooldown", time=format_datetime(error.detail, "short"))
    return error.message


def _module_quiz(slug: str, module_slug: str):
    course = learning.find_course(slug)
    if course is None:
        abort(404)
    outline = learning.course_outline(course, current_user, current_language())
    entry = next((m for m in outline.modules if m.module.slug == module_slug), None)
    if entry is None or not entry.has_quiz:
        abort(404)
    return course, outline, entry, services.quiz_for_module(entry.module.id)


@bp.route("/courses/<slug>/<module_slug>/quiz")
@login_required
def overview(slug: str, module_slug: str):
    course, outline, entry, quiz = _module_quiz(slug, module_slug)
    status = services.quiz_status(current_user, quiz)
    return render_template("quizzes/overview.html", course=course, entry=entry, status=status,
                           now=utcnow()), (200 if entry.quiz_unlocked else 403)


@bp.route("/courses/<slug>/<module_slug>/quiz/start", methods=["POST"])
@login_required
def start(slug: str, module_slug: str):
    course, outline, entry, quiz = _module_quiz(slug, module_slug)
    if not entry.quiz_unlocked:
        return _refuse(quiz_errors("locked"), course, entry, quiz)
    try:
        attempt = services.start_attempt(current_user, quiz)
    except DomainError as error:
        return _refuse(error, course, entry, quiz)
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id), 303)


def _refuse(error: DomainError, course, entry, quiz):
    status = services.quiz_status(current_user, quiz)
    return render_template("quizzes/overview.html", course=course, entry=entry, status=status,
                           now=utcnow(), error=_message(error)), error.status


def _attempt_context(attempt_id: int):
    try:
        return services.own_attempt_in_course(current_user, attempt_id)
    except DomainError:
        abort(404)


@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt, module, course = _attempt_context(attempt_id)
    if attempt.state != "open":
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    now = utcnow()
    return render_template("quizzes/attempt.html", attempt=attempt, module=module, course=course,
                           questions=_shown_questions(attempt, public=True),
                           answers=services.answers_of(attempt),
                           expired=attempt.deadline_at is not None and now > attempt.deadline_at + services.GRACE,
                           remaining=(attempt.deadline_at - now).total_seconds() if attempt.deadline_at else None)


def _shown_questions(attempt, public: bool = False):
    """The attempt's questions in its fixed order, each with its options in its fixed order.

    public: each choice also gets `public`, the opaque id the attempt page sends (the
    author's ids follow the key's order and must never reach the page).
    """
    shown = []
    for question_id in attempt.layout["questions"]:
        question = attempt.version.question(question_id)
        order = attempt.layout["options"].get(question_id)
        choices = question.get("options") or question.get("items") or []
        by_id = {choice["id"]: choice for choice in choices}
        opaque = services.shown_ids(attempt, question) if public else {}
        shown.append({"question": question,
                      "choices": [dict(by_id[i], public=opaque.get(i)) for i in order] if order else []})
    return shown


def _raw_value(question: dict, field: str):
    if question["type"] in ("multiple", "order"):
        return request.form.getlist(field)
    return request.form.get(field)


@bp.route("/attempts/<int:attempt_id>/answer", methods=["POST"])
@login_required
def save_answer(attempt_id: int):
    question_id = request.form.get("question_id", "")
    try:
        late = services.save_answer(current_user, attempt_id, question_id,
                                    lambda question: _raw_value(question, f"q-{question_id}"))
    except DomainError as error:
        transactions.rollback()  # nothing of it written
        return jsonify(saved=False, error=error.code, message=_message(error)), error.status
    message = _l("Saved after the time limit: it is kept but will not be marked.") if late else _l("Saved")
    # The unit of work commits when the view returns (transactions.Portal), before the 200.
    return jsonify(saved=True, late=late, message=str(message))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    def form_answers(attempt):
        raw = {}
        for field in request.form:
            if not field.startswith("q-"):
                continue
            question = attempt.version.question(field[2:])
            if question is None or field[2:] not in attempt.layout["questions"]:
                raise quiz_errors("unknown_question")
            raw[field[2:]] = _raw_value(question, field)
        return raw

    try:
        graded = services.submit_attempt(current_user, attempt_id, form_answers)
    except DomainError as error:
        transactions.rollback()  # a bad field refuses the whole submission, nothing recorded
        if error.code == "not_found":
            abort(404)
        return render_template("errors/error.html", code=400, title=_l("Bad request"),
                               message=_message(error)), 400
    # One unit of work (answers, grade, completion, the certificate's outbox row), committed
    # when the view returns (transactions.Portal).
    course = services.module_of_quiz(graded.quiz_id).course
    if graded.passed and learning.completed(current_user, course.id):
        # The course is done: her certificate and the way forward (the result is linked there).
        return redirect(url_for("certificates.course", slug=course.slug, attempt=attempt_id), 303)
    return redirect(url_for("quizzes.result", attempt_id=attempt_id), 303)


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt, module, course = _attempt_context(attempt_id)
    if attempt.state == "open":
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    quiz = services.quiz_by_id(attempt.quiz_id)
    status = services.quiz_status(current_user, quiz)
    rule = attempt.version.settings["reveal"]
    reveal = services.may_reveal(status.passed, status.attempts_left, rule)
    outline = learning.course_outline(course, current_user, current_language())
    entry = next(m for m in outline.modules if m.module.id == module.id)
    # A question's `lesson=` slugs, else the module's lessons: where to read again.
    titles = {item.lesson.slug: item.title for m in outline.modules for item in m.lessons}
    review = {}
    for question_id in attempt.layout["questions"]:
        slugs = [s for s in attempt.version.question(question_id).get("lessons", []) if s in titles]
        review[question_id] = [(slug, titles[slug]) for slug in slugs] or [
            (item.lesson.slug, item.title) for item in entry.lessons]
    return render_template("quizzes/result.html", attempt=attempt, module=module, course=course,
                           questions=_shown_questions(attempt), answers=services.answers_of(attempt),
                           status=status, reveal=reveal, entry=entry, outline=outline,
                           own_feedback=services.may_show_own_feedback(reveal, rule),
                           review=review, mentor=services.mentor_who_may_grant(current_user, quiz))


# Another attempt for a learner who used them all: mentor, the course's trainers, admins ----

def _learner_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _grantable(learner: User) -> list[dict]:
    rows = []
    for quiz in services.attempted_quizzes(learner):
        if not services.may_grant(current_user, learner, quiz):
            continue
        module = services.module_of_quiz(quiz.id)
        rows.append({"quiz": quiz, "module": module, "course": module.course,
                     "status": services.quiz_status(learner, quiz),
                     "grants": services.grants_for(learner, quiz),
                     "used_up": services.grants_used_up(current_user, learner, quiz)})
    return rows


@bp.route("/learners/<int:user_id>/quizzes")
@login_required
def learner_quizzes(user_id: int):
    learner = _learner_or_404(user_id)
    rows = _grantable(learner)
    mentor = services.mentor_of(learner)
    if not rows and not (current_user.id != learner.id and (
            current_user.has_role("admin") or (mentor is not None and mentor.id == current_user.id))):
        abort(404)  # not someone who may give her attempts: she looks like no one
    return render_template("quizzes/learner.html", learner=learner, rows=rows, now=utcnow())


@bp.route("/learners/<int:user_id>/quizzes/<int:quiz_id>/grant", methods=["POST"])
@login_required
def grant_attempt(user_id: int, quiz_id: int):
    learner = _learner_or_404(user_id)
    quiz = services.quiz_by_id(quiz_id) or abort(404)
    if not services.may_grant(current_user, learner, quiz):
        abort(404)
    reason = request.form.get("reason", "").strip()
    error = ("reason_required" if not reason else "reason_too_long" if len(reason) > 500 else None)
    try:
        if error:
            raise quiz_errors(error)
        services.grant_attempt(current_user, learner, quiz, reason)
    except DomainError as failure:
        if failure.code == "not_found":
            abort(404)
        return render_template("quizzes/learner.html", learner=learner, rows=_grantable(learner),
                               now=utcnow(), error=_message(failure), reason=reason), failure.status
    flash(_l("%(name)s can take the quiz again. The grant is recorded.", name=learner.display_name),
          "success")
    return redirect(url_for("quizzes.learner_quizzes", user_id=learner.id), 303)
