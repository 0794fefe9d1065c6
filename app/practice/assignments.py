"""Assignments handed in and reviewed: import, her draft (autosaved), pictures, hand-in with
its reviewer, the review queue, the review recorded once, reminders, My templates.

Services add and flush; the view (or command) that called them commits.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..clock import utcnow
from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..learning import services as learning
from ..learning.models import Course, Module
from ..notifications.services import notify
from . import assignment as rules
from . import hooks
from .errors import assignment_errors
from .importing import import_versioned
from .models import (Assignment, AssignmentVersion, KeptTemplate, ReviewReminder, Submission,
                     SubmissionImage, SubmissionReview, SubmissionVersion)


@dataclass(frozen=True)
class AssignmentFact:
    """What the course outline shows of an assignment (with the role-plays' facts)."""

    id: int
    module_id: int
    slug: str
    title: dict
    lesson_slug: str
    required: bool
    passed: bool  # approved
    state: str | None  # her open submission's state, "approved", or None (not started)
    kind: str = "assignment"


def assignment_facts(user_id: int | None, rows: list[Assignment]) -> list[AssignmentFact]:
    if not rows:
        return []
    ids = [row.id for row in rows]
    newest = (select(AssignmentVersion.assignment_id,
                     func.max(AssignmentVersion.number).label("n"))
              .where(AssignmentVersion.assignment_id.in_(ids))
              .group_by(AssignmentVersion.assignment_id).subquery())
    titles = dict(db.session.execute(
        select(AssignmentVersion.assignment_id, AssignmentVersion.content["title"]).join(
            newest, (newest.c.assignment_id == AssignmentVersion.assignment_id)
            & (newest.c.n == AssignmentVersion.number))).all())
    states: dict[int, str] = {}
    if user_id is not None:
        for assignment_id, state in db.session.execute(
                select(Submission.assignment_id, Submission.state).where(
                    Submission.user_id == user_id, Submission.assignment_id.in_(ids))):
            if states.get(assignment_id) != "approved":
                states[assignment_id] = state
    return [AssignmentFact(id=row.id, module_id=row.module_id, slug=row.slug, title=titles[row.id],
                           lesson_slug=row.lesson_slug, required=row.required,
                           passed=states.get(row.id) == "approved", state=states.get(row.id))
            for row in rows if row.id in titles]


def import_assignments(module_id: int, sources: list[dict], counter: Counter) -> None:
    """Make each source a current assignment version of the module; assignments gone from the
    files are hidden, the work handed in kept."""
    import_versioned("assignment", Assignment, AssignmentVersion, "assignment_id", module_id,
                     sources, counter, lambda content: {"lesson_slug": content["lesson"]})


def find_assignment(module_id: int, slug: str) -> Assignment | None:
    item = db.session.execute(select(Assignment).where(
        Assignment.module_id == module_id, Assignment.slug == slug,
        Assignment.hidden.is_(False))).scalar_one_or_none()
    return item if item is not None and item.current_version else None


def place_of(item: Assignment) -> tuple[Course, Module]:
    return db.session.execute(select(Course, Module).join(Module, Module.course_id == Course.id)
                              .where(Module.id == item.module_id)).one()


def submissions_of(user: User, item: Assignment) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(
        Submission.user_id == user.id, Submission.assignment_id == item.id)
        .order_by(Submission.number)))


def open_submission(user_id: int, assignment_id: int) -> Submission | None:
    return db.session.execute(select(Submission).where(
        Submission.user_id == user_id, Submission.assignment_id == assignment_id,
        Submission.state != "approved")).scalar_one_or_none()


def versions_of(submission: Submission) -> list[tuple[SubmissionVersion, SubmissionReview | None]]:
    """Every hand-in of the submission with its review (None while waiting), oldest first."""
    return [(version, review) for version, review in db.session.execute(
        select(SubmissionVersion, SubmissionReview)
        .outerjoin(SubmissionReview, SubmissionReview.version_id == SubmissionVersion.id)
        .where(SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.number))]


