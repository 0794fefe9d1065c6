"""Role-play pages: a scenario's page, the chat (one decision at a time, each a form post),
the ending with the rubric profile, try again."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..i18n import current_language, pick
from ..learning import hooks as learning_hooks
from ..learning import services as learning
from . import services
from ..domain_errors import DomainError
from .errors import practice_errors
from .step import take_step

bp = Blueprint("practice", __name__)

NOTICES = {  # what happened to a choice that was not an error
    "stale": _l("That reply was already chosen for this step (the back button or a second "
                "tap): nothing more was recorded. Here is where the conversation is now."),
    "finished": _l("This conversation has already ended: nothing more was recorded. Try "
                   "again to choose other replies."),
    "course_done": _l("You passed the role-play, and with it you have finished the course."),
}
ENDINGS = {"good": _l("A good ending"), "mixed": _l("A mixed ending"), "bad": _l("A bad ending")}


def _module_entry(course_slug: str, module_slug: str):
    """The course and the module's outline entry, if she may see the course at all."""
    course = learning.find_course(course_slug)
    if course is None or learning_hooks.course_locked_for(current_user, course.slug) is not None:
        abort(404)
    outline = learning.course_outline(course, current_user, current_language())
    entry = next((m for m in outline.modules if m.module.slug == module_slug), None)
    if entry is None:
        abort(404)
    return course, entry


def _scenario(course_slug: str, module_slug: str, scenario_slug: str):
    """The course, the module's outline entry, the scenario and its newest version."""
    course, entry = _module_entry(course_slug, module_slug)
    found = services.find_scenario_version(entry.module.id, scenario_slug)
    if found is None:
        abort(404)
    return course, entry, *found


def _own_play(play_id: int):
    try:
        play = services.own_play(current_user, play_id)
    except DomainError:
        abort(404)
    course, module = services.place_of(play.scenario)
    if play.scenario.hidden:
        abort(404)
    course, entry = _module_entry(course.slug, module.slug)
    return course, entry, play


def _locked(course, entry, scenario, version=None):
    version = version or scenario.current_version
    return render_template("practice/overview.html", course=course, entry=entry,
                           scenario=scenario, content=version.content,
                           plays=[], open_play=None, error=practice_errors("locked").message), 403


@bp.route("/courses/<slug>/<module_slug>/roleplay/<scenario_slug>")
@login_required
def overview(slug: str, module_slug: str, scenario_slug: str):
    course, entry, scenario, version = _scenario(slug, module_slug, scenario_slug)
    if not entry.unlocked:
        return _locked(course, entry, scenario, version)
    plays = services.plays_of(current_user, scenario)
    return render_template("practice/overview.html", course=course, entry=entry,
                           scenario=scenario, content=version.content,
                           plays=plays, open_play=next((p for p in plays if p.state == "open"),
                                                       None))


@bp.route("/courses/<slug>/<module_slug>/roleplay/<scenario_slug>/start", methods=["POST"])
@login_required
def start(slug: str, module_slug: str, scenario_slug: str):
    """Resume her open play, or start a new one ("try again": the earlier plays are kept)."""
    course, entry, scenario, version = _scenario(slug, module_slug, scenario_slug)
    if not entry.unlocked:
        return _locked(course, entry, scenario, version)
    play = services.start_play(current_user, scenario)
    return redirect(url_for("practice.play", play_id=play.id), 303)


@bp.route("/roleplays/<int:play_id>")
@login_required
def play(play_id: int):
    course, entry, play = _own_play(play_id)
    if not entry.unlocked:
        return _locked(course, entry, play.scenario)
    entries, node, content = services.transcript(play, pick)
    dimensions = [{"id": d["id"], "label": pick(d["label"]),
                   **(play.scores["dimensions"][d["id"]] if play.scores else {})}
                  for d in content["dimensions"]]
    return render_template("practice/play.html", course=course, entry=entry, play=play,
                           scenario=play.scenario, content=content, entries=entries, node=node,
                           dimensions=dimensions, ending_label=ENDINGS.get(play.ending or ""))


@bp.route("/roleplays/<int:play_id>/choose", methods=["POST"])
@login_required
def choose(play_id: int):
    """One reply (step.take_step: three statements, the hot path); its errors are the
    practice catalog's (app/errors.py: someone else's play is a 404)."""
    try:
        step, option = int(request.form["step"]), int(request.form["option"])
    except (KeyError, ValueError):
        services.own_play(current_user, play_id)  # someone else's play is a 404 first
        abort(400)
    result = take_step(current_user.id, play_id, step, option)
    if not result.recorded:
        flash(str(NOTICES[result.code]), "error")
    elif result.passed and learning.record_completion_if_done(current_user, result.course_id):
        # This play finished the course: her certificate and the way forward.
        flash(str(NOTICES["course_done"]), "success")
        return redirect(url_for("certificates.course", slug=result.course_slug), 303)
    return redirect(url_for("practice.play", play_id=play_id,
                            _anchor="ending" if result.finished else "now"), 303)
