"""Trainers' pages for a course as a zip: export, and import through an upload, its preview
and applying it."""
from __future__ import annotations

from flask import (Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import transactions
from ..authz import role_required
from ..domain_errors import DomainError
from ..extensions import db
from ..learning.models import Course
from ..security import upload_limit
from .checking import BudgetExceeded, check_upload
from .curriculum import CurriculumError
from .errors import authoring_errors
from .files import ArchiveRejected, write_zip
from .limits import current_limits
from .models import StagedImport
from .services import latest_version
from .transfer import apply_staged, export_course, preview, stage_upload
from .views import AUTHORS, bp, course_to_edit, megabytes, release_lock_while


@bp.route("/courses/<slug>/export.zip")
@role_required(*AUTHORS)
def export(slug):
    course = course_to_edit(slug)
    number = request.args.get("version", type=int)
    if number is not None and not 0 < number < 2**31:
        abort(404)
    try:
        fileset = export_course(course, number)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("authoring.course", slug=slug))
    name = f"{slug}-v{number}.zip" if number else f"{slug}.zip"
    return Response(write_zip(slug, fileset), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/import")
@role_required(*AUTHORS)
def import_form():
    return render_template("authoring/import.html")


@bp.route("/import", methods=["POST"])
@upload_limit("COURSE_ZIP_MAX_BYTES")
@role_required(*AUTHORS)
def upload_zip():
    upload = request.files.get("archive")
    limit = current_app.config["COURSE_ZIP_MAX_BYTES"]
    try:
        if upload is None or not upload.filename:
            raise ArchiveRejected(_("Choose a course zip to upload."))
        data = upload.read(limit + 1)
        if len(data) > limit:
            message = _("The zip is larger than %(mb)s MB.", mb=megabytes(limit))
            return render_template("authoring/import.html", error=message), 413
        # In a child process with a time and memory budget: a hostile zip is refused here,
        # not by the worker being killed.
        source, fileset = release_lock_while(lambda: check_upload(
            data, current_limits(), str(get_locale())))
        staged = stage_upload(source, fileset, current_user)
    except BudgetExceeded as error:
        transactions.rollback()
        return render_template("authoring/import.html", error=str(error)), 413
    except ArchiveRejected as error:
        transactions.rollback()
        return render_template("authoring/import.html", error=str(error)), 422
    except CurriculumError as error:
        transactions.rollback()
        return render_template("authoring/import.html", problems=error.errors,
                               error=_("The zip has problems; nothing was changed.")), 422
    except DomainError as error:
        transactions.rollback()
        return render_template("authoring/import.html", error=error.message), 403
    return redirect(url_for("authoring.import_preview", token=staged.id))


def _staged(token: str) -> StagedImport:
    staged = db.session.get(StagedImport, token)
    if staged is None or staged.user_id != current_user.id:
        abort(404)
    return staged


@bp.route("/import/<token>")
@role_required(*AUTHORS)
def import_preview(token):
    staged = _staged(token)
    return render_template("authoring/import_preview.html", staged=staged, preview=preview(staged),
                           base=_latest_number(staged.course_slug))


def _latest_number(slug: str) -> int:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    latest = latest_version(course.id) if course else None
    return latest.number if latest else 0


@bp.route("/import/<token>", methods=["POST"])
@role_required(*AUTHORS)
def import_apply(token):
    staged = _staged(token)
    try:
        if request.form.get("base", type=int) != _latest_number(staged.course_slug):
            raise authoring_errors("published_since_upload")
        counter = apply_staged(staged, current_user)
        db.session.flush()  # a concurrent publish fails here, not at the commit
    except (DomainError, IntegrityError) as error:
        transactions.rollback()
        flash(error.message if isinstance(error, DomainError) else
              _("Someone else published this course a moment ago. Upload the zip again."), "error")
        return redirect(url_for("authoring.import_preview", token=token)), 303
    if not counter.get("course versions new"):
        flash(_("Nothing changed: the zip is the same as the published version."), "success")
        return redirect(url_for("authoring.course", slug=staged.course_slug))
    message = _("Imported and published.")
    if counter.get("draft edits kept"):
        message += " " + _("%(count)s files with unpublished edits were kept in the draft.",
                           count=counter["draft edits kept"])
    flash(message, "success")
    return redirect(url_for("authoring.course", slug=staged.course_slug))