def draft_images(submission: Submission | None) -> list[SubmissionImage]:
    if submission is None:
        return []
    return list(db.session.scalars(select(SubmissionImage).where(
        SubmissionImage.submission_id == submission.id, SubmissionImage.removed_at.is_(None))
        .order_by(SubmissionImage.id)))


def _own_open(user: User, item: Assignment) -> Submission:
    """Her open submission, or a new draft (the approved ones are kept)."""
    submission = open_submission(user.id, item.id)
    if submission is not None:
        return submission
    if db.session.scalar(select(Submission.id).where(
            Submission.user_id == user.id, Submission.assignment_id == item.id,
            Submission.state == "approved").limit(1)) is not None:
        raise assignment_errors("approved")  # the page offers no box: a stale or crafted post
    number = (db.session.scalar(select(func.max(Submission.number)).where(
        Submission.user_id == user.id, Submission.assignment_id == item.id)) or 0) + 1
    submission = Submission(user_id=user.id, assignment_id=item.id,
                            version_id=item.current_version.id, number=number, state="draft",
                            text="", saved_at=utcnow())
    try:
        with db.session.begin_nested():  # a second device started one a moment ago: use it
            db.session.add(submission)
    except IntegrityError:
        submission = open_submission(user.id, item.id)
        if submission is None:
            raise
    return submission


def _checked_text(submission: Submission, text: str) -> str:
    text = rules.clean_text(text or "")
    limit = submission.version.content["max_chars"]
    if len(text) > limit:
        raise assignment_errors("too_long", limit=limit, count=len(text))
    return text


def save_draft(user: User, item: Assignment, text: str) -> Submission:
    """Keep what she wrote (the autosave and the plain form post). While a version waits for
    review the draft is closed: she is told so."""
    submission = _own_open(user, item)
    if submission.state == "waiting":
        raise assignment_errors("waiting")
    cleaned = _checked_text(submission, text)
    db.session.execute(update(Submission).where(
        Submission.id == submission.id, Submission.state == "draft")
        .values(text=cleaned, saved_at=utcnow()).execution_options(synchronize_session=False))
    db.session.refresh(submission)
    return submission


def hand_in(user: User, item: Assignment, text: str) -> SubmissionVersion:
    """Save the text and hand it in as a new version, routed to her reviewer."""
    submission = save_draft(user, item, text)
    if not submission.text.strip():
        raise assignment_errors("empty")
    images = draft_images(submission)
    if len(images) > submission.version.content["max_images"]:
        raise assignment_errors("too_many_images", limit=submission.version.content["max_images"])
    # Compare-and-set: of two hand-ins at once (a double tap) only one makes a version.
    if db.session.execute(update(Submission).where(
            Submission.id == submission.id, Submission.state == "draft")
            .values(state="waiting").execution_options(synchronize_session=False)).rowcount != 1:
        raise assignment_errors("waiting")
    db.session.refresh(submission)
    number = (db.session.scalar(select(func.max(SubmissionVersion.number)).where(
        SubmissionVersion.submission_id == submission.id)) or 0) + 1
    mentor_id = hooks.assignment_reviewer(user.id)
    version = SubmissionVersion(submission_id=submission.id, number=number,
                                text=submission.text, image_ids=[i.id for i in images],
                                route="mentor" if mentor_id else "trainers",
                                reviewer_id=mentor_id, reviewed=False, submitted_at=utcnow())
    db.session.add(version)
    db.session.flush()
    course, _module = place_of(item)
    for reviewer_id in reviewers_of(version, course.id):
        notify(reviewer_id, "review_waiting", version_id=version.id, learner=user.display_name,
               title=submission.version.content["title"])
    return version


