"""What practice keeps about a person: her role-play plays (the choices she made, scores),
her assignments (drafts, every version handed in, pictures, the reviews of them), the
reviews she wrote as a reviewer, and the lesson templates she kept.

Plays hold no text she typed, so they stay as they are. Anonymising rewrites her traces
(name, contacts) in what she wrote and in the reviewers' messages about it, blanks her
pictures (a photo can show a face), and keeps every row, so review times and approval
counts stay as they were."""
from sqlalchemy import delete, select

from .. import privacy
from ..extensions import db
from ..learning.models import Course, Module
from ..notifications.models import Notification
from .models import (Assignment, KeptTemplate, ReviewReminder, Scenario, ScenarioPlay, Submission,
                     SubmissionImage, SubmissionReview, SubmissionVersion)


def export_personal_data(user) -> dict:
    places = {scenario_id: (course, module, slug) for scenario_id, course, module, slug in
              db.session.execute(select(Scenario.id, Course.slug, Module.slug, Scenario.slug)
                                 .join(Module, Module.id == Scenario.module_id)
                                 .join(Course, Course.id == Module.course_id))}
    plays = []
    for play in db.session.scalars(select(ScenarioPlay).where(ScenarioPlay.user_id == user.id)
                                   .order_by(ScenarioPlay.started_at, ScenarioPlay.id)):
        course, module, slug = places.get(play.scenario_id, (None, None, None))
        plays.append({
            "course": course, "module": module, "scenario": slug, "number": play.number,
            "state": play.state, "choices": play.path, "ending": play.ending,
            "scores": play.scores, "percent": play.percent, "passed": play.passed,
            "started_at": privacy.when(play.started_at),
            "finished_at": privacy.when(play.finished_at)})
    return {"scenario_plays": plays, **_assignments_of(user)}


def _assignments_of(user) -> dict:
    places = {assignment_id: (course, module, slug) for assignment_id, course, module, slug in
              db.session.execute(select(Assignment.id, Course.slug, Module.slug, Assignment.slug)
                                 .join(Module, Module.id == Assignment.module_id)
                                 .join(Course, Course.id == Module.course_id))}
    submissions = []
    for submission in db.session.scalars(select(Submission).where(Submission.user_id == user.id)
                                         .order_by(Submission.id)):
        course, module, slug = places.get(submission.assignment_id, (None, None, None))
        versions = []
        for version, review in db.session.execute(
                select(SubmissionVersion, SubmissionReview)
                .outerjoin(SubmissionReview, SubmissionReview.version_id == SubmissionVersion.id)
                .where(SubmissionVersion.submission_id == submission.id)
                .order_by(SubmissionVersion.number)):
            versions.append({
                "number": version.number, "text": version.text, "pictures": version.image_ids,
                "submitted_at": privacy.when(version.submitted_at),
                "review": None if review is None else {
                    "decision": review.decision, "scores": review.scores,
                    "points": review.points, "comment": review.comment,
                    "reviewed_at": privacy.when(review.reviewed_at)}})
        pictures = [{"id": image.id, "type": image.content_type, "bytes": len(image.data),
                     "added_at": privacy.when(image.added_at),
                     "removed_at": privacy.when(image.removed_at)}
                    for image in db.session.scalars(select(SubmissionImage).where(
                        SubmissionImage.submission_id == submission.id))]
        submissions.append({
            "course": course, "module": module, "assignment": slug, "number": submission.number,
            "state": submission.state, "draft": submission.text, "versions": versions,
            "pictures": pictures, "approved_at": privacy.when(submission.approved_at)})
    reviews_written = [{"version_id": review.version_id, "decision": review.decision,
                        "comment": review.comment, "reviewed_at": privacy.when(review.reviewed_at)}
                       for review in db.session.scalars(select(SubmissionReview).where(
                           SubmissionReview.reviewer_id == user.id).order_by(SubmissionReview.id))]
    kept = [{"course": k.course_slug, "lesson": k.lesson_slug, "template": k.position,
             "text": k.text, "kept_at": privacy.when(k.kept_at)}
            for k in db.session.scalars(select(KeptTemplate).where(KeptTemplate.user_id == user.id)
                                        .order_by(KeptTemplate.id))]
    return {"assignment_submissions": submissions, "reviews_written": reviews_written,
            "kept_templates": kept}


def anonymise(user, traces: list[str]) -> None:
    """The plays keep her scores. What she wrote is hers through and through (a welcome
    message names her group, her WeChat id, her street): every draft and version is emptied,
    not just scrubbed of the traces we know, and her pictures are blanked. Work still waiting
    for a review leaves the queues (its versions and their reminders go; the submission is a
    draft again), so no reviewer opens it; reviews already written keep their points."""
    submission_ids = list(db.session.scalars(select(Submission.id).where(
        Submission.user_id == user.id)))
    for submission in db.session.scalars(select(Submission).where(Submission.user_id == user.id)):
        submission.text = ""
        if submission.state == "waiting":
            submission.state = "draft"
    version_ids = set()
    if submission_ids:
        waiting = list(db.session.scalars(select(SubmissionVersion.id).where(
            SubmissionVersion.submission_id.in_(submission_ids),
            SubmissionVersion.reviewed.is_(False))))
        if waiting:
            db.session.execute(delete(ReviewReminder).where(
                ReviewReminder.version_id.in_(waiting)))
            db.session.execute(delete(SubmissionVersion).where(
                SubmissionVersion.id.in_(waiting)))
            for notification in db.session.scalars(select(Notification).where(
                    Notification.kind.in_(("review_waiting", "review_reminder")))):
                if (notification.payload or {}).get("version_id") in waiting:
                    db.session.delete(notification)
        for version in db.session.scalars(select(SubmissionVersion).where(
                SubmissionVersion.submission_id.in_(submission_ids))):
            version.text = ""
            version_ids.add(version.id)
        for review in db.session.scalars(select(SubmissionReview).where(
                SubmissionReview.version_id.in_(version_ids or {0}))):
            review.comment = privacy.scrub(review.comment, traces) or ""
        for image in db.session.scalars(select(SubmissionImage).where(
                SubmissionImage.submission_id.in_(submission_ids))):
            image.data = b""
            image.removed_at = image.removed_at or image.added_at
    for review in db.session.scalars(select(SubmissionReview).where(
            SubmissionReview.reviewer_id == user.id)):
        review.comment = privacy.scrub(review.comment, traces) or ""
    for kept in db.session.scalars(select(KeptTemplate).where(KeptTemplate.user_id == user.id)):
        kept.text = privacy.scrub(kept.text, traces) or ""
    # Her name in the reviewers' messages about her work, and in hers about reviews she wrote.
    for notification in db.session.scalars(select(Notification).where(Notification.kind.in_(
            ("review_waiting", "review_reminder", "assignment_reviewed")))):
        payload = notification.payload or {}
        if payload.get("version_id") in version_ids or notification.kind == "assignment_reviewed":
            scrubbed = privacy.scrub_json(payload, traces)
            if scrubbed != payload:
                notification.payload = scrubbed


privacy.register("practice", export=export_personal_data, anonymise=anonymise,
                 covers={"scenario_plays.user_id", "submissions.user_id",
                         "submission_versions.reviewer_id", "submission_reviews.reviewer_id",
                         "kept_templates.user_id"})
