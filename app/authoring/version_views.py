"""Trainers' pages for publishing a draft and for its versions: list, diff, revert."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import transactions
from ..authz import role_required
from ..domain_errors import DomainError
from ..extensions import db
from . import drafts, publishing
from .files import diff_files
from .views import AUTHORS, bp, course_to_edit


@bp.route("/courses/<slug>/publish")
@role_required(*AUTHORS)
def review_publish(slug):
    course = course_to_edit(slug)
    return render_template("authoring/publish.html", course=course,
                           check=publishing.check_draft(course), pending=drafts.pending_changes(course))


@bp.route("/courses/<slug>/publish", methods=["POST"])
@role_required(*AUTHORS)
def publish(slug):
    course = course_to_edit(slug)
    try:
        version = publishing.publish(course, current_user)
        db.session.flush()  # a concurrent publish fails here, not at the commit
    except DomainError as error:
        transactions.rollback()
        flash(error.message, "error")
        return render_template("authoring/publish.html", course=course,
                               check=publishing.check_draft(course),
                               pending=drafts.pending_changes(course)), 422
    except IntegrityError:  # a concurrent publish took this version number
        transactions.rollback()
        flash(_("Someone else published this course a moment ago. Check the draft and try again."),
              "error")
        return redirect(url_for("authoring.review_publish", slug=slug)), 303
    flash(_("Published version %(number)s. Learners see it now; their progress is kept.",
            number=version.number), "success")
    return redirect(url_for("authoring.course", slug=slug))


@bp.route("/courses/<slug>/versions")
@role_required(*AUTHORS)
def versions(slug):
    course = course_to_edit(slug)
    return render_template("authoring/versions.html", course=course,
                           versions=publishing.versions(course))


@bp.route("/courses/<slug>/versions/diff")
@role_required(*AUTHORS)
def diff(slug):
    course = course_to_edit(slug)

    def files(which: str) -> dict[str, str]:
        if which == "draft":
            return drafts.draft_texts(course)
        version = publishing.version(course, int(which)) if which.isdigit() and len(which) < 10 else None
        if version is None:
            abort(404)
        return version.files

    latest = publishing.versions(course)[:1]
    old = request.args.get("from", str(latest[0][0].number) if latest else "draft")
    new = request.args.get("to", "draft")
    return render_template("authoring/diff.html", course=course, old=old, new=new,
                           diffs=diff_files(files(old), files(new)))


@bp.route("/courses/<slug>/versions/<int(max=2147483647):number>/revert")
@role_required(*AUTHORS)
def confirm_revert(slug, number):
    course = course_to_edit(slug)
    target = publishing.version(course, number)
    if target is None:
        abort(404)
    return render_template("authoring/revert.html", course=course, number=number,
                           discarded=publishing.unpublished_edits(course),
                           diffs=diff_files(drafts.draft_texts(course), target.files))


@bp.route("/courses/<slug>/versions/<int(max=2147483647):number>/revert", methods=["POST"])
@role_required(*AUTHORS)
def revert(slug, number):
    course = course_to_edit(slug)
    target = publishing.version(course, number)
    if target is None:
        abort(404)
    changed = publishing.revert(course, target, current_user)
    flash(_("The draft is now version %(number)s (%(count)s files changed). Publish to make it "
            "live.", number=number, count=changed), "success")
    return redirect(url_for("authoring.course", slug=slug))
