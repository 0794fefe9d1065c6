"""Trainers' pages: overview, course workspace, editor with live preview, publishing,
versions, zip import/export, and course access. Lesson images are served from /media/."""
from __future__ import annotations

import re

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..authz import role_required
from ..database import read_only
from ..extensions import db
from ..learning.models import Course
from ..security import upload_limit
from . import drafts
from .checking import BudgetExceeded, check_upload
from .curriculum import CurriculumError
from .drafts import AuthoringError, Conflict
from .files import ArchiveRejected, diff_files, write_zip
from .limits import current_limits
from .models import StagedImport, StoredFile
from .storage import media_storage
from .services import latest_version
from .transfer import apply_staged, export_course, preview, stage_upload
from .uploads import ImageRejected, clean_image

bp = Blueprint("authoring", __name__, url_prefix="/author")
media_bp = Blueprint("media", __name__)

AUTHORS = ("trainer", "admin")


def _course(slug: str) -> Course:
    """The course, if this person may edit it: 404 when it doesn't exist, 403 otherwise."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if not drafts.can_edit(current_user, course):
        abort(403)
    return course


def _titles() -> dict[str, str]:
    titles = {lang: request.form.get(f"title_{lang}", "").strip()[:200] for lang in ("zh", "en")}
    if not titles["zh"] and not titles["en"]:
        raise AuthoringError(_("Give it a title in at least one language."))
    return {lang: titles[lang] or titles["en" if lang == "zh" else "zh"] for lang in titles}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/")
@role_required(*AUTHORS)
def overview():
    return render_template("authoring/overview.html", statuses=drafts.overview(current_user))


@bp.route("/courses", methods=["POST"])
@role_required(*AUTHORS)
def create_course():
    slug = request.form.get("slug", "").strip().lower()
    try:
        course = drafts.create_course(slug, _titles(), current_user)
    except AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return render_template("authoring/overview.html", statuses=drafts.overview(current_user),
                               form=request.form), 422
    db.session.commit()
    flash(_("Course created. Add modules and lessons, then publish it."), "success")
    return redirect(url_for("authoring.course", slug=course.slug))


@bp.route("/courses/<slug>")
@role_required(*AUTHORS)
def course(slug):
    course = _course(slug)
    return render_template("authoring/course.html", course=course, outline=drafts.outline(course),
                           pending=drafts.pending_changes(course),
                           versions=drafts.versions(course)[:1])


@bp.route("/courses/<slug>/files/<path:path>")
@role_required(*AUTHORS)
def edit_file(slug, path):
    course = _course(slug)
    draft = drafts.draft_files(course).get(path)
    if draft is not None:
        return _editor(course, path, draft.text, draft.revision)
    try:  # a file the format allows but the draft lacks (a missing translation): start it
        drafts.check_path(path)
    except AuthoringError:
        abort(404)
    return _editor(course, path, drafts.starting_text(path), 0)


def _editor(course, path, text, revision, conflict=None, status=200, preview_result=None):
    try:
        result = preview_result or drafts.preview_file(course, path, text)
    except AuthoringError:
        abort(404)
    return render_template("authoring/edit.html", course=course, path=path, text=text,
                           revision=revision, conflict=conflict, preview=result,
                           module_folder=path.rpartition("/")[0]), status


def _conflict_diff(mine: str, current) -> list:
    theirs = current.text if current else ""
    return diff_files({"file": theirs}, {"file": mine})


@bp.route("/courses/<slug>/files/<path:path>", methods=["POST"])
@role_required(*AUTHORS)
def save_file(slug, path):
    course = _course(slug)
    text = request.form.get("text", "")
    revision = request.form.get("revision", type=int)
    if request.form.get("action") == "preview":  # without JS: preview without saving
        return _editor(course, path, text, revision)
    try:
        if revision is None:
            raise AuthoringError(_("This form is missing the file's revision; reload the page."))
        draft = drafts.save_file(course, path, text, revision, current_user)
    except Conflict as conflict:
        db.session.rollback()
        current = conflict.current
        if _wants_json():
            return {"conflict": True, "message": _("Someone changed this file since you opened "
                                                   "it. Compare, then choose which text to keep."),
                    "revision": current.revision if current else 0,
                    "diff": [line for d in _conflict_diff(text, current) for line in d.lines]}, 409
        return _editor(course, path, text, current.revision if current else 0,
                       conflict=_conflict_diff(text, current), status=409)
    except AuthoringError as error:
        db.session.rollback()
        code = 413 if drafts.too_large(text) else 422
        if _wants_json():
            return {"error": "not_saved", "message": str(error)}, code
        flash(str(error), "error")
        return _editor(course, path, text, revision, status=code)
    db.session.commit()
    if _wants_json():
        return {"revision": draft.revision, "message": _("Saved to the draft")}
    flash(_("Saved to the draft. Learners see it after you publish."), "success")
    return redirect(url_for("authoring.edit_file", slug=slug, path=path))


@bp.route("/courses/<slug>/preview/<path:path>", methods=["POST"])
@read_only
@role_required(*AUTHORS)
def preview_file(slug, path):
    course = _course(slug)
    try:
        result = drafts.preview_file(course, path, request.form.get("text", ""))
    except AuthoringError as error:
        return {"error": "bad_path", "message": str(error)}, 400
    html = render_template("authoring/_preview.html", preview=result)
    return {"html": html, "problems": [{"line": line, "message": message, "error": is_error}
                                       for line, message, is_error in result.problems]}


@bp.route("/courses/<slug>/modules", methods=["POST"])
@role_required(*AUTHORS)
def add_module(slug):
    course = _course(slug)
    return _add(course, lambda: drafts.add_module(
        course, request.form.get("slug", "").strip().lower(), _titles(), current_user),
        lambda folder: url_for("authoring.edit_file", slug=slug, path=f"{folder}/module.md"))


@bp.route("/courses/<slug>/lessons", methods=["POST"])
@role_required(*AUTHORS)
def add_lesson(slug):
    course = _course(slug)
    return _add(course, lambda: drafts.add_lesson(
        course, request.form.get("module", ""), request.form.get("slug", "").strip().lower(),
        _titles(), current_user),
        lambda paths: url_for("authoring.edit_file", slug=slug, path=paths[0]))


@bp.route("/courses/<slug>/quizzes", methods=["POST"])
@role_required(*AUTHORS)
def add_quiz(slug):
    course = _course(slug)
    folder = request.form.get("module", "")
    return _add(course, lambda: drafts.add_quiz(course, folder, current_user),
                lambda _paths: url_for("authoring.edit_file", slug=slug, path=f"{folder}/quiz.zh.md"))


def _add(course, action, target):
    try:
        made = action()
    except (AuthoringError, Conflict) as error:
        db.session.rollback()
        flash(str(error) if isinstance(error, AuthoringError) else _("That file already exists."),
              "error")
        return redirect(url_for("authoring.course", slug=course.slug)), 303
    db.session.commit()
    return redirect(target(made))


@bp.route("/courses/<slug>/delete/<path:path>", methods=["POST"])
@role_required(*AUTHORS)
def delete_file(slug, path):
    course = _course(slug)
    if request.form.get("confirm") != "yes":  # only the confirmation's button removes
        flash(_("Nothing was removed: confirm with \"Yes, remove it\"."), "error")
        return redirect(url_for("authoring.edit_file", slug=slug, path=path)), 303
    try:
        drafts.delete_file(course, path, request.form.get("revision", type=int) or 0)
    except Conflict:
        db.session.rollback()
        flash(_("Someone changed this file since you opened it; it was not removed."), "error")
        return redirect(url_for("authoring.course", slug=slug)), 303
    except AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("authoring.course", slug=slug)), 303
    db.session.commit()
    flash(_("Removed from the draft. Learners keep their progress; publish to apply."), "success")
    return redirect(url_for("authoring.course", slug=slug))


@bp.route("/courses/<slug>/images", methods=["POST"])
@upload_limit("IMAGE_MAX_BYTES")
@role_required(*AUTHORS)
def upload_image(slug):
    course = _course(slug)
    upload = request.files.get("image")
    back = request.form.get("back") or ""
    limit = current_app.config["IMAGE_MAX_BYTES"]
    try:
        if upload is None or not upload.filename:
            raise ImageRejected(_("Choose an image to upload."))
        data = upload.read(limit + 1)
        if len(data) > limit:
            return _upload_error(_("The image is larger than %(mb)s MB.", mb=_megabytes(limit)), 413)
        image = _release_lock_while(lambda: clean_image(data))
        path = drafts.add_image(_course(slug), request.form.get("module", ""), upload.filename,
                                image)
    except (ImageRejected, AuthoringError) as error:
        db.session.rollback()
        return _upload_error(str(error), 422)
    db.session.commit()
    name = path.rpartition("/")[2]
    snippet = f"![{_('Describe the picture')}]({name})"
    if _wants_json():
        return {"path": path, "markdown": snippet}
    flash(_("Image uploaded. Put this line where it belongs in the lesson: %(snippet)s",
            snippet=snippet), "success")
    return redirect(back if back.startswith("/author/") else url_for("authoring.course", slug=slug))


def _megabytes(limit: int) -> str:
    return f"{limit / 2**20:.1f}".removesuffix(".0")


def _release_lock_while(work):
    """Run slow, database-free checking (decoding images, unpacking a zip) outside any
    transaction: on SQLite the request's write lock would stall every learner meanwhile."""
    db.session.rollback()  # nothing is written yet; this only ends the transaction
    return work()


