"""Role-play plays that cannot be doubled: import, start (or resume), choose, facts.

Services add and flush; the view (or command) that called them commits.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..clock import utcnow
from ..extensions import db
from ..learning import hooks as learning_hooks
from ..learning.models import Course, Module
from . import assignments
from . import scenario as rules
from .errors import practice_errors
from .importing import import_versioned
from .models import Assignment, Scenario, ScenarioPlay, ScenarioVersion, Submission
from .step import take_step


@dataclass(frozen=True)
class ScenarioFact:
    """What the course outline shows of a scenario (learning asks through its hook)."""

    id: int
    slug: str
    title: dict
    required: bool
    pass_mark: int
    passed: bool
    best_percent: int | None
    kind: str = "roleplay"


@learning_hooks.visible_scenarios.provide  # content: the course outline caches it
def visible_scenarios(module_ids: list[int]) -> dict[int, tuple]:
    """For each module with visible role-plays or assignments: each one as its current
    version has it (ScenarioFact, then AssignmentFact), nobody's results in it."""
    if not module_ids:
        return {}
    scenarios = list(db.session.scalars(select(Scenario).where(
        Scenario.module_id.in_(module_ids), Scenario.hidden.is_(False)).order_by(Scenario.slug)))
    handed = list(db.session.scalars(select(Assignment).where(
        Assignment.module_id.in_(module_ids), Assignment.hidden.is_(False))
        .order_by(Assignment.slug)))
    latest: dict[int, dict] = {}
    if scenarios:
        newest = (select(ScenarioVersion.scenario_id, func.max(ScenarioVersion.number).label("n"))
                  .where(ScenarioVersion.scenario_id.in_([s.id for s in scenarios]))
                  .group_by(ScenarioVersion.scenario_id).subquery())
        latest = dict(db.session.execute(
            select(ScenarioVersion.scenario_id, ScenarioVersion.content).join(
                newest, (newest.c.scenario_id == ScenarioVersion.scenario_id)
                & (newest.c.n == ScenarioVersion.number))).all())
    facts: dict[int, list] = {}
    for row in scenarios:
        if row.id in latest:
            facts.setdefault(row.module_id, []).append(ScenarioFact(
                id=row.id, slug=row.slug, title=latest[row.id]["title"], required=row.required,
                pass_mark=latest[row.id]["pass_mark"], passed=False, best_percent=None))
    for fact in assignments.assignment_facts(None, handed):
        facts.setdefault(fact.module_id, []).append(fact)
    return {module_id: tuple(items) for module_id, items in facts.items()}


@learning_hooks.scenario_results.provide  # the outline's one progress query embeds it
def scenario_results(user_id, scenario_ids):
    """A SELECT of "id:passed:best" per scenario she finished (see learning's hook)."""
    passed = cast(func.max(case((ScenarioPlay.passed.is_(True), 1), else_=0)), String)
    best = func.coalesce(cast(func.max(ScenarioPlay.percent), String), "")
    return (select(cast(ScenarioPlay.scenario_id, String) + ":" + passed + ":" + best)
            .where(ScenarioPlay.user_id == user_id, ScenarioPlay.scenario_id.in_(scenario_ids),
                   ScenarioPlay.state == "finished")
            .group_by(ScenarioPlay.scenario_id))


@learning_hooks.assignment_results.provide  # the outline's one progress query embeds it
def assignment_results(user_id, assignment_ids):
    """A SELECT of "id:state" per assignment she has work for (see learning's hook). States
    sort approved < draft < waiting, and she has at most one open piece of work: the least is
    "approved" once any was approved, else that open work's state."""
    return (select(cast(Submission.assignment_id, String) + ":" + func.min(Submission.state))
            .where(Submission.user_id == user_id, Submission.assignment_id.in_(assignment_ids))
            .group_by(Submission.assignment_id))


def import_scenarios(module_id: int, sources: list[dict], counter: Counter) -> None:
    """Make each source a current scenario version of the module; scenarios gone from the
    files are hidden, their plays kept."""
    import_versioned("scenario", Scenario, ScenarioVersion, "scenario_id", module_id, sources,
                     counter)


def find_scenario(module_id: int, slug: str) -> Scenario | None:
    scenario = db.session.execute(select(Scenario).where(
        Scenario.module_id == module_id, Scenario.slug == slug,
        Scenario.hidden.is_(False))).scalar_one_or_none()
    return scenario if scenario is not None and scenario.current_version else None


