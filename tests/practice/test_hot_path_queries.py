"""The role-play's hot paths, counted: a reply chosen in an open play (the scenario step) and
the scenario's page, in the budgets of the quiz autosave and the learner pages."""
import re

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.learning.test_hot_path_queries import statements_of
from tests.practice.conftest import SCENARIO

STEP_BUDGET = 4
# The learner pages' budget is 4 (tests/learning/test_hot_path_queries.py); the scenario page
# is at 6 for now: the signed-in user, the course, her progress, the outline's role-play facts
# (one statement), the scenario with its version, her plays of it.
PAGE_BUDGET = 4
SCENARIO_PAGE_BUDGET = 6


def _choose(player, play_id):
    token, step, options = player.form(play_id)
    first = next(iter(options.values()))
    return lambda: player.client.post(f"/roleplays/{play_id}/choose", data={
        "csrf_token": token, "step": step, "option": first})


@pytest.mark.real_db  # commits as the database sees them
def test_a_step_is_at_most_four_statements_and_one_commit(app, player):
    play_id = player.start()
    player.page(play_id)  # the outline cache of this process is filled
    commits = []
    with app.app_context():
        engine = db.engine

    def on_commit(_conn):
        commits.append(1)

    send = _choose(player, play_id)
    event.listen(engine, "commit", on_commit)
    try:
        statements = statements_of(app, send)
    finally:
        event.remove(engine, "commit", on_commit)
    assert len(statements) <= STEP_BUDGET, "\n".join(statements)
    assert len(commits) == 1
    assert any(re.search(r"UPDATE scenario_plays .* step", s, re.S) for s in statements)
    # The same post again (a double tap) records nothing and writes nothing.
    again = statements_of(app, send)
    assert not [s for s in again if s.lstrip().upper().startswith("UPDATE")]
    assert player.client.get(f"/roleplays/{play_id}").status_code == 200


def test_the_scenario_page_stays_within_its_budget(app, player):
    player.client.get(SCENARIO)
    statements = statements_of(app, lambda: player.client.get(SCENARIO))
    assert len(statements) <= SCENARIO_PAGE_BUDGET, "\n".join(statements)


def test_a_course_page_with_role_plays_stays_within_four_queries(app, player):
    player.play(["Theirs are fakes."])  # a finished play: her best is in the outline
    player.client.get("/courses/delta")
    statements = statements_of(app, lambda: player.client.get("/courses/delta"))
    assert len(statements) <= PAGE_BUDGET, "\n".join(statements)
