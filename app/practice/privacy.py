"""What practice keeps about a person: her role-play plays (the choices she made, scores).
Plays hold no text she typed (every reply is one of the scenario's options), so anonymising
has nothing to scrub: the plays stay, pointing at the anonymised account, and every total
stays as it was."""
from sqlalchemy import select

from .. import privacy
from ..extensions import db
from ..learning.models import Course, Module
from .models import Scenario, ScenarioPlay


def export_personal_data(user) -> dict:
    places = {scenario_id: (course, module, slug) for scenario_id, course, module, slug in
              db.session.execute(select(Scenario.id, Course.slug, Module.slug, Scenario.slug)
                                 .join(Module, Module.id == Scenario.module_id)
                                 .join(Course, Course.id == Module.course_id))}
    plays = []
    for play in db.session.scalars(select(ScenarioPlay).where(ScenarioPlay.user_id == user.id)
                                   .order_by(ScenarioPlay.started_at, ScenarioPlay.id)):
        course, module, slug = places.get(play.scenario_id, (None, None, None))
        plays.append({
            "course": course, "module": module, "scenario": slug, "number": play.number,
            "state": play.state, "choices": play.path, "ending": play.ending,
            "scores": play.scores, "percent": play.percent, "passed": play.passed,
            "started_at": privacy.when(play.started_at),
            "finished_at": privacy.when(play.finished_at)})
    return {"scenario_plays": plays}


def anonymise(user, traces: list[str]) -> None:
    """Nothing she wrote is stored here; the plays keep her scores for the statistics."""


privacy.register("practice", export=export_personal_data, anonymise=anonymise,
                 covers={"scenario_plays.user_id"})
