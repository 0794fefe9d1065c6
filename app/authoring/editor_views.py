"""Trainers' pages: overview, course workspace, the editor with live preview, new modules,
lessons and quizzes, removing files, and uploading images."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import transactions
from ..authz import role_required
from ..database import read_only
from ..domain_errors import DomainError, going_back
from ..security import upload_limit
from . import drafts, preview, publishing
from .drafts import Conflict
from .errors import authoring_errors
from .files import diff_files
from .uploads import ImageRejected, clean_image
from .views import AUTHORS, bp, course_to_edit, megabytes, release_lock_while


def _titles() -> dict[str, str]:
    titles = {lang: request.form.get(f"title_{lang}", "").strip()[:200] for lang in ("zh", "en")}
    if not titles["zh"] and not titles["en"]:
        raise authoring_errors("title_required")
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
    except DomainError as error:
        transactions.rollback()
        flash(error.message, "error")
        return render_template("authoring/overview.html", statuses=drafts.overview(current_user),
                               form=request.form), 422
    flash(_("Course created. Add modules and lessons, then publish it."), "success")
    return redirect(url_for("authoring.course", slug=course.slug))


@bp.route("/courses/<slug>")
@role_required(*AUTHORS)
def course(slug):
    course = course_to_edit(slug)
    return render_template("authoring/course.html", course=course, outline=drafts.outline(course),
                           pending=drafts.pending_changes(course),
                           versions=publishing.versions(course)[:1])


@bp.route("/courses/<slug>/files/<path:path>")
@role_required(*AUTHORS)
def edit_file(slug, path):
    course = course_to_edit(slug)
    draft = drafts.draft_files(course).get(path)
    if draft is not None:
        return _editor(course, path, draft.text, draft.revision)
    try:  # a file the format allows but the draft lacks (a missing translation): start it
        drafts.check_path(path)
    except DomainError:
        abort(404)
    return _editor(course, path, drafts.starting_text(path), 0)


def _editor(course, path, text, revision, conflict=None, status=200, preview_result=None):
    try:
        result = preview_result or preview.preview_file(course, path, text)
    except DomainError:
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
    course = course_to_edit(slug)
    text = request.form.get("text", "")
    revision = request.form.get("revision", type=int)
    if request.form.get("action") == "preview":  # without JS: preview without saving
        return _editor(course, path, text, revision)
    try:
        if revision is None:
            raise authoring_errors("revision_missing")
        draft = drafts.save_file(course, path, text, revision, current_user)
    except Conflict as conflict:
        transactions.rollback()
        current = conflict.current
        if _wants_json():
            return {"conflict": True, "message": _("Someone changed this file since you opened "
                                                   "it. Compare, then choose which text to keep."),
                    "revision": current.revision if current else 0,
                    "diff": [line for d in _conflict_diff(text, current) for line in d.lines]}, 409
        return _editor(course, path, text, current.revision if current else 0,
                       conflict=_conflict_diff(text, current), status=409)
    except DomainError as error:
        transactions.rollback()
        code = 413 if drafts.too_large(text) else 422
        if _wants_json():
            return {"error": "not_saved", "message": error.message}, code
        flash(error.message, "error")
        return _editor(course, path, text, revision, status=code)
    if _wants_json():
        return {"revision": draft.revision, "message": _("Saved to the draft")}
    flash(_("Saved to the draft. Learners see it after you publish."), "success")
    return redirect(url_for("authoring.edit_file", slug=slug, path=path))


@bp.route("/courses/<slug>/preview/<path:path>", methods=["POST"])
@read_only
@role_required(*AUTHORS)
def preview_file(slug, path):
    course = course_to_edit(slug)
    try:
        result = preview.preview_file(course, path, request.form.get("text", ""))
    except DomainError as error:
        return {"error": "bad_path", "message": error.message}, 400
    html = render_template("authoring/_preview.html", preview=result)
    return {"html": html, "problems": [{"line": line, "message": message, "error": is_error}
                                       for line, message, is_error in result.problems]}


@bp.route("/courses/<slug>/modules", methods=["POST"])
@role_required(*AUTHORS)
def add_module(slug):
    course = course_to_edit(slug)
    return _add(course, lambda: drafts.add_module(
        course, request.form.get("slug", "").strip().lower(), _titles(), current_user),
        lambda folder: url_for("authoring.edit_file", slug=slug, path=f"{folder}/module.md"))


@bp.route("/courses/<slug>/lessons", methods=["POST"])
@role_required(*AUTHORS)
def add_lesson(slug):
    course = course_to_edit(slug)
    return _add(course, lambda: drafts.add_lesson(
        course, request.form.get("module", ""), request.form.get("slug", "").strip().lower(),
        _titles(), current_user),
        lambda paths: url_for("authoring.edit_file", slug=slug, path=paths[0]))


@bp.route("/courses/<slug>/quizzes", methods=["POST"])
@role_required(*AUTHORS)
def add_quiz(slug):
    course = course_to_edit(slug)
    folder = request.form.get("module", "")
    return _add(course, lambda: drafts.add_quiz(course, folder, current_user),
                lambda _paths: url_for("authoring.edit_file", slug=slug, path=f"{folder}/quiz.zh.md"))


def _add(course, action, target):
    try:
        made = action()
    except (DomainError, Conflict) as error:
        transactions.rollback()
        flash(error.message if isinstance(error, DomainError) else _("That file already exists."),
              "error")
        return redirect(url_for("authoring.course", slug=course.slug)), 303
    return redirect(target(made))


@bp.route("/courses/<slug>/delete/<path:path>", methods=["POST"])
@role_required(*AUTHORS)
def delete_file(slug, path):
    course = course_to_edit(slug)
    if request.form.get("confirm") != "yes":  # only the confirmation's button removes
        flash(_("Nothing was removed: confirm with \"Yes, remove it\"."), "error")
        return redirect(url_for("authoring.edit_file", slug=slug, path=path)), 303
    try:
        # A refusal (course.md stays, a path outside the format) is flashed on the course page.
        with going_back(url_for("authoring.course", slug=slug)):
            drafts.delete_file(course, path, request.form.get("revision", type=int) or 0)
    except Conflict:
        transactions.rollback()
        flash(_("Someone changed this file since you opened it; it was not removed."), "error")
        return redirect(url_for("authoring.course", slug=slug)), 303
    flash(_("Removed from the draft. Learners keep their progress; publish to apply."), "success")
    return redirect(url_for("authoring.course", slug=slug))


@bp.route("/courses/<slug>/images", methods=["POST"])
@upload_limit("IMAGE_MAX_BYTES")
@role_required(*AUTHORS)
def upload_image(slug):
    course_to_edit(slug)  # 404 or 403 before the upload is read
    upload = request.files.get("image")
    back = request.form.get("back") or ""
    limit = current_app.config["IMAGE_MAX_BYTES"]
    try:
        if upload is None or not upload.filename:
            raise ImageRejected(_("Choose an image to upload."))
        data = upload.read(limit + 1)
        if len(data) > limit:
            return _upload_error(_("The image is larger than %(mb)s MB.", mb=megabytes(limit)), 413)
        image = release_lock_while(lambda: clean_image(data))
        path = drafts.add_image(course_to_edit(slug), request.form.get("module", ""), upload.filename,
                                image)
    except (ImageRejected, DomainError) as error:
        transactions.rollback()
        return _upload_error(error.message if isinstance(error, DomainError) else str(error), 422)
    name = path.rpartition("/")[2]
    snippet = f"![{_('Describe the picture')}]({name})"
    if _wants_json():
        return {"path": path, "markdown": snippet}
    flash(_("Image uploaded. Put this line where it belongs in the lesson: %(snippet)s",
            snippet=snippet), "success")
    return redirect(back if back.startswith("/author/") else url_for("authoring.course", slug=slug))


def _upload_error(message: str, code: int):
    if _wants_json():
        return {"error": "image_refused", "message": message}, code
    return render_template("errors/error.html", code=code, title=_("Image not uploaded"),
                           message=message), code