def reviewers_of(version: SubmissionVersion, course_id: int) -> list[int]:
    """Who is asked: her mentor, or the course's trainers (the admins when it has none)."""
    if version.route == "mentor" and version.reviewer_id:
        return [version.reviewer_id]
    trainers = hooks.course_trainers(course_id)
    if trainers:
        return trainers
    return list(db.session.scalars(select(User.id).where(User.role == "admin")
                                   .order_by(User.id)))


def own_submission(user: User, submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.user_id != user.id:
        raise assignment_errors("not_found")  # someone else's work looks like no work
    return submission


def add_image(user: User, submission_id: int, data: bytes) -> SubmissionImage:
    submission = own_submission(user, submission_id)
    if submission.state != "draft":
        raise assignment_errors("waiting")
    limit = submission.version.content["max_images"]
    if len(draft_images(submission)) >= limit:
        raise assignment_errors("too_many_images", limit=limit)
    try:
        clean, content_type, width, height = hooks.clean_photo(data)
    except ValueError as error:
        raise assignment_errors("bad_image", reason=str(error)) from None
    image = SubmissionImage(submission_id=submission.id, content_type=content_type, data=clean,
                            width=width, height=height, added_at=utcnow())
    db.session.add(image)
    db.session.flush()
    return image


def remove_image(user: User, image_id: int) -> Submission:
    image = db.session.get(SubmissionImage, image_id)
    if image is None:
        raise assignment_errors("not_found")
    submission = own_submission(user, image.submission_id)
    if submission.state != "draft":
        raise assignment_errors("waiting")
    image.removed_at = image.removed_at or utcnow()
    return submission


def _course_id(submission: Submission) -> int:
    return db.session.scalar(select(Module.course_id).join(
        Assignment, Assignment.module_id == Module.id).where(
        Assignment.id == submission.assignment_id))


def may_review(user: User, version: SubmissionVersion) -> bool:
    """Her mentor (when the version was routed to her), the course's trainers or an admin;
    never the author herself, whatever her role."""
    if version.submission.user_id == user.id:
        return False
    if user.has_role("admin"):
        return True
    if version.route == "mentor":
        return version.reviewer_id == user.id
    return user.has_role("trainer") and user.id in hooks.course_trainers(
        _course_id(version.submission))


def may_see(user: User, submission: Submission) -> bool:
    """Only the learner, her reviewers (of any version) and admins see a submission."""
    if submission.user_id == user.id or user.has_role("admin"):
        return True
    versions = db.session.scalars(select(SubmissionVersion).where(
        SubmissionVersion.submission_id == submission.id)).all()
    return any(may_review(user, version) for version in versions)


def image_for(user: User, image_id: int) -> SubmissionImage:
    image = db.session.get(SubmissionImage, image_id)
    if image is None or not may_see(user, db.session.get(Submission, image.submission_id)):
        raise assignment_errors("not_found")
    return image


@dataclass
class Waiting:
    version: SubmissionVersion
    submission: Submission
    learner: str
    title: dict
    course_title: dict
    waiting_since: datetime


def review_queue(user: User, limit: int = 200) -> list[Waiting]:
    """Versions waiting for this reviewer, the longest waiting first."""
    query = (select(SubmissionVersion, Submission, User.display_name,
                    AssignmentVersion.content["title"], Course.title, Course.id)
             .join(Submission, Submission.id == SubmissionVersion.submission_id)
             .join(User, User.id == Submission.user_id)
             .join(AssignmentVersion, AssignmentVersion.id == Submission.version_id)
             .join(Assignment, Assignment.id == Submission.assignment_id)
             .join(Module, Module.id == Assignment.module_id)
             .join(Course, Course.id == Module.course_id)
             .where(SubmissionVersion.reviewed.is_(False), Submission.user_id != user.id)
             .order_by(SubmissionVersion.submitted_at, SubmissionVersion.id))
    if not user.has_role("admin"):
        mine = SubmissionVersion.reviewer_id == user.id
        query = query.where(or_(mine, SubmissionVersion.route == "trainers")
                            if user.has_role("trainer") else mine)
    rows = []
    trainers_of: dict[int, list[int]] = {}
    for version, submission, learner, title, course_title, course_id in \
            db.session.execute(query.limit(limit * 4)):
        if version.route == "trainers" and not user.has_role("admin"):
            if course_id not in trainers_of:
                trainers_of[course_id] = hooks.course_trainers(course_id)
            if user.id not in trainers_of[course_id]:
                continue
        rows.append(Waiting(version, submission, learner, title, course_title,
                            version.submitted_at))
        if len(rows) >= limit:
            break
    return rows


def waiting_for_mentor(mentor_id: int) -> list[Waiting]:
    """My mentees: the hand-ins waiting for her own review."""
    mentor = db.session.get(User, mentor_id)
    return [row for row in review_queue(mentor) if row.version.reviewer_id == mentor_id]


def version_for_review(user: User, version_id: int) -> SubmissionVersion:
    version = db.session.get(SubmissionVersion, version_id)
    if version is None or not may_review(user, version):
        raise assignment_errors("not_found")  # not hers to review looks like nothing
    return version


def record_review(reviewer: User, version_id: int, decision: str, scores: dict,
                  comment: str) -> SubmissionReview:
    """One review per version: the row lock and the unique version id make a second
    reviewer's save an 'already reviewed' (409), never a second verdict."""
    version = db.session.execute(select(SubmissionVersion).where(
        SubmissionVersion.id == version_id).with_for_update()).scalar_one_or_none()
    if version is None or not may_review(reviewer, version):
        raise assignment_errors("not_found")
    if version.reviewed:
        raise assignment_errors("already_reviewed")
    if decision not in ("approved", "revise"):
        raise assignment_errors("no_decision")
    submission = version.submission
    content = submission.version.content
    chosen, problem = rules.check_scores(content, scores)
    if chosen is None:
        raise assignment_errors(problem)
    total = sum(chosen.values())
    if decision == "approved" and not rules.may_approve(content, total):
        raise assignment_errors("below_min_points", points=total,
                                minimum=content.get("min_points"))
    comment = rules.clean_text(comment or "")[:4000]
    if decision == "revise" and not comment.strip():
        raise assignment_errors("comment_needed")
    review = SubmissionReview(version_id=version.id, reviewer_id=reviewer.id, decision=decision,
                              scores=chosen, points=total, max_points=content["max_points"],
                              comment=comment, reviewed_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        raise assignment_errors("already_reviewed") from None
    if db.session.execute(update(SubmissionVersion).where(
            SubmissionVersion.id == version.id, SubmissionVersion.reviewed.is_(False))
            .values(reviewed=True).execution_options(synchronize_session=False)).rowcount != 1:
        raise assignment_errors("already_reviewed")
    values = {"state": "approved", "approved_at": review.reviewed_at} \
        if decision == "approved" else {"state": "draft", "text": version.text}
    db.session.execute(update(Submission).where(Submission.id == submission.id)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.refresh(submission)
    notify(submission.user_id, "assignment_reviewed", submission_id=submission.id,
           decision=decision, title=content["title"], reviewer=reviewer.display_name)
    if decision == "approved" and submission.assignment.required:
        learner = db.session.get(User, submission.user_id)
        learning.record_completion_if_done(learner, _course_id(submission))
    return review


def remind_waiting(days: int, now: datetime | None = None) -> int:
    """One reminder per waiting version and period of `days`: the reviewers of every version
    waiting longer than that are told once in each period (a second run sends nothing)."""
    now = now or utcnow()
    sent = 0
    rows = db.session.execute(
        select(SubmissionVersion, Module.course_id, Submission.user_id)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Module, Module.id == Assignment.module_id)
        .where(SubmissionVersion.reviewed.is_(False),
               SubmissionVersion.submitted_at <= now - timedelta(days=days))
        .order_by(SubmissionVersion.submitted_at)).all()
    for version, course_id, learner_id in rows:
        period = int((now - version.submitted_at) / timedelta(days=days))
        if not insert_ignoring_duplicates(ReviewReminder, version_id=version.id, period=period,
                                          sent_at=now):
            continue
        learner = db.session.get(User, learner_id)
        for reviewer_id in reviewers_of(version, course_id):
            notify(reviewer_id, "review_reminder", version_id=version.id,
                   learner=learner.display_name, days=(now - version.submitted_at).days)
        sent += 1
    return sent


def review_times(course_id: int | None = None) -> list[dict]:
    """The raw review times, one row per reviewed version (for turnaround statistics)."""
    query = (select(SubmissionVersion.submission_id, SubmissionVersion.number,
                    SubmissionVersion.submitted_at, SubmissionReview.reviewed_at,
                    SubmissionReview.decision, SubmissionReview.reviewer_id, Module.course_id)
             .join(SubmissionReview, SubmissionReview.version_id == SubmissionVersion.id)
             .join(Submission, Submission.id == SubmissionVersion.submission_id)
             .join(Assignment, Assignment.id == Submission.assignment_id)
             .join(Module, Module.id == Assignment.module_id)
             .order_by(SubmissionVersion.submission_id, SubmissionVersion.number))
    if course_id is not None:
        query = query.where(Module.course_id == course_id)
    return [{"submission_id": row.submission_id, "version": row.number,
             "submitted_at": row.submitted_at, "reviewed_at": row.reviewed_at,
             "hours": (row.reviewed_at - row.submitted_at).total_seconds() / 3600,
             "decision": row.decision, "reviewer_id": row.reviewer_id,
             "course_id": row.course_id} for row in db.session.execute(query)]


# --- My templates -----------------------------------------------------------------------

_TEMPLATE_BLOCK = re.compile(r'<div class="template-block[^"]*"><pre><code>(.*?)</code></pre>',
                             re.DOTALL)


def lesson_templates(body_html: str) -> list[str]:
    """The ```template blocks of a rendered lesson, as plain text, in order."""
    return [html.unescape(match) for match in _TEMPLATE_BLOCK.findall(body_html or "")]


def keep_template(user: User, course: Course, lesson, position: int, language: str) -> bool:
    """Keep the lesson's template number `position` (from 1); False when it was kept already."""
    shown = learning.lesson_text(lesson, language, course)
    templates = lesson_templates(shown.body_html if shown else "")
    if not 1 <= position <= len(templates):
        raise assignment_errors("no_template")
    return insert_ignoring_duplicates(KeptTemplate, user_id=user.id, course_slug=course.slug,
                                      lesson_slug=lesson.slug, position=position,
                                      text=templates[position - 1], kept_at=utcnow())


def forget_template(user: User, kept_id: int) -> None:
    kept = db.session.get(KeptTemplate, kept_id)
    if kept is None or kept.user_id != user.id:
        raise assignment_errors("not_found")
    db.session.delete(kept)


@dataclass
class Toolkit:
    approved: list  # (Submission, approved text, title map, course title map)
    kept: list[KeptTemplate]


def toolkit(user: User) -> Toolkit:
    approved = []
    for submission, title, course_title in db.session.execute(
            select(Submission, AssignmentVersion.content["title"], Course.title)
            .join(AssignmentVersion, AssignmentVersion.id == Submission.version_id)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .join(Module, Module.id == Assignment.module_id)
            .join(Course, Course.id == Module.course_id)
            .where(Submission.user_id == user.id, Submission.state == "approved")
            .order_by(Submission.approved_at.desc())):
        text = db.session.scalar(select(SubmissionVersion.text).where(
            SubmissionVersion.submission_id == submission.id)
            .order_by(SubmissionVersion.number.desc()).limit(1))
        approved.append((submission, text, title, course_title))
    kept = list(db.session.scalars(select(KeptTemplate).where(KeptTemplate.user_id == user.id)
                                   .order_by(KeptTemplate.kept_at.desc(), KeptTemplate.id)))
    return Toolkit(approved, kept)
