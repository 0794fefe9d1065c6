"""Assignment pages on the practice blueprint: her writing page (autosave, pictures, hand-in),
the reviewers' queue and review page, and My templates.

The reviewer-facing pages live here, not in referrals or authoring: who may review is a
fact practice stores with each hand-in (her mentor, or the course's trainers), answered at
hand-in time through practice.hooks, so one room owns the submission, its access rule and
its race guard (docs/architecture.md)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import transactions
from ..domain_errors import DomainError
from ..i18n import current_language, pick
from ..learning import services as learning
from ..security import upload_limit
from . import assignments as services
from .errors import assignment_errors
from .models import SubmissionImage
from .views import _module_entry, bp

NOTICES = {
    "saved": _l("Saved. You can come back to it at any time."),
    "handed_in": _l("Handed in. You will get a message when it has been reviewed."),
    "image_added": _l("Picture attached."),
    "image_removed": _l("Picture removed."),
    "approved": _l("Review saved: the work is approved."),
    "revise": _l("Review saved: she has been asked for a revision."),
    "kept": _l("Kept in My templates."),
    "kept_already": _l("This template is already in My templates."),
    "forgotten": _l("Removed from My templates."),
}


def _assignment(course_slug: str, module_slug: str, assignment_slug: str):
    course, entry = _module_entry(course_slug, module_slug)
    item = services.find_assignment(entry.module.id, assignment_slug)
    if item is None:
        abort(404)
    return course, entry, item


def _page(course, entry, item, error: DomainError | None = None, text: str | None = None,
          status: int = 200):
    """Her writing page: the prompt and rubric, her draft, and every version with its review."""
    content = item.current_version.content
    submissions = services.submissions_of(current_user, item)
    current = next((s for s in submissions if s.state != "approved"), None)
    history = [(submission, services.versions_of(submission)) for submission in submissions]
    if current is not None:
        content = current.version.content  # the rubric she is writing for
    # Work she has begun stays open when the module locks again later (a trainer added a
    # lesson before it): her revision is never shut out. Only starting needs the module.
    locked = not entry.unlocked and not submissions
    return render_template(
        "practice/assignment.html", course=course, entry=entry, item=item, content=content,
        current=current, history=history, images=services.draft_images(current),
        text=text if text is not None else (current.text if current else ""),
        error=(error.message if error else
               (assignment_errors("locked").message if locked else None)),
        locked=locked, criteria=_criteria(content)), (error.status if error else
                                                      (403 if locked else status))


def _criteria(content: dict) -> list[dict]:
    return [{"id": c["id"], "label": pick(c["label"]),
             "levels": [{"points": lv["points"], "text": pick(lv["text"])} for lv in c["levels"]]}
            for c in content["criteria"]]


@bp.route("/courses/<slug>/<module_slug>/assignment/<assignment_slug>")
@login_required
def assignment(slug: str, module_slug: str, assignment_slug: str):
    course, entry, item = _assignment(slug, module_slug, assignment_slug)
    return _page(course, entry, item)


@bp.route("/courses/<slug>/<module_slug>/assignment/<assignment_slug>", methods=["POST"])
@login_required
def save_assignment(slug: str, module_slug: str, assignment_slug: str):
    """Save her text (`action=save`, also the autosave with Accept: application/json) or hand
    it in (`action=submit`)."""
    course, entry, item = _assignment(slug, module_slug, assignment_slug)
    wants_json = request.accept_mimetypes.best == "application/json"
    text = request.form.get("text", "")
    if not entry.unlocked and not services.submissions_of(current_user, item):
        error = assignment_errors("locked")
        if wants_json:
            return {"saved": False, "error": error.code, "message": error.message}, error.status
        return _page(course, entry, item, error, text)
    action = request.form.get("action", "save")
    try:
        if action == "submit":
            submission = services.hand_in(current_user, item, text).submission
        else:
            submission = services.save_draft(current_user, item, text)
    except DomainError as error:
        if error.room != "assignments":
            raise
        transactions.rollback()
        if wants_json:
            return {"saved": False, "error": error.code, "message": error.message}, error.status
        return _page(course, entry, item, error, text)
    if wants_json:
        return {"saved": True, "at": submission.saved_at.isoformat() + "Z",
                "chars": len(submission.text)}
    flash(str(NOTICES["handed_in" if action == "submit" else "saved"]), "success")
    return redirect(url_for("practice.assignment", slug=slug, module_slug=module_slug,
                            assignment_slug=assignment_slug,
                            _anchor="history" if action == "submit" else "work"), 303)


def _back_to(submission):
    course, module = services.place_of(submission.assignment)
    return url_for("practice.assignment", slug=course.slug, module_slug=module.slug,
                   assignment_slug=submission.assignment.slug, _anchor="pictures")


@bp.route("/submissions/<int:submission_id>/images", methods=["POST"])
@login_required
@upload_limit("IMAGE_MAX_BYTES")
def add_image(submission_id: int):
    try:
        submission = services.own_submission(current_user, submission_id)
    except DomainError:
        abort(404)
    course, module = services.place_of(submission.assignment)
    course, entry = _module_entry(course.slug, module.slug)
    upload = request.files.get("image")
    try:
        if upload is None or not upload.filename:
            raise assignment_errors("no_image")
        services.add_image(current_user, submission.id, upload.read())
    except DomainError as error:
        if error.room != "assignments":
            raise
        transactions.rollback()
        return _page(course, entry, submission.assignment, error, submission.text)
    flash(str(NOTICES["image_added"]), "success")
    return redirect(_back_to(submission), 303)


@bp.route("/submission-images/<int:image_id>/remove", methods=["POST"])
@login_required
def remove_image(image_id: int):
    try:
        submission = services.remove_image(current_user, image_id)
    except DomainError as error:
        if error.code == "not_found":
            abort(404)
        raise
    flash(str(NOTICES["image_removed"]), "success")
    return redirect(_back_to(submission), 303)


@bp.route("/submission-images/<int:image_id>")
@login_required
def submission_image(image_id: int):
    """A picture of a submission: for the learner, her reviewers and admins only."""
    try:
        image: SubmissionImage = services.image_for(current_user, image_id)
    except DomainError:
        abort(404)
    response = Response(image.data, mimetype=image.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/reviews")
@login_required
def review_queue():
    return render_template("practice/reviews.html", rows=services.review_queue(current_user))


def _review_page(version, error: DomainError | None = None, form=None):
    submission = version.submission
    content = submission.version.content
    course, module = services.place_of(submission.assignment)
    from ..accounts.models import User
    from ..extensions import db

    learner = db.session.get(User, submission.user_id)
    return render_template(
        "practice/review.html", version=version, submission=submission, content=content,
        criteria=_criteria(content), course=course, learner=learner,
        history=services.versions_of(submission), error=error.message if error else None,
        form=form or {}), (error.status if error else 200)


@bp.route("/reviews/<int:version_id>")
@login_required
def review(version_id: int):
    try:
        version = services.version_for_review(current_user, version_id)
    except DomainError:
        abort(404)
    return _review_page(version)


@bp.route("/reviews/<int:version_id>", methods=["POST"])
@login_required
def record_review(version_id: int):
    try:
        version = services.version_for_review(current_user, version_id)
    except DomainError:
        abort(404)
    scores = {key[len("score-"):]: value for key, value in request.form.items()
              if key.startswith("score-")}
    decision = request.form.get("decision", "")
    try:
        services.record_review(current_user, version.id, decision, scores,
                               request.form.get("comment", ""))
    except DomainError as error:
        if error.room != "assignments":
            raise
        transactions.rollback()
        if error.code == "not_found":
            abort(404)
        from ..extensions import db

        db.session.expire_all()
        return _review_page(db.session.get(type(version), version_id), error, request.form)
    flash(str(NOTICES["approved" if decision == "approved" else "revise"]), "success")
    return redirect(url_for("practice.review_queue"), 303)


@bp.route("/my/templates")
@login_required
def my_templates():
    return render_template("practice/templates.html", toolkit=services.toolkit(current_user))


@bp.route("/courses/<slug>/<lesson_slug>/templates/<int:position>/keep", methods=["POST"])
@login_required
def keep_template(slug: str, lesson_slug: str, position: int):
    course = learning.find_course(slug)
    lesson = learning.find_lesson(course, lesson_slug) if course else None
    if lesson is None:
        abort(404)
    outline = learning.course_outline(course, current_user, current_language())
    if not outline.module_of(lesson).unlocked:
        abort(403)
    try:
        kept = services.keep_template(current_user, course, lesson, position, current_language())
    except DomainError as error:
        if error.code == "no_template":
            abort(404)
        raise
    if request.accept_mimetypes.best == "application/json":
        return {"kept": True, "new": kept}
    flash(str(NOTICES["kept" if kept else "kept_already"]), "success")
    return redirect(url_for("learning.lesson", slug=slug, lesson_slug=lesson_slug), 303)


@bp.route("/my/templates/<int:kept_id>/remove", methods=["POST"])
@login_required
def forget_template(kept_id: int):
    try:
        services.forget_template(current_user, kept_id)
    except DomainError:
        abort(404)
    flash(str(NOTICES["forgotten"]), "success")
    return redirect(url_for("practice.my_templates"), 303)


@bp.route("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    """Her submission (a notification's link): the assignment page it belongs to."""
    try:
        found = services.own_submission(current_user, submission_id)
    except DomainError:
        abort(404)
    course, module = services.place_of(found.assignment)
    return redirect(url_for("practice.assignment", slug=course.slug, module_slug=module.slug,
                            assignment_slug=found.assignment.slug, _anchor="history"), 303)
