"""Scenarios are stored with the course: versions that never change under an open play,
hidden (plays kept) when the file goes, required as module.md says."""
from sqlalchemy import select

from app.transactions import unit_of_work
from app.authoring.services import import_curriculum
from app.extensions import db
from app.practice.models import Scenario, ScenarioPlay, ScenarioVersion
from tests.practice.conftest import BEST


def test_a_changed_file_is_a_new_version_and_an_open_play_keeps_its_own(player, app, client,
                                                                       delta_dir):
    play_id = player.start()
    player.choose(play_id, BEST[0])
    path = delta_dir / "01-first" / "roleplay-price.en.md"
    path.write_text(path.read_text().replace("So is it the same thing?", "Same thing, then?"))
    with unit_of_work(app):
        counts = import_curriculum(delta_dir)
        assert counts["scenario versions new"] == 1 and counts["scenarios new"] == 0
        assert import_curriculum(delta_dir)["scenario versions new"] == 0  # unchanged: none
        numbers = db.session.scalars(select(ScenarioVersion.number).join(Scenario).where(
            Scenario.slug == "price").order_by(ScenarioVersion.number)).all()
        assert numbers == [1, 2]
        assert db.session.get(ScenarioPlay, play_id).version.number == 1
    assert "So is it the same thing?" in player.page(play_id)  # her play's own version
    player.choose(play_id, BEST[1])
    second = player.start()
    assert "A good ending" in player.page(play_id)
    with unit_of_work(app):
        assert db.session.get(ScenarioPlay, second).version.number == 2


def test_a_removed_file_hides_the_scenario_and_keeps_the_plays(player, app, client, delta_dir):
    player.play(BEST)
    for language in ("en", "zh"):
        (delta_dir / "01-first" / f"roleplay-price.{language}.md").unlink()
    (delta_dir / "01-first" / "module.md").write_text(
        (delta_dir / "01-first" / "module.md").read_text().replace(
            "requires: [roleplay-price]\n", ""))
    with unit_of_work(app):
        assert import_curriculum(delta_dir)["scenarios hidden"] == 1
        assert db.session.scalar(select(Scenario.hidden).where(Scenario.slug == "price"))
        assert db.session.query(ScenarioPlay).count() == 1
    assert client.get("/courses/delta/first/roleplay/price").status_code == 404
    assert "Cheaper elsewhere" not in client.get("/courses/delta").get_data(as_text=True) \
        .split("Second module")[0]


def test_required_follows_module_md(app, delta, delta_dir):
    with unit_of_work(app):
        assert db.session.scalars(select(Scenario.slug).where(Scenario.required)).all() == ["price"]
    module_md = delta_dir / "01-first" / "module.md"
    module_md.write_text(module_md.read_text().replace("requires: [roleplay-price]\n", ""))
    with unit_of_work(app):
        assert import_curriculum(delta_dir)["scenarios changed"] == 1
        assert db.session.scalars(select(Scenario.slug).where(Scenario.required)).all() == []