def _upload_error(message: str, code: int):
    if _wants_json():
        return {"error": "image_refused", "message": message}, code
    return render_template("errors/error.html", code=code, title=_("Image not uploaded"),
                           message=message), code


@bp.route("/courses/<slug>/publish")
@role_required(*AUTHORS)
def review_publish(slug):
    course = _course(slug)
    return render_template("authoring/publish.html", course=course,
                           check=drafts.check_draft(course), pending=drafts.pending_changes(course))


@bp.route("/courses/<slug>/publish", methods=["POST"])
@role_required(*AUTHORS)
def publish(slug):
    course = _course(slug)
    try:
        version = drafts.publish(course, current_user)
        db.session.commit()
    except AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return render_template("authoring/publish.html", course=course,
                               check=drafts.check_draft(course),
                               pending=drafts.pending_changes(course)), 422
    except IntegrityError:  # a concurrent publish took this version number
        db.session.rollback()
        flash(_("Someone else published this course a moment ago. Check the draft and try again."),
              "error")
        return redirect(url_for("authoring.review_publish", slug=slug)), 303
    flash(_("Published version %(number)s. Learners see it now; their progress is kept.",
            number=version.number), "success")
    return redirect(url_for("authoring.course", slug=slug))


@bp.route("/courses/<slug>/versions")
@role_required(*AUTHORS)
def versions(slug):
    course = _course(slug)
    return render_template("authoring/versions.html", course=course,
                           versions=drafts.versions(course))


