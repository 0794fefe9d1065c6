"""The per-quiz page: item analysis of a quiz version over each learner's first graded attempt."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict

from sqlalchemy import func, select

from ...extensions import db
from ...learning.models import Module
from ...quizzes.grading import normalize_text, question_fraction
from ...quizzes.models import Attempt, AttemptAnswer, QuizVersion
from .. import measures
from ..models import Snapshot
from .periods import chunks

ITEM_SAMPLE = 20_000


def quiz_versions(quiz_id: int) -> list[QuizVersion]:
    return list(db.session.scalars(select(QuizVersion).where(QuizVersion.quiz_id == quiz_id)
                                   .order_by(QuizVersion.number.desc())))


def _wrong_key(question: dict, response: dict | None) -> list[str]:
    """What a wrong answer was, as keys to count: option ids, or the typed text."""
    if not response:
        return ["-"]  # shown but left blank
    kind = question["type"]
    if kind in ("single", "truefalse"):
        return [response.get("choice", "-")]
    if kind == "multiple":
        correct = {o["id"] for o in question["options"] if o["correct"]}
        picked = [c for c in response.get("choices", []) if c not in correct]
        missed = [f"!{c}" for c in sorted(correct - set(response.get("choices", [])))]
        return picked or missed or ["-"]
    if kind in ("text", "numeric"):
        return ["=" + normalize_text(response.get("text", ""))[:60]]
    if kind == "order":
        return [">" + "".join(response.get("order", []))]
    return ["-"]


def live_item_analysis(version: QuizVersion) -> dict:
    """Item analysis over each learner's first graded attempt at this quiz version.

    First attempts, the textbook choice: later attempts are by people who already saw the
    questions (and the feedback), which inflates facility and hides broken items.
    """
    content = version.content
    questions = content["questions"]
    by_id = {q["id"]: q for q in questions}
    scoring = content["settings"]["multiple_scoring"]
    first_ids = db.session.scalars(
        # quiz_id first: it is indexed, so only this quiz's attempts are read.
        select(func.min(Attempt.id)).where(Attempt.quiz_id == version.quiz_id,
                                           Attempt.version_id == version.id,
                                           Attempt.state == "graded")
        .group_by(Attempt.user_id)).all()
    # The latest ITEM_SAMPLE first attempts: plenty for the measures (the standard error of
    # a facility is under 0.004 at 20,000) and a refresh that stays short at any scale.
    order = sorted(first_ids)[-ITEM_SAMPLE:]
    attempts = {}
    all_ids = [q["id"] for q in questions]
    if content["settings"].get("draw"):  # a random subset per attempt: read what each was shown
        for chunk in chunks(order):
            for attempt_id, layout in db.session.execute(
                    select(Attempt.id, Attempt.layout).where(Attempt.id.in_(chunk))):
                attempts[attempt_id] = {q: 0.0 for q in layout["questions"] if q in by_id}
    else:
        attempts = {attempt_id: dict.fromkeys(all_ids, 0.0) for attempt_id in order}
    wrong = defaultdict(Counter)
    answered = set()
    # Chunks of attempt ids: primary-key lookups, never a scan of every answer ever given.
    for chunk in chunks(order):
        for attempt_id, question_id, response in db.session.execute(
                select(AttemptAnswer.attempt_id, AttemptAnswer.question_id,
                       AttemptAnswer.response).where(AttemptAnswer.attempt_id.in_(chunk))):
            shown = attempts.get(attempt_id)
            if shown is None or question_id not in shown:
                continue
            question = by_id[question_id]
            fraction = question_fraction(question, response, scoring)
            shown[question_id] = fraction
            answered.add((attempt_id, question_id))
            if fraction < 1:
                for key in _wrong_key(question, response):
                    wrong[question_id][key] += 1
    for attempt_id in order:  # shown, never answered: blank
        for question_id, fraction in attempts[attempt_id].items():
            if (attempt_id, question_id) not in answered:
                wrong[question_id]["-"] += 1
    people = [attempts[a] for a in order]
    points = {q["id"]: q["points"] for q in questions}
    # Rank by the points earned (the attempt's score), computed the same way for everyone.
    totals = [sum(points[q] * f for q, f in person.items()) for person in people]
    analysis = measures.item_analysis([q["id"] for q in questions], people, totals, wrong)
    # Alpha over points earned per item, the usual form.
    complete = [[person[q["id"]] * points[q["id"]] for q in questions] for person in people
                if all(q["id"] in person for q in questions)]
    items = []
    for item in analysis.items:
        data = asdict(item)
        data.update(review=item.review, reasons=item.reasons)
        items.append(data)
    return {"version_id": version.id, "people": analysis.people,
            "first_attempts": len(first_ids),
            "alpha": measures.cronbach_alpha(complete), "alpha_people": len(complete),
            "items": items}


def item_analysis(version: QuizVersion) -> tuple[dict, str | None]:
    row = db.session.get(Snapshot, ("items", str(version.id)))
    if row is not None:
        return row.payload, row.refreshed_at.isoformat()
    return live_item_analysis(version), None


def edit_link(course_slug: str, module: Module, language: str) -> str:
    """Where the course editor opens this module's quiz file (the authoring room's page)."""
    from flask import url_for

    return url_for("authoring.edit_file", slug=course_slug,
                   path=f"{module.position:02d}-{module.slug}/quiz.{language}.md")
