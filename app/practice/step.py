"""The scenario step, the role-play's hot path: one reply chosen in an open play.

Three statements for a step that is not the last: the signed-in user (every request), one
read of the play with what the step needs (its place, its version's hash), and one
compare-and-set UPDATE on `step`. A version's content never changes once written, so it is
kept in this process by (id, hash) and read from the database once.

The module's gating is checked when she starts a play and on the play page she reads before
each reply; a step checks that the play is hers, open, at this step, and that its scenario
and course are still shown.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select, update

from ..clock import utcnow
from ..extensions import db
from ..learning.models import Course, Module
from . import scenario as rules
from .errors import practice_errors
from .models import Scenario, ScenarioPlay, ScenarioVersion

_CONTENTS: OrderedDict[tuple[int, str], dict] = OrderedDict()
_CONTENTS_LOCK = threading.Lock()
CONTENTS_KEPT = 256


def version_content(version_id: int, content_hash: str) -> dict:
    """The stored content of a version, from this process's copy when it has one."""
    key = (version_id, content_hash)
    with _CONTENTS_LOCK:
        content = _CONTENTS.get(key)
        if content is not None:
            _CONTENTS.move_to_end(key)
            return content
    content = db.session.scalar(select(ScenarioVersion.content).where(
        ScenarioVersion.id == version_id))
    with _CONTENTS_LOCK:
        _CONTENTS[key] = content
        while len(_CONTENTS) > CONTENTS_KEPT:
            _CONTENTS.popitem(last=False)
    return content


@dataclass(frozen=True)
class Step:
    recorded: bool
    code: str  # "recorded", "stale" (that decision was already made), "finished"
    finished: bool  # the play is over (by this step or before)
    passed: bool
    course_id: int
    course_slug: str


def take_step(user_id: int, play_id: int, step: int, option: int) -> Step:
    """Record option `option` for the decision at `step`, once (compare-and-set on the
    play's step: a repeated or stale post finds the step moved on and records nothing)."""
    row = db.session.execute(
        select(ScenarioPlay.user_id, ScenarioPlay.state, ScenarioPlay.step, ScenarioPlay.node,
               ScenarioPlay.path, ScenarioPlay.passed, ScenarioPlay.version_id,
               ScenarioVersion.content_hash, Scenario.hidden, Course.id.label("course_id"),
               Course.slug.label("course_slug"), Course.hidden.label("course_hidden"))
        .join(ScenarioVersion, ScenarioVersion.id == ScenarioPlay.version_id)
        .join(Scenario, Scenario.id == ScenarioPlay.scenario_id)
        .join(Module, Module.id == Scenario.module_id)
        .join(Course, Course.id == Module.course_id)
        .where(ScenarioPlay.id == play_id)).first()
    if row is None or row.user_id != user_id or row.hidden or row.course_hidden:
        raise practice_errors("not_found")  # someone else's play looks like no play

    def outcome(recorded, code, finished, passed):
        return Step(recorded, code, finished, bool(passed), row.course_id, row.course_slug)

    if row.state != "open":
        return outcome(False, "finished", True, row.passed)
    if step != row.step:
        return outcome(False, "stale", False, False)
    content = version_content(row.version_id, row.content_hash)
    node = rules.node_of(content, row.node)
    if not 0 <= option < len(node["options"]):
        raise practice_errors("unknown_option")
    target = node["options"][option]["next"]
    path = list(row.path) + [{"node": row.node, "option": option}]
    values = {"step": step + 1, "node": target, "path": path}
    ending = rules.node_of(content, target)["ending"]
    passed = False
    if ending:
        scores = rules.score(content, path)
        passed = scores["passed"]
        values.update(state="finished", ending=ending, scores=scores, percent=scores["percent"],
                      passed=passed, finished_at=utcnow())
    changed = db.session.execute(
        update(ScenarioPlay).where(ScenarioPlay.id == play_id, ScenarioPlay.step == step,
                                   ScenarioPlay.state == "open")
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:  # a twin post got there first
        return outcome(False, "stale", False, False)
    return outcome(True, "recorded", bool(ending), passed)