@bp.route("/courses/<slug>/versions/diff")
@role_required(*AUTHORS)
def diff(slug):
    course = _course(slug)

    def files(which: str) -> dict[str, str]:
        if which == "draft":
            return drafts.draft_texts(course)
        version = drafts.version(course, int(which)) if which.isdigit() and len(which) < 10 else None
        if version is None:
            abort(404)
        return version.files

    latest = drafts.versions(course)[:1]
    old = request.args.get("from", str(latest[0][0].number) if latest else "draft")
    new = request.args.get("to", "draft")
    return render_template("authoring/diff.html", course=course, old=old, new=new,
                           diffs=diff_files(files(old), files(new)))


@bp.route("/courses/<slug>/versions/<int(max=2147483647):number>/revert")
@role_required(*AUTHORS)
def confirm_revert(slug, number):
    course = _course(slug)
    target = drafts.version(course, number)
    if target is None:
        abort(404)
    return render_template("authoring/revert.html", course=course, number=number,
                           discarded=drafts.unpublished_edits(course),
                           diffs=diff_files(drafts.draft_texts(course), target.files))


@bp.route("/courses/<slug>/versions/<int(max=2147483647):number>/revert", methods=["POST"])
@role_required(*AUTHORS)
def revert(slug, number):
    course = _course(slug)
    target = drafts.version(course, number)
    if target is None:
        abort(404)
    changed = drafts.revert(course, target, current_user)
    db.session.commit()
    flash(_("The draft is now version %(number)s (%(count)s files changed). Publish to make it "
            "live.", number=number, count=changed), "success")
    return redirect(url_for("authoring.course", slug=slug))


