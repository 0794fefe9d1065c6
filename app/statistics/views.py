"""The admin hub and the statistics pages (admins only; GET only, they never write)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from ..authz import role_required
from ..extensions import db
from ..i18n import current_language, pick
from ..learning.models import Course, Module
from ..quizzes.models import Quiz, QuizVersion
from . import charts, measures
from .errors import filter_errors
from .services.dashboard import dashboard as dashboard_figures
from .services.filters import parse_filters, tier_names, visible_courses
from .services.funnel import funnel
from .services.items import edit_link, item_analysis, quiz_versions
from .services.mentors import (DEFAULT_MENTOR_MINIMUM, MENTOR_MINIMUMS, mentor_names,
                               mentor_ranking, tier_history)
from .services.periods import human_duration, iso_week
from .services.practice import roleplay_figures

FILTER_KEYS = ("start", "end", "course", "tier", "mentor", "cohort")

bp = Blueprint("statistics", __name__, url_prefix="/admin")

STEP_NAMES = {"started": _l("Started"), "read_all": _l("Read every lesson"),
              "passed": _l("Passed the quiz")}
REASONS = {"too_easy": _l("almost everyone gets it right (facility above 0.9)"),
           "too_hard": _l("few get it right (facility below 0.3)"),
           "low_discrimination": _l("strong and weak learners do about equally well on it "
                                    "(discrimination below 0.2)")}


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def duration(seconds) -> str:
    shown = human_duration(seconds)
    if shown is None:
        return "—"
    value, unit = shown
    return {"minutes": _("%(n)s min", n=value), "hours": _("%(n)s h", n=value),
            "days": _("%(n)s days", n=value)}[unit]


@bp.route("/")
@role_required("admin")
def hub():
    return render_template("statistics/hub.html")


@bp.route("/statistics")
@role_required("admin")
def dashboard():
    filters, errors = parse_filters(request.args)
    data = dashboard_figures(filters)
    names = tier_names()
    tier_rows = [(pick(names.get(t, {"en": t})), n) for t, n in data["tiers"]]
    total = sum(n for _, n in tier_rows)
    course_chart = charts.bars(
        _("Completion rate per course"),
        _("Share of the enrolments started in the period that are completed, per course."),
        [(pick(c["title"]), c["rate"] or 0, f"{percent(c['rate'])} · {c['completions']}/{c['enrolments']}")
         for c in data["courses"]], maximum=1, colour=charts.PALETTE[2])
    tier_chart = charts.bars(
        _("Learners by tier"), _("How many learners are at each earning tier."),
        [(label, n, f"{n:,} · {percent(n / total if total else None)}") for label, n in tier_rows])
    active_chart = charts.columns(
        _("Active learners per day"),
        _("Learners who read a lesson or submitted a quiz, per day."),
        [(day[5:], n) for day, n in data["active_per_day"]])
    certificate_chart = charts.columns(
        _("Certificates issued per week"), _("Certificates issued, per week (weeks start on Monday)."),
        [(week[5:], n) for week, n in data["certificates_per_week"]], colour=charts.PALETTE[1])
    return render_template(
        "statistics/dashboard.html", data=data, filters=filters, args=request.args,
        errors=[filter_errors.message(e) for e in errors], tier_rows=tier_rows, tier_total=total,
        charts={"courses": course_chart, "tiers": tier_chart, "active": active_chart,
                "certificates": certificate_chart},
        courses=visible_courses(), tiers=names, percent=percent, duration=duration,
        cohort=iso_week(filters.cohort) if filters.cohort else "",
        mentor_name=mentor_names([filters.mentor_id]).get(filters.mentor_id)
        if filters.mentor_id else None)


@bp.route("/statistics/courses/<slug>")
@role_required("admin")
def course_funnel(slug: str):
    course = db.session.execute(select(Course).where(Course.slug == slug[:80])).scalar_one_or_none()
    if course is None:
        abort(404)
    data, refreshed_at = funnel(course)
    groups = []
    for module in data["modules"]:
        rows = [(f"{STEP_NAMES[s['key']]}", s["count"],
                 f"{s['count']:,} · {percent(s['share_of_first'])}") for s in module["steps"]]
        groups.append((f"{module['position']}. {pick(module['title'])}", rows))
    chart = charts.grouped_bars(
        _("Where learners drop out of %(course)s", course=pick(course.title)),
        _("For each module: learners who started it, who read every lesson, and who also "
          "passed its quiz."), groups)
    return render_template("statistics/funnel.html", course=course, data=data, chart=chart,
                           refreshed_at=refreshed_at, step_names=STEP_NAMES, percent=percent)


@bp.route("/statistics/quizzes/<int:quiz_id>")
@role_required("admin")
def quiz_items(quiz_id: int):
    quiz = db.session.get(Quiz, quiz_id) if quiz_id < 2**31 else None
    if quiz is None or quiz.current_version_id is None:
        abort(404)
    versions = quiz_versions(quiz.id)
    chosen = request.args.get("version", type=int)
    version = next((v for v in versions if v.id == chosen), None) or db.session.get(
        QuizVersion, quiz.current_version_id)
    module = db.session.get(Module, quiz.module_id)
    course = db.session.get(Course, module.course_id)
    data, refreshed_at = item_analysis(version)
    language = current_language()
    questions = {q["id"]: q for q in version.content["questions"]}
    chart = charts.bars(
        _("Facility per question"),
        _("Share of the points earned on each question in learners' first attempts; the "
          "healthy band is 0.3 to 0.9."),
        [(f"{i}. {_plain(questions[item['question_id']], language)}", item["facility"] or 0,
          "—" if item["facility"] is None else f"{item['facility']:.2f}")
         for i, item in enumerate(data["items"], 1)], maximum=1)
    return render_template(
        "statistics/items.html", quiz=quiz, module=module, course=course, version=version,
        versions=versions, data=data, refreshed_at=refreshed_at, chart=chart,
        questions=questions, reasons=REASONS, language=language,
        edit_url=edit_link(course.slug, module, language),
        plain=lambda q: _plain(q, language), wrong_label=_wrong_label,
        minimum=current_app.config["STATISTICS_ITEM_MINIMUM"], judged=measures.judged,
        margin=measures.facility_margin)


def _plain(question: dict, language: str) -> str:
    """A question's text without markup, shortened for charts and tables."""
    text = Markup(pick(question.get("text"), language)).striptags()
    return text if len(text) <= 80 else text[:79] + "…"


