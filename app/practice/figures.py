"""Role-play figures for the rooms above (a mentor's mentees, the admin statistics): each
learner's best finished play per scenario, a dimension's percent in SQL, and the choices made
at each decision, all as aggregate statements (nothing here walks every play in Python)."""
from __future__ import annotations

from sqlalchemy import Integer, cast, func, literal, select, true

from ..extensions import db
from .models import Scenario, ScenarioPlay, ScenarioVersion


def best_plays(*conditions, scope=None):
    """best_plays_select() as a subquery."""
    return best_plays_select(*conditions, scope=scope).subquery("best")


def best_plays_select(*conditions, scope=None):
    """For each (learner, scenario) her best finished play — highest overall
    percent, the latest of equals — with user_id, scenario_id, play_id, version_id, percent,
    passed and scores. `conditions` narrow the plays; `scope(statement, user_column)` may
    add joins (a learner filter) before ranking."""
    ranked = select(
        ScenarioPlay.id.label("play_id"), ScenarioPlay.user_id.label("user_id"),
        ScenarioPlay.scenario_id.label("scenario_id"),
        ScenarioPlay.version_id.label("version_id"), ScenarioPlay.percent.label("percent"),
        ScenarioPlay.passed.label("passed"), ScenarioPlay.scores.label("scores"),
        func.row_number().over(
            partition_by=(ScenarioPlay.user_id, ScenarioPlay.scenario_id),
            order_by=(func.coalesce(ScenarioPlay.percent, -1).desc(),
                      ScenarioPlay.id.desc())).label("rank"),
    ).where(ScenarioPlay.state == "finished", *conditions)
    if scope is not None:
        ranked = scope(ranked, ScenarioPlay.user_id)
    ranked = ranked.subquery("ranked")
    return select(*(c for c in ranked.c if c.name != "rank")).where(ranked.c.rank == 1)


def dimension_percent(scores_column, dimension: str):
    """The stored percent of one dimension in a play's scores, as an integer in SQL."""
    return scores_column[("dimensions", dimension, "percent")].as_integer()


def best_scores_of(user_ids: list[int]) -> list[tuple[int, int, int, dict]]:
    """(user id, scenario id, version id, scores) of each listed learner's best finished
    play per visible scenario: a page of mentees at most, so the rows are few."""
    if not user_ids:
        return []
    best = best_plays(ScenarioPlay.user_id.in_(user_ids))
    return [tuple(row) for row in db.session.execute(
        select(best.c.user_id, best.c.scenario_id, best.c.version_id, best.c.scores)
        .join(Scenario, Scenario.id == best.c.scenario_id).where(Scenario.hidden.is_(False))
        .order_by(best.c.user_id, best.c.scenario_id))]


def version_contents(version_ids) -> dict[int, dict]:
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(ScenarioVersion.id, ScenarioVersion.content)
                                   .where(ScenarioVersion.id.in_(ids))).all())


def current_versions(scenario_ids: list[int]) -> dict[int, tuple[int, int, dict]]:
    """{scenario id: (version id, number, content)} of each scenario's newest version."""
    if not scenario_ids:
        return {}
    newest = (select(ScenarioVersion.scenario_id, func.max(ScenarioVersion.number).label("n"))
              .where(ScenarioVersion.scenario_id.in_(scenario_ids))
              .group_by(ScenarioVersion.scenario_id).subquery())
    return {row.scenario_id: (row.id, row.number, row.content) for row in db.session.execute(
        select(ScenarioVersion.scenario_id, ScenarioVersion.id, ScenarioVersion.number,
               ScenarioVersion.content).join(
            newest, (newest.c.scenario_id == ScenarioVersion.scenario_id)
            & (newest.c.n == ScenarioVersion.number)))}


def choice_counts(version_ids: list[int], *conditions, scope=None) -> dict:
    """{version id: {(node id, option index): learners}} over each learner's first play of
    each version: later plays are "try again" runs that explore the other replies on
    purpose, which would hide what learners answer when they meet the customer first.

    The path is a JSON list in the play row, expanded by the database (json_each in SQLite,
    json_array_elements in PostgreSQL) and counted there."""
    if not version_ids:
        return {}
    first = select(func.min(ScenarioPlay.id)).where(
        ScenarioPlay.version_id.in_(version_ids), *conditions)
    if scope is not None:
        first = scope(first, ScenarioPlay.user_id)
    first = first.group_by(ScenarioPlay.user_id, ScenarioPlay.version_id)
    if db.session.get_bind().dialect.name == "postgresql":
        step = func.json_array_elements(ScenarioPlay.path).table_valued("value").alias("step")
        node = step.c.value.op("->>")(literal("node"))
        option = cast(step.c.value.op("->>")(literal("option")), Integer)
    else:
        step = func.json_each(ScenarioPlay.path).table_valued("value").alias("step")
        node = func.json_extract(step.c.value, "$.node")
        option = func.json_extract(step.c.value, "$.option")
    counts: dict[int, dict] = {}
    for version_id, node_id, index, n in db.session.execute(
            select(ScenarioPlay.version_id, node, option, func.count())
            .select_from(ScenarioPlay).join(step, true())
            .where(ScenarioPlay.id.in_(first))
            .group_by(ScenarioPlay.version_id, node, option)):
        counts.setdefault(version_id, {})[(node_id, int(index))] = n
    return counts