def find_scenario_version(module_id: int, slug: str) -> tuple[Scenario, ScenarioVersion] | None:
    """A shown scenario of the module and its newest version, in one statement (the
    scenario's page: find_scenario and current_version would be three)."""
    newest = (select(func.max(ScenarioVersion.number)).where(
        ScenarioVersion.scenario_id == Scenario.id).correlate(Scenario).scalar_subquery())
    row = db.session.execute(
        select(Scenario, ScenarioVersion).join(
            ScenarioVersion, (ScenarioVersion.scenario_id == Scenario.id)
            & (ScenarioVersion.number == newest))
        .where(Scenario.module_id == module_id, Scenario.slug == slug,
               Scenario.hidden.is_(False))).first()
    return (row[0], row[1]) if row is not None else None


def place_of(scenario: Scenario) -> tuple[Course, Module]:
    return db.session.execute(select(Course, Module).join(Module, Module.course_id == Course.id)
                              .where(Module.id == scenario.module_id)).one()


def plays_of(user: User, scenario: Scenario) -> list[ScenarioPlay]:
    return list(db.session.scalars(select(ScenarioPlay).where(
        ScenarioPlay.user_id == user.id, ScenarioPlay.scenario_id == scenario.id)
        .order_by(ScenarioPlay.number)))


def own_play(user: User, play_id: int) -> ScenarioPlay:
    play = db.session.get(ScenarioPlay, play_id)
    if play is None or play.user_id != user.id:
        raise practice_errors("not_found")  # someone else's play looks like no play
    return play


def start_play(user: User, scenario: Scenario) -> ScenarioPlay:
    """Her open play of the scenario, or a new one (the earlier ones are kept)."""
    def open_one():
        return db.session.execute(select(ScenarioPlay).where(
            ScenarioPlay.user_id == user.id, ScenarioPlay.scenario_id == scenario.id,
            ScenarioPlay.state == "open")).scalar_one_or_none()

    play = open_one()
    if play is not None:
        return play
    number = (db.session.scalar(select(func.max(ScenarioPlay.number)).where(
        ScenarioPlay.user_id == user.id, ScenarioPlay.scenario_id == scenario.id)) or 0) + 1
    version = scenario.current_version
    play = ScenarioPlay(user_id=user.id, scenario_id=scenario.id, version_id=version.id,
                        number=number, state="open", step=0, node=version.content["start"],
                        path=[], started_at=utcnow())
    try:
        with db.session.begin_nested():  # a twin tap started one a moment ago: use it
            db.session.add(play)
    except IntegrityError:
        play = open_one()
        if play is None:
            raise
    return play


@dataclass
class Choice:
    recorded: bool
    play: ScenarioPlay
    code: str = "recorded"  # or "stale" (that decision was already made), "finished"


def choose(user: User, play_id: int, step: int, option: int) -> Choice:
    """Record option `option` for the decision at `step`, once (step.take_step, the path the
    chat's form posts to), and the play as it is now."""
    result = take_step(user.id, play_id, step, option)
    play = db.session.get(ScenarioPlay, play_id)
    db.session.refresh(play)
    return Choice(result.recorded, play, result.code)


@dataclass
class Entry:
    """One line of the chat as shown: hers (`customer`), a stage direction, or her reply."""

    kind: str  # "customer", "stage", "reply"
    html: str = ""
    text: str = ""
    feedback: str = ""
    points: dict | None = None


def transcript(play: ScenarioPlay, pick) -> tuple[list[Entry], dict, dict]:
    """The chat so far (each decision met, her reply and its feedback), the node she is at
    now and the content; `pick` chooses the reader's language from a {language: x} map."""
    content = play.version.content
    entries: list[Entry] = []

    def bubbles(node):
        for bubble in pick(node["bubbles"]) or []:
            entries.append(Entry("stage" if bubble["stage"] else "customer", html=bubble["html"]))

    for step in play.path:
        node = rules.node_of(content, step["node"])
        bubbles(node)
        option = node["options"][step["option"]]
        entries.append(Entry("reply", text=pick(option["text"]), feedback=pick(option["feedback"]),
                             points=option["points"]))
    current = rules.node_of(content, play.node)
    if not current["ending"]:
        bubbles(current)
    return entries, current, content
