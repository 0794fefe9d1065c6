"""Two taps at once on one decision (two phones, a double tap through a slow network): one
choice is recorded, the other is told the step was already taken. Two starts at once: one
open play. On SQLite and, with TEST_DATABASE_URL, PostgreSQL."""
import threading

import pytest

from sqlalchemy import select

from app.transactions import unit_of_work
from app.accounts.models import User
from app.extensions import db
from app.practice import services
from app.practice.models import Scenario, ScenarioPlay

# Threads racing on real connections: not inside one test transaction.
pytestmark = pytest.mark.real_db


def _learner_and_scenario(app):
    with unit_of_work(app):
        user_id = db.session.scalar(select(User.id).where(User.email == "player@example.com"))
        scenario_id = db.session.scalar(select(Scenario.id).where(Scenario.slug == "price"))
        return user_id, scenario_id


def _race(app, work, count=2):
    barrier, results, errors = threading.Barrier(count), [], []

    def run(index):
        try:
            barrier.wait()
            with unit_of_work(app):
                results.append(work(index))
                db.session.commit()
        except Exception as error:  # reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_two_choices_at_once_record_one(player, app):
    play_id = player.start()
    user_id, _ = _learner_and_scenario(app)

    def choose(index):
        user = db.session.get(User, user_id)
        return services.choose(user, play_id, 0, 2 * index).code  # two replies, one step

    codes = _race(app, choose)
    assert sorted(codes) == ["recorded", "stale"]
    with unit_of_work(app):
        play = db.session.get(ScenarioPlay, play_id)
        assert play.step == 1 and len(play.path) == 1


def test_two_starts_at_once_open_one_play(player, app):
    user_id, scenario_id = _learner_and_scenario(app)

    def start(_index):
        user = db.session.get(User, user_id)
        return services.start_play(user, db.session.get(Scenario, scenario_id)).id

    ids = _race(app, start)
    assert ids[0] == ids[1]
    with unit_of_work(app):
        assert db.session.query(ScenarioPlay).filter_by(state="open").count() == 1
