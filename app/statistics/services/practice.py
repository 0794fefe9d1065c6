"""The role-play page: per scenario plays started, finished and passed, the score spread per
rubric dimension over each learner's best play, the share of each reply at every decision,
and per mentor her mentees' mean per dimension. Every figure is a GROUP BY in the database;
Python only shapes the few rows that come back (roleplay_measures)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import case, distinct, func, literal, select, union_all

from ...extensions import db
from ...learning.models import Course, Module
from ...practice import figures
from ...practice.models import Scenario, ScenarioPlay
from ...practice.walk import option_totals
from ...referrals.models import TreeNode
from .. import roleplay_measures as measures
from ..models import Snapshot
from .filters import Filters, in_range, learner_scope

MENTOR_MINIMUM = 3  # mentees with a finished play before a mentor's means are shown
MENTORS_SHOWN = 100


def roleplay_minimum() -> int:
    return current_app.config["STATISTICS_ROLEPLAY_MINIMUM"]


def _scenarios(course_id: int | None) -> list:
    statement = (select(Scenario.id, Scenario.slug, Module.title.label("module_title"),
                        Module.position, Module.slug.label("module_slug"),
                        Course.id.label("course_id"),
                        Course.slug.label("course_slug"), Course.title.label("course_title"))
                 .join(Module, Module.id == Scenario.module_id)
                 .join(Course, Course.id == Module.course_id)
                 .where(Scenario.hidden.is_(False), Course.hidden.is_(False)))
    if course_id:
        statement = statement.where(Course.id == course_id)
    return db.session.execute(statement.order_by(Course.position, Course.slug, Module.position,
                                                 Scenario.slug)).all()


def live_roleplay_figures(filters: Filters | None, minimum: int, dated: bool = True) -> dict:
    """The page's figures. `filters` None: every play of every learner (the roll-up);
    otherwise plays by the learners it selects, started in its period when `dated`."""
    scenarios = _scenarios(filters.course_id if filters else None)
    ids = [s.id for s in scenarios]
    versions = figures.current_versions(ids)
    conditions = [ScenarioPlay.scenario_id.in_(ids)]
    if filters is not None and dated:
        conditions.append(in_range(ScenarioPlay.started_at, filters))
    everyone = filters or Filters(start=None, end=None)

    def scope(statement, user_column):
        return learner_scope(statement, user_column, everyone)

    counts = {}
    if ids:
        statement = scope(select(
            ScenarioPlay.scenario_id, func.count(),
            func.sum(case((ScenarioPlay.state == "finished", 1), else_=0)),
            func.sum(case((ScenarioPlay.passed.is_(True), 1), else_=0)),
            func.count(distinct(ScenarioPlay.user_id))), ScenarioPlay.user_id)
        counts = {row[0]: row[1:] for row in db.session.execute(
            statement.where(*conditions).group_by(ScenarioPlay.scenario_id))}
    dimension_ids = sorted({d["id"] for _v, _n, content in versions.values()
                            for d in content["dimensions"]})
    best = figures.best_plays_select(*conditions, scope=scope).cte("best")
    spread: dict[int, dict[str, dict[int, int]]] = {}
    if ids and dimension_ids:
        parts = []
        for dimension in dimension_ids:
            value = figures.dimension_percent(best.c.scores, dimension)
            parts.append(select(best.c.scenario_id, literal(dimension).label("dimension"),
                                value.label("value"), func.count().label("n"))
                         .where(value.is_not(None)).group_by(best.c.scenario_id, value))
        for scenario_id, dimension, value, n in db.session.execute(
                union_all(*parts) if len(parts) > 1 else parts[0]):
            spread.setdefault(scenario_id, {}).setdefault(dimension, {})[int(value)] = n
    choices = figures.choice_counts([v[0] for v in versions.values()], *conditions, scope=scope)
    rows = []
    for scenario in scenarios:
        if scenario.id not in versions:
            continue
        version_id, number, content = versions[scenario.id]
        started, finished, passed, learners = (int(x or 0) for x in counts.get(
            scenario.id, (0, 0, 0, 0)))
        mine = spread.get(scenario.id, {})
        people = max((sum(c.values()) for c in mine.values()), default=0)
        dimensions = []
        for dimension in content["dimensions"]:
            table = mine.get(dimension["id"], {})
            dimensions.append({"id": dimension["id"], "label": dimension["label"],
                               "five": measures.five_numbers(table),
                               "bands": measures.histogram(table)})
        decisions = []
        chosen = choices.get(version_id, {})
        for node in content["nodes"]:
            if node["ending"]:
                continue
            result = measures.decision(
                node["id"], option_totals(node),
                {index: n for (node_id, index), n in chosen.items() if node_id == node["id"]},
                minimum)
            decisions.append({
                "node": node["id"], "label": node["label"], "learners": result.learners,
                "judged": result.judged, "flagged": result.flagged,
                "options": [{"index": o.index, "text": node["options"][o.index]["text"],
                             "chosen": o.chosen, "share": o.share, "points": o.points,
                             "best": o.best} for o in result.options]})
        rows.append({
            "id": scenario.id, "slug": scenario.slug, "title": content["title"],
            "course_slug": scenario.course_slug, "course_title": scenario.course_title,
            "module_title": scenario.module_title, "module_position": scenario.position,
            "module_slug": scenario.module_slug,
            "version": number, "started": started, "finished": finished, "passed": passed,
            "learners": learners, "completion_rate": measures.rate(finished, started),
            "pass_rate": measures.rate(passed, finished), "best_plays": people,
            "judged": people >= minimum, "dimensions": dimensions, "decisions": decisions})
    courses: dict[str, dict] = {}
    for row in rows:  # per course: its scenarios' counts added up (a few rows, not plays)
        course = courses.setdefault(row["course_slug"], {
            "slug": row["course_slug"], "title": row["course_title"], "scenarios": 0,
            "started": 0, "finished": 0, "passed": 0})
        course["scenarios"] += 1
        for key in ("started", "finished", "passed"):
            course[key] += row[key]
    for course in courses.values():
        course["completion_rate"] = measures.rate(course["finished"], course["started"])
        course["pass_rate"] = measures.rate(course["passed"], course["finished"])
    labels = {}
    for _v, _n, content in versions.values():
        for dimension in content["dimensions"]:
            labels.setdefault(dimension["id"], dimension["label"])
    return {"minimum": minimum, "scenarios": rows, "courses": list(courses.values()),
            "mentors": _mentor_means(best, dimension_ids, labels) if ids else
            {"minimum": MENTOR_MINIMUM, "dimensions": [], "rows": []}}


def _mentor_means(best, dimension_ids: list[str], labels: dict) -> dict:
    """Mentors with at least MENTOR_MINIMUM mentees who finished a play (most mentees
    first), each dimension's mean percent over those mentees' best plays."""
    mentees = func.count(distinct(best.c.user_id))
    mentors = db.session.execute(
        select(TreeNode.mentor_id, mentees).join(best, best.c.user_id == TreeNode.user_id)
        .where(TreeNode.mentor_id.is_not(None)).group_by(TreeNode.mentor_id)
        .having(mentees >= MENTOR_MINIMUM).order_by(mentees.desc(), TreeNode.mentor_id)
        .limit(MENTORS_SHOWN)).all()
    means: dict[int, dict[str, float]] = {}
    ids = [m[0] for m in mentors]
    if ids and dimension_ids:
        parts = []
        for dimension in dimension_ids:
            value = figures.dimension_percent(best.c.scores, dimension)
            parts.append(select(TreeNode.mentor_id, literal(dimension).label("dimension"),
                                func.avg(value).label("mean"))
                         .join(best, best.c.user_id == TreeNode.user_id)
                         .where(TreeNode.mentor_id.in_(ids), value.is_not(None))
                         .group_by(TreeNode.mentor_id))
        for mentor_id, dimension, mean in db.session.execute(
                union_all(*parts) if len(parts) > 1 else parts[0]):
            means.setdefault(mentor_id, {})[dimension] = float(mean)
    return {"minimum": MENTOR_MINIMUM,
            "dimensions": [{"id": d, "label": labels[d]} for d in dimension_ids],
            "rows": [{"mentor_id": mentor_id, "mentees": n, "means": means.get(mentor_id, {})}
                     for mentor_id, n in mentors]}


def roleplay_figures(filters: Filters | None, dated: bool = True) -> tuple[dict, str | None]:
    """From the roll-up when the page is unfiltered and one exists, else live."""
    if filters is None:
        row = db.session.get(Snapshot, ("roleplays", "all"))
        if row is not None:
            return row.payload, row.refreshed_at.isoformat()
    return live_roleplay_figures(filters, roleplay_minimum(), dated), None