def _wrong_label(question: dict, key: str) -> str:
    if key == "-":
        return _("(left blank)")
    if key.startswith("!"):
        key = key[1:]
        option = next((o for o in question.get("options", []) if o["id"] == key), None)
        return _("missed: %(option)s", option=_option_text(option, key))
    if key[:1] == ">":  # an order, as the letters of the steps: show the steps themselves
        steps = {item["id"]: Markup(pick(item["text"])).striptags()
                 for item in question.get("items", [])}
        return " → ".join(steps.get(letter, letter) for letter in key[1:]) or _("(left blank)")
    if key[:1] == "=":
        return key[1:] or _("(left blank)")
    option = next((o for o in question.get("options", []) if o["id"] == key), None)
    return _option_text(option, key)


def _option_text(option, key: str) -> str:
    if option is None:
        return key
    return f"{key.upper()}. " + Markup(pick(option["text"])).striptags()


@bp.route("/statistics/mentors")
@role_required("admin")
def mentors():
    minimum = request.args.get("min", DEFAULT_MENTOR_MINIMUM, type=int)
    if minimum not in MENTOR_MINIMUMS:
        minimum = DEFAULT_MENTOR_MINIMUM
    ranking, refreshed_at = mentor_ranking(minimum)
    history, history_refreshed_at = tier_history()
    names = mentor_names([m["mentor_id"] for m in ranking["mentors"]])
    tiers = tier_names()
    legend = [pick(tiers.get(t, {"en": t})) for t in history["tiers"]]
    chart = charts.stacked_columns(
        _("Learners per tier, week by week"),
        _("People at each earning tier at the end of each week (from the tier change history)."),
        [w[5:] for w in history["weeks"]], history["tiers"], history["counts"], legend)
    return render_template(
        "statistics/mentors.html", ranking=ranking, names=names, minimum=minimum,
        minimums=MENTOR_MINIMUMS, refreshed_at=refreshed_at or history_refreshed_at,
        history=history, legend=legend, chart=chart, percent=percent)


@bp.route("/statistics/roleplays")
@role_required("admin")
def roleplays():
    """Role-play scenarios: completion, score spread per dimension, the replies chosen."""
    filtered = any((request.args.get(key) or "").strip() for key in FILTER_KEYS)
    filters, errors = parse_filters(request.args)
    dated = bool((request.args.get("start") or "").strip() or (request.args.get("end") or "").strip())
    data, refreshed_at = roleplay_figures(filters if filtered else None, dated)
    names = mentor_names([m["mentor_id"] for m in data["mentors"]["rows"]])
    return render_template(
        "statistics/roleplays.html", data=data, refreshed_at=refreshed_at, filters=filters,
        dated=dated, args=request.args, errors=[filter_errors.message(e) for e in errors],
        courses=visible_courses(), tiers=tier_names(), names=names, percent=percent,
        cohort=iso_week(filters.cohort) if filters.cohort else "",
        mentor_name=mentor_names([filters.mentor_id]).get(filters.mentor_id)
        if filters.mentor_id else None)
