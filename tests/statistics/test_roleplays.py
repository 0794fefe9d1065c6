"""The role-play statistics page and a mentor's My mentees figures on a hand-made world,
every figure worked out by hand below.

The delta scenario "Cheaper elsewhere" (tests/practice/fixtures/delta) has dimensions
empathy and honesty; its decisions, with each option's points:
  start:   0 -> checked (e2 h1, total 3) · 1 -> lost (0) · 2 -> middle (e1, total 1)
  checked: 0 -> won (h3, total 3) · 1 -> middle (h1 e1, total 2)
  middle:  0 -> won (e1 h1, total 2) · 1 -> lost (e0)
Ways through (score = earned over the best at each decision met):
  BEST   [0, 0]     e 2/3 = 67, h 4/4 = 100, overall 6/7 = 86, passed
  BAD    [1]        e 0/2 = 0,  h 0/1 = 0,   overall 0, not passed
  MIDDLE [2, 0]     e 2/3 = 67, h 1/2 = 50,  overall 3/5 = 60, passed (60 >= 60)
  LONG   [0, 1, 1]  e 3/4 = 75, h 2/5 = 40,  overall 5/9 = 56, not passed
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.transactions import unit_of_work
from tests import factories
from tests.practice.conftest import delta, delta_dir  # noqa: F401  (fixtures)

BEST, BAD, MIDDLE, LONG = [0, 0], [1], [2, 0], [0, 1, 1]


@pytest.fixture
def world(app, delta, monkeypatch):  # noqa: F811
    """Mentor Wang: mentees A, B, C; mentor Zhou: mentee D; E only started.
    A: BAD then BEST · B: MIDDLE · C: LONG, then an open play after one reply · D: BAD
    (200 days ago) · E: an open play with no reply yet."""
    from app.learning.models import Course, Module
    from app.practice.models import Scenario

    monkeypatch.setitem(app.config, "STATISTICS_ROLEPLAY_MINIMUM", 3)
    wang = factories.account(app, "wang@example.com", name="王姐", locale="en")
    zhou = factories.account(app, "zhou@example.com", name="周姐", locale="en")
    now = utcnow()
    with unit_of_work(app):
        scenario = db.session.execute(
            select(Scenario).join(Module, Module.id == Scenario.module_id)
            .join(Course, Course.id == Module.course_id)
            .where(Course.slug == "delta", Scenario.slug == "price")).scalar_one()
        version = scenario.current_version
        content, sid, vid = version.content, scenario.id, version.id
        people = {name: factories.person(name, mentor=mentor) for name, mentor in
                  (("A", wang), ("B", wang), ("C", wang), ("D", zhou), ("E", None))}

        def play(name, number, choices, days_ago=1, finished=True):
            return factories.scenario_play(people[name], sid, vid, content, number, choices,
                                           now - timedelta(days=days_ago, hours=number),
                                           finished=finished)

        play("A", 1, BAD, days_ago=3)
        play("A", 2, BEST, days_ago=2)
        play("B", 1, MIDDLE)
        play("C", 1, LONG)
        play("C", 2, [0])  # open: at "checked"
        play("D", 1, BAD, days_ago=200)
        play("E", 1, [])
        db.session.commit()
    return {"wang": wang, "zhou": zhou, "people": people, "scenario": sid}


def _admin(app):
    return factories.signed_in_client(app, "boss@example.com", role="admin", locale="en")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_figures_per_scenario_per_dimension_and_per_decision(app, world):
    from app.statistics.services.practice import live_roleplay_figures

    with unit_of_work(app):
        data = live_roleplay_figures(None, minimum=3)
    (s,) = [s for s in data["scenarios"] if s["slug"] == "price"]
    # 7 plays by 5 learners; 5 finished (A twice, B, C, D): 5/7; 2 passed (A's BEST, B): 2/5.
    assert (s["started"], s["finished"], s["passed"], s["learners"]) == (7, 5, 2, 5)
    assert s["completion_rate"] == pytest.approx(5 / 7) and s["pass_rate"] == 0.4
    # Per course: delta's scenarios added up (the "extra" scenario of its second module has
    # no plays): 7 started, 5 finished, 2 passed.
    (course,) = data["courses"]
    assert (course["slug"], course["scenarios"], course["started"], course["finished"],
            course["passed"]) == ("delta", 2, 7, 5, 2)
    # Best finished plays: A BEST, B MIDDLE, C LONG, D BAD -> 4 learners, judged (>= 3).
    assert s["best_plays"] == 4 and s["judged"]
    empathy, honesty = s["dimensions"]
    # Empathy 0, 67, 67, 75: p25 = 0.75 * 67 = 50.25, median 67, p75 = 67 + 0.25 * 8 = 69.
    assert empathy["five"] == {"n": 4, "min": 0, "p25": 50.25, "median": 67, "p75": 69,
                               "max": 75}
    assert empathy["bands"] == [1, 0, 0, 3, 0]
    # Honesty 0, 40, 50, 100: p25 = 0.75 * 40 = 30, median 45, p75 = 50 + 0.25 * 50 = 62.5.
    assert honesty["five"] == {"n": 4, "min": 0, "p25": 30, "median": 45, "p75": 62.5,
                               "max": 100}
    assert honesty["bands"] == [1, 0, 2, 0, 1]
    # First plays only (A's BAD, not her BEST; C's LONG, not her open retry; E chose nothing):
    # at start A 1, B 2, C 0, D 1 -> option 0: 1, option 1: 2, option 2: 1 of 4. The most
    # chosen (1, "Theirs are fakes.", 0 points) is not the best (0, 3 points): flagged.
    decisions = {d["node"]: d for d in s["decisions"]}
    start = decisions["start"]
    assert [o["chosen"] for o in start["options"]] == [1, 2, 1]
    assert [o["share"] for o in start["options"]] == [0.25, 0.5, 0.25]
    assert start["learners"] == 4 and start["flagged"]
    # checked: only C (option 1); middle: B option 0, C option 1 -> under 3, not judged.
    assert [o["chosen"] for o in decisions["checked"]["options"]] == [0, 1]
    assert [o["chosen"] for o in decisions["middle"]["options"]] == [1, 1]
    assert not decisions["checked"]["judged"] and not decisions["middle"]["flagged"]
    # Mentors with >= 3 mentees who finished: Wang (A, B, C). Empathy (67 + 67 + 75) / 3 =
    # 69.67, honesty (100 + 50 + 40) / 3 = 63.33. Zhou has one (D): not shown.
    (wang,) = data["mentors"]["rows"]
    assert wang["mentor_id"] == world["wang"] and wang["mentees"] == 3
    assert wang["means"]["empathy"] == pytest.approx(209 / 3)
    assert wang["means"]["honesty"] == pytest.approx(190 / 3)


def test_the_page_shows_the_figures_flags_the_decision_and_filters(app, world):
    admin = _admin(app)
    page = admin.get("/admin/statistics/roleplays")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = _text(html)
    assert "Cheaper elsewhere" in text and "Plays started 7" in text
    assert "Finished 5 (71%)" in text and "Passed 2 (40% of finished)" in text
    assert re.search(r'<th scope="row">Delta[^<]*</th><td class="num">2</td>\s*<td class="num">7</td>'
                     r'<td class="num">5</td>\s*<td class="num">71%</td><td class="num">2</td>', html)
    assert "The reply most learners pick is not the best one" in text
    assert "50% " in text and "Theirs are fakes." in text
    assert re.search(r"Empathy</th>\s*<td class=\"num\">4</td>\s*<td class=\"num\">0</td>"
                     r"\s*<td class=\"num\">50</td>\s*<td class=\"num\">67</td>"
                     r"\s*<td class=\"num\">69</td>\s*<td class=\"num\">75</td>", html)
    assert "王姐" in text and "70%" in text and "63%" in text  # Wang's means, rounded
    assert "周姐" not in text
    # The last 90 days: D's play (200 days ago) drops out: 6 plays, 4 finished, best plays
    # A, B, C (3): empathy 67, 67, 75 -> median 67.
    today = utcnow().date()
    dated = _text(admin.get("/admin/statistics/roleplays", query_string={
        "start": (today - timedelta(days=89)).isoformat(), "end": today.isoformat()}
    ).get_data(as_text=True))
    assert "Plays started 6" in dated and "Finished 4 (67%)" in dated
    # Wang's team only: A (2 plays), B (1), C (2), nobody else.
    team = _text(admin.get("/admin/statistics/roleplays",
                           query_string={"mentor": str(world["wang"])}).get_data(as_text=True))
    assert "Plays started 5" in team and "Learners 3" in team
    # A filter that names nothing is said in words, not a 500.
    wrong = admin.get("/admin/statistics/roleplays", query_string={"course": "nope"})
    assert wrong.status_code == 200 and "flash-error" in wrong.get_data(as_text=True)


def test_below_the_minimum_the_page_says_not_enough_plays_yet(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "STATISTICS_ROLEPLAY_MINIMUM", 30)
    text = _text(_admin(app).get("/admin/statistics/roleplays").get_data(as_text=True))
    assert "Not enough plays yet: 4 learners finished it, 30 are needed" in text
    assert "not enough plays yet" in text
    assert "The reply most learners pick is not the best one" not in text


def test_the_rollup_holds_what_the_live_page_computes(app, world):
    from app.statistics.models import Snapshot
    from app.statistics.services.practice import live_roleplay_figures, roleplay_figures
    from app.statistics.services.refresh import refresh_statistics

    with unit_of_work(app):
        live = live_roleplay_figures(None, 3)
        refresh_statistics()
        stored, refreshed_at = roleplay_figures(None)
        assert refreshed_at is not None
        assert stored == live
        assert db.session.get(Snapshot, ("roleplays", "all")) is not None
        db.session.rollback()


def test_a_mentor_sees_her_own_mentees_scores_per_dimension_only(app, world):
    wang = app.test_client()
    from tests.conftest import Auth

    assert Auth(wang).login("wang@example.com").status_code == 302
    html = wang.get("/mentor").get_data(as_text=True)
    text = _text(html)
    # A's best play is BEST: empathy 67, honesty 100; B's MIDDLE: 67 and 50; C's LONG: 75, 40.
    for name, empathy, honesty in (("A", 67, 100), ("B", 67, 50), ("C", 75, 40)):
        card = re.search(rf"<h2>{name}</h2>(.*?)</li>\s*(?:<li class=\"card mentee\">|</ul>)",
                         html, re.S).group(1)
        assert re.search(rf'{empathy}%</span>\s*<span class="dimension">Empathy', card), name
        assert re.search(rf'{honesty}%</span>\s*<span class="dimension">Honesty', card), name
    assert "1 of 1 passed" in text  # A's and B's best plays passed; C's did not
    assert "0 of 1 passed" in text
    assert "<h2>D</h2>" not in html and "<h2>E</h2>" not in html  # not hers
    # Zhou sees only D, with D's zeros; and nothing of Wang's mentees.
    zhou = app.test_client()
    assert Auth(zhou).login("zhou@example.com").status_code == 302
    other = zhou.get("/mentor").get_data(as_text=True)
    assert "<h2>D</h2>" in other and "<h2>A</h2>" not in other
    assert re.search(r'0%</span>\s*<span class="dimension">Empathy', other)