@bp.route("/courses/<slug>/export.zip")
@role_required(*AUTHORS)
def export(slug):
    course = _course(slug)
    number = request.args.get("version", type=int)
    if number is not None and not 0 < number < 2**31:
        abort(404)
    try:
        fileset = export_course(course, number)
    except AuthoringError as error:
        flash(str(error), "error")
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
            message = _("The zip is larger than %(mb)s MB.", mb=_megabytes(limit))
            return render_template("authoring/import.html", error=message), 413
        # In a child process with a time and memory budget: a hostile zip is refused here,
        # not by the worker being killed.
        source, fileset = _release_lock_while(lambda: check_upload(
            data, current_limits(), str(get_locale())))
        staged = stage_upload(source, fileset, current_user)
    except BudgetExceeded as error:
        db.session.rollback()
        return render_template("authoring/import.html", error=str(error)), 413
    except ArchiveRejected as error:
        db.session.rollback()
        return render_template("authoring/import.html", error=str(error)), 422
    except CurriculumError as error:
        db.session.rollback()
        return render_template("authoring/import.html", problems=error.errors,
                               error=_("The zip has problems; nothing was changed.")), 422
    except AuthoringError as error:
        db.session.rollback()
        return render_template("authoring/import.html", error=str(error)), 403
    db.session.commit()
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
            raise AuthoringError(_("Someone published this course after you uploaded the zip. "
                                   "Upload it again to see what it would change now."))
        counter = apply_staged(staged, current_user)
        db.session.commit()
    except (AuthoringError, IntegrityError) as error:
        db.session.rollback()
        flash(str(error) if isinstance(error, AuthoringError) else
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


@bp.route("/courses/<slug>/access", methods=["GET", "POST"])
@role_required("admin")
def access(slug):
    course = _course(slug)
    if request.method == "POST":
        if request.form.get("revoke"):
            drafts.revoke(course, request.form.get("revoke", type=int) or 0)
            db.session.commit()
            flash(_("Access removed."), "success")
            return redirect(url_for("authoring.access", slug=slug))
        who = request.form.get("who", "").strip()
        person = db.session.scalar(select(User).where(or_(User.email == who.lower(),
                                                          User.phone == who))) if who else None
        try:
            if person is None:
                raise AuthoringError(_("Nobody has that email or phone number."))
            drafts.grant(course, person, current_user)
        except AuthoringError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template("authoring/access.html", course=course,
                                   grants=drafts.grants(course), who=who), 422
        db.session.commit()
        flash(_("%(name)s can now edit this course.", name=person.display_name), "success")
        return redirect(url_for("authoring.access", slug=slug))
    return render_template("authoring/access.html", course=course, grants=drafts.grants(course))


MEDIA_NAME = re.compile(r"^([0-9a-f]{64})\.(png|jpg|gif|webp|svg)$")


@media_bp.route("/media/<name>")
@login_required
def media(name):
    """A lesson image by content digest: never changes, so browsers may keep it for a year."""
    match = MEDIA_NAME.match(name)
    stored = db.session.get(StoredFile, match.group(1)) if match else None
    data = media_storage().get(stored.sha256) if stored else None
    if data is None:
        abort(404)
    # The policy is the image's own: opened by itself, an SVG may run nothing, fetch nothing
    # and style nothing (its checks already refused all three); nosniff keeps the type.
    return Response(data, mimetype=stored.content_type, headers={
        "Cache-Control": "private, max-age=31536000, immutable",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff"})
