"""Learner pages: home, catalog, course, lesson, mark as read, checklist ticks."""
from flask import (Blueprint, Response, abort, get_template_attribute, redirect,
                   render_template, request, url_for)
from flask_login import current_user, login_required
from markupsafe import Markup

from ..domain_errors import DomainError
from ..i18n import current_language
from . import hooks, services

bp = Blueprint("learning", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("learning/landing.html")
    entries, resume = services.home_data(current_user, current_language())
    return render_template("learning/home.html", resume=resume,
                           started=[e for e in entries if e.read], entries=entries)


@bp.route("/courses")
@login_required
def catalog():
    entries = services.catalog(current_user)
    # Tiers build on learning: referrals answers which courses wait for a tier.
    locked = {e.course.slug: hooks.course_locked_for(current_user, e.course.slug) for e in entries}
    return render_template("learning/catalog.html", entries=entries, locked=locked)


def _course_or_404(slug: str):
    course = services.find_course(slug)
    if course is None:
        abort(404)
    needed = hooks.course_locked_for(current_user, course.slug)  # answered by referrals
    if needed is not None:
        abort(Response(render_template("learning/tier_locked.html", course=course, tier=needed),
                       403))
    return course


def _lesson_or_404(slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    lesson = services.find_lesson(course, lesson_slug)
    if lesson is None:
        abort(404)
    return course, lesson


@bp.route("/courses/<slug>")
@login_required
def course(slug: str):
    course = _course_or_404(slug)
    outline = services.course_outline(course, current_user, current_language())
    return render_template("learning/course.html", course=course, outline=outline)


@bp.route("/courses/<slug>/<lesson_slug>")
@login_required
def lesson(slug: str, lesson_slug: str):
    course, lesson = _lesson_or_404(slug, lesson_slug)
    language = current_language()
    # One query for her progress, the lesson's checklist ticks with it; the rest is cached.
    outline = services.course_outline(course, current_user, language, ticks_of=lesson)
    module_entry = outline.module_of(lesson)
    if not module_entry.unlocked:
        return _locked(course, outline, module_entry)
    before, after = outline.neighbours(lesson)
    entry = next(e for e in outline.lessons if e.lesson.id == lesson.id)
    text = services.lesson_text(lesson, language, course)
    body = Markup(text.body_html)  # sanitised at publish time
    if lesson.checklist:
        item = get_template_attribute("learning/_checklist.html", "checklist_item")
        body = services.body_with_checklist(
            text.body_html, outline.ticked,
            lambda item_id, html, done: item(course.slug, lesson.slug, item_id,
                                             services.checklist_element_id(item_id), html, done))
    return render_template("learning/lesson.html", course=course, outline=outline, entry=entry,
                           text=text, body=body, before=before, after=after)


@bp.route("/courses/<slug>/<lesson_slug>/checklist/<item_id>", methods=["POST"])
@login_required
def tick(slug: str, lesson_slug: str, item_id: str):
    """Tick or untick one checklist item (`done` = 1 or 0): a form post, or fetch with JSON."""
    course, lesson = _lesson_or_404(slug, lesson_slug)
    outline = services.course_outline(course, current_user, current_language())
    done = request.form.get("done", "1") != "0"
    try:
        services.set_tick(current_user, course, lesson, item_id, done, outline)
    except DomainError as error:
        if (error.room, error.code) != ("learning", "locked"):
            raise
        return _locked(course, outline, outline.module_of(lesson))
    except services.UnknownChecklistItem:
        abort(404)
    if request.accept_mimetypes.best == "application/json":
        return {"item": item_id, "done": done}
    return redirect(url_for("learning.lesson", slug=slug, lesson_slug=lesson_slug,
                            _anchor=services.checklist_element_id(item_id)), 303)


@bp.route("/courses/<slug>/<lesson_slug>/read", methods=["POST"])
@login_required
def mark_read(slug: str, lesson_slug: str):
    course, lesson = _lesson_or_404(slug, lesson_slug)
    outline = services.course_outline(course, current_user, current_language())
    done_before = outline.complete
    try:
        services.mark_read(current_user, lesson, outline)  # the outline follows
    except DomainError as error:
        if (error.room, error.code) != ("learning", "locked"):
            raise
        return _locked(course, outline, outline.module_of(lesson))
    # The request's one transaction (progress, enrolment, completion) commits when the view
    # returns (transactions.Portal), before the answer leaves.
    if outline.complete and not done_before:
        # The last lesson finished the course: her certificate and the way forward.
        return redirect(url_for("certificates.course", slug=slug), 303)
    module_entry = outline.module_of(lesson)
    if module_entry.all_read and module_entry.quiz_unlocked and not module_entry.quiz_passed:
        return redirect(url_for("quizzes.overview", slug=slug, module_slug=module_entry.module.slug), 303)
    _before, after = outline.neighbours(lesson)
    if after is not None and outline.module_of(after.lesson).unlocked:
        return redirect(url_for("learning.lesson", slug=slug, lesson_slug=after.lesson.slug), 303)
    return redirect(url_for("learning.course", slug=slug), 303)


def _locked(course, outline, module_entry):
    """The module is not open yet: say which quiz opens it (403, nothing recorded)."""
    index = outline.modules.index(module_entry)
    blocker = next((m for m in reversed(outline.modules[:index]) if not m.facts.done), None)
    return render_template("learning/locked.html", course=course, blocker=blocker,
                           module_entry=module_entry), 403
