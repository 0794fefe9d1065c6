"""Each statistic on the hand-made world (tests/statistics/conftest.py), worked out by hand."""
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from app.transactions import unit_of_work
from app.extensions import db
from app.statistics.services.dashboard import dashboard, live_dashboard, rollup_dashboard
from app.statistics.services.filters import parse_filters
from app.statistics.services.funnel import live_funnel
from app.statistics.services.items import edit_link, live_item_analysis
from app.statistics.services.mentors import (live_mentor_outcomes, live_tier_history,
                                             mentor_ranking, ranking_payload)
from app.statistics.services.periods import iso_week, offset_minutes
from app.statistics.services.refresh import refresh_statistics


def filters(app, **args):
    with app.test_request_context():
        result, errors = parse_filters(MultiDict(args))
        assert errors == []
        return result


def figures(app, world, source="live", **args):
    args.setdefault("start", world.day(0).isoformat())
    args.setdefault("end", world.day(20).isoformat())
    chosen = filters(app, **args)
    with unit_of_work(app):
        if source == "live":
            return live_dashboard(chosen)
        return rollup_dashboard(chosen, "now")


def course_row(data, slug):
    return next(c for c in data["courses"] if c["slug"] == slug)


def nonzero(pairs):
    return {k: v for k, v in pairs if v}


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_dashboard_figures(app, world, source):
    if source == "rollup":
        with unit_of_work(app):
            refresh_statistics()
    data = figures(app, world, source)
    alpha = course_row(data, "alpha-s")
    # Alpha: started by M, L1, L2, L3 (4); completed by M, L1, L2 (3).
    assert (alpha["enrolments"], alpha["completions"], alpha["rate"]) == (4, 3, 0.75)
    # Times to complete 6 h, 2 days, 10 days (seconds 21,600, 172,800, 864,000):
    # median the middle one; p90 at rank 1.8 -> 172,800 + 0.8 * (864,000 - 172,800).
    assert alpha["median_seconds"] == pytest.approx(172_800)
    assert alpha["p90_seconds"] == pytest.approx(725_760)
    beta = course_row(data, "beta-s")
    assert (beta["enrolments"], beta["completions"], beta["rate"]) == (1, 0, 0.0)
    assert beta["median_seconds"] is None
    # Learners by tier (the admin is staff, not counted).
    assert dict(data["tiers"]) == {"trainee": 2, "certified": 1, "mentor": 1}
    # Certificates: L1 on day 4 (week 0), L2 on day 9 and M on day 11 (week 1).
    assert nonzero(data["certificates_per_week"]) == {world.day(0).isoformat(): 1,
                                                       world.day(7).isoformat(): 2}
    # Active learners per local day: L2's read at 20:00 UTC on day 10 and second attempt at
    # 21:00 count on local day 11; M reads and attempts on day 1 (one person).
    assert nonzero(data["active_per_day"]) == {world.day(d).isoformat(): 1
                                               for d in (1, 2, 9, 10, 11)}


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_dashboard_filters(app, world, source):
    if source == "rollup":
        with unit_of_work(app):
            refresh_statistics()
    # Tier certified: only L1 (alpha done in 2 days; beta started).
    data = figures(app, world, source, tier="certified")
    assert (course_row(data, "alpha-s")["enrolments"], course_row(data, "alpha-s")["completions"]) == (1, 1)
    assert course_row(data, "beta-s")["enrolments"] == 1
    assert dict(data["tiers"]) == {"certified": 1}
    # Sign-up week 1: L2 and L3.
    week = iso_week(world.day(7))
    data = figures(app, world, source, cohort=week)
    assert (course_row(data, "alpha-s")["enrolments"], course_row(data, "alpha-s")["completions"]) == (2, 1)
    assert dict(data["tiers"]) == {"trainee": 2}
    # Date range from day 9: only L2's and L3's alpha enrolments started in it.
    data = figures(app, world, source, start=world.day(9).isoformat())
    assert (course_row(data, "alpha-s")["enrolments"], course_row(data, "alpha-s")["completions"]) == (2, 1)
    assert nonzero(data["active_per_day"]) == {world.day(d).isoformat(): 1 for d in (9, 10, 11)}
    # One course: only its rows, and activity in it only (L1's beta enrolment has no reads).
    data = figures(app, world, source, course="beta-s")
    assert [c["slug"] for c in data["courses"]] == ["beta-s"]
    assert nonzero(data["active_per_day"]) == {}


def test_mentor_subtree_filter(app, world):
    # M's team is L1 and L2 (not M): alpha started 2, completed 2; certificates L1 and L2.
    for mentor in ("codeM", "m@stats.example.com", str(world.users["M"])):
        data = figures(app, world, mentor=mentor)
        assert data["source"] == "live"
        alpha = course_row(data, "alpha-s")
        assert (alpha["enrolments"], alpha["completions"]) == (2, 2)
        # Two completions: 6 h and 2 days -> median 1 day 3 h = 97,200 s.
        assert alpha["median_seconds"] == pytest.approx(97_200)
        assert sum(n for _, n in data["certificates_per_week"]) == 2
    # With roll-ups present, a team smaller than STATISTICS_TEAM_MINIMUM still answers live.
    with unit_of_work(app):
        refresh_statistics()
        chosen = filters(app, mentor="CODEM", start=world.day(0).isoformat())
        assert dashboard(chosen)["source"] == "live"


def add_mentee_of_l1(app, world):
    """N joins under L1 on day 12, completes alpha in an hour and is certified."""
    from app.accounts.models import User
    from app.certificates.models import Certificate
    from app.learning.models import Enrolment, LessonProgress
    from app.referrals.models import TreeNode

    with unit_of_work(app):
        user = User(email="n@stats.example.com", display_name="N", password_hash="-",
                    role="learner", created_at=world.at(12))
        db.session.add(user)
        db.session.flush()
        l1 = db.session.get(TreeNode, world.users["L1"])
        db.session.add(TreeNode(user_id=user.id, mentor_id=l1.user_id, path=f"{l1.path}{user.id}/",
                                depth=2, invite_code="CODEN", joined_at=world.at(12)))
        alpha = world.courses["alpha-s"]
        db.session.add_all([
            Enrolment(user_id=user.id, course_id=alpha, started_at=world.at(12),
                      last_activity_at=world.at(12, 5), completed_at=world.at(12, 5)),
            LessonProgress(user_id=user.id, lesson_id=world.lessons["a1"], read_at=world.at(12)),
            Certificate(code="code-N", user_id=user.id, course_id=alpha, learner_name="N",
                        course_title={"en": "alpha"}, issued_at=world.at(12, 5),
                        completed_at=world.at(12, 5))])
        db.session.commit()


@pytest.mark.parametrize("minimum, sources", [(1, {"M": "rollup", "L1": "rollup"}),
                                              (3, {"M": "rollup", "L1": "live"}),
                                              (4, {"M": "live", "L1": "live"})])
def test_big_teams_have_their_own_cube(app, world, minimum, sources):
    # M's team is now L1, L2 and N (L1's mentee); L1's team is N. With a minimum of 1 both
    # are big and L1's cube nests in M's: M's figures must include N through it.
    add_mentee_of_l1(app, world)
    app.config["STATISTICS_TEAM_MINIMUM"] = minimum
    with unit_of_work(app):
        refresh_statistics()
        for name in ("M", "L1"):
            chosen = filters(app, mentor=f"CODE{name}", start=world.day(0).isoformat(),
                             end=world.day(20).isoformat())
            data = dashboard(chosen)
            assert data["source"] == sources[name]
            live = live_dashboard(chosen)
            for key in ("tiers", "courses", "certificates_per_week", "active_per_day"):
                assert data[key] == live[key], key
    m = figures(app, world, mentor="CODEM")
    alpha = course_row(m, "alpha-s")
    assert (alpha["enrolments"], alpha["completions"]) == (3, 3)
    # Completions in 6 h, 2 days and 1 h: the median is 6 h.
    assert alpha["median_seconds"] == pytest.approx(21_600)
    assert sum(n for _, n in m["certificates_per_week"]) == 3
    # L1 on day 2, L2 on days 9 and 11 (local), N on day 12.
    assert nonzero(m["active_per_day"]) == {world.day(d).isoformat(): 1 for d in (2, 9, 11, 12)}
    assert dict(m["tiers"]) == {"trainee": 2, "certified": 1}
    l1 = figures(app, world, mentor="CODEL1")
    assert (course_row(l1, "alpha-s")["enrolments"], dict(l1["tiers"])) == (1, {"trainee": 1})


def test_bad_filters_are_reported_not_fatal(app, world):
    with app.test_request_context():
        chosen, errors = parse_filters(MultiDict({
            "start": "2026-13-01", "course": "nope", "tier": "emperor", "mentor": "nobody",
            "cohort": "week 7"}))
    assert set(errors) == {"bad_date", "unknown_course", "unknown_tier", "unknown_mentor",
                           "bad_week"}
    assert chosen.course_id is None and chosen.tier is None and chosen.mentor_path is None


def test_funnel(app, world):
    with unit_of_work(app):
        from app.learning.models import Course

        data = live_funnel(db.session.get(Course, world.courses["alpha-s"]))
    first, second = data["modules"]
    # Module 1: started by all four; read both lessons: M, L1, L2 (L2's second read came
    # late); read both and passed: only M (L1 scored 2 of 3 under an 80 % pass mark, L2
    # failed twice, L3 once).
    assert [(s["key"], s["count"], s["drop_from_previous"]) for s in first["steps"]] == [
        ("started", 4, 0), ("read_all", 3, 1), ("passed", 1, 2)]
    assert first["steps"][2]["share_of_first"] == 0.25
    # Module 2 has no quiz: L1 read its one lesson.
    assert [(s["key"], s["count"]) for s in second["steps"]] == [("started", 1), ("read_all", 1)]


def test_item_analysis_on_first_attempts(app, world):
    with unit_of_work(app):
        from app.quizzes.models import QuizVersion

        data = live_item_analysis(db.session.get(QuizVersion, world.version_id))
    # First attempts (L2's second is left out): scores L1 [1,1,0], L2 [1,0,0] (q3 blank),
    # L3 [0,0,1], M [1,1,1]. 27 % of 4 rounds to 1 per group: upper M (3 points), lower the
    # last of the two 1-pointers in attempt order, L3.
    items = {item["question_id"]: item for item in data["items"]}
    assert data["people"] == 4
    assert items["q1"]["facility"] == pytest.approx(0.75)
    assert items["q1"]["discrimination"] == pytest.approx(1.0)  # M right, L3 wrong
    assert items["q2"]["facility"] == pytest.approx(0.5)
    assert items["q2"]["discrimination"] == pytest.approx(1.0)
    assert items["q3"]["facility"] == pytest.approx(0.5)
    assert items["q3"]["discrimination"] == pytest.approx(0.0)  # M right, L3 right too
    assert [i["review"] for i in data["items"]] == [False, False, True]
    assert items["q3"]["reasons"] == ["low_discrimination"]
    # Wrong answers: q2 b (L2) and c (L3); q3 b (L1) and blank (L2).
    assert sorted(items["q2"]["wrong"]) == [["b", 1], ["c", 1]] or \
        sorted(items["q2"]["wrong"]) == [("b", 1), ("c", 1)]
    assert dict(items["q3"]["wrong"]) == {"b": 1, "-": 1}
    # Alpha: item variances .1875 + .25 + .25 = .6875; totals 2 1 1 3 have variance
    # .6875 too, so alpha = 3/2 * (1 - 1) = 0: these three items do not hang together.
    assert data["alpha"] == pytest.approx(0.0)
    assert data["alpha_people"] == 4


def test_mentor_outcomes_and_tier_history(app, world):
    with unit_of_work(app):
        outcomes = {o.mentor_id: o for o in live_mentor_outcomes()}
        history = live_tier_history()
    m = outcomes[world.users["M"]]
    # L1: joined day 1 04:00, certificate day 4 05:00 -> 3 d 1 h; L2: day 8 04:00 -> day 9
    # 11:00 -> 1 d 7 h. Median of the two: (73 h + 31 h) / 2 = 52 h.
    assert (m.mentees, m.certified) == (2, 2)
    assert m.median_days == pytest.approx(52 / 24)
    assert list(outcomes) == [world.users["M"]]
    weeks = history["weeks"]
    tiers = history["tiers"]
    at = {week: dict(zip(tiers, counts)) for week, counts in zip(weeks, history["counts"])}
    w0, w1 = world.day(0).isoformat(), world.day(7).isoformat()
    # Week 0: M and L1 join, both become certified. Week 1: L2, L3 join; M becomes mentor.
    assert {k: v for k, v in at[w0].items() if v} == {"certified": 2}
    assert {k: v for k, v in at[w1].items() if v} == {"trainee": 2, "certified": 1, "mentor": 1}
    assert at[weeks[-1]] == at[w1]
    assert weeks.index(w0) == len(weeks) - 4


def test_mentor_ranking_uses_the_minimum(app, world):
    with unit_of_work(app):
        assert mentor_ranking(3)[0]["eligible"] == 0  # M has 2 direct mentees
        outcomes = live_mentor_outcomes()
        payload = ranking_payload(outcomes, 2)
    assert [m["mentor_id"] for m in payload["mentors"]] == [world.users["M"]]
    assert payload["mentors"][0]["rate"] == 1.0


def test_edit_link(app, world):
    with app.test_request_context():
        from app.learning.models import Module

        module = db.session.get(Module, world.modules["first"])
        assert edit_link("alpha-s", module, "zh") == \
            "/author/courses/alpha-s/files/01-first/quiz.zh.md"


def test_days_follow_the_local_time_zone(app, world):
    with unit_of_work(app):
        assert offset_minutes() == 8 * 60
        chosen = filters(app, start="2026-11-02", end="2026-11-02")
        lo, hi = chosen.utc_bounds()
    assert (hi - lo) == timedelta(days=1) and lo.hour == 16  # 00:00 in Shanghai


def test_item_analysis_of_drawn_quizzes_counts_only_questions_shown(app, world):
    from sqlalchemy import select, update

    from app.quizzes.models import Attempt, QuizVersion
    from tests.statistics.conftest import ONE_QUIZ

    with unit_of_work(app):
        content = dict(ONE_QUIZ, settings=dict(ONE_QUIZ["settings"], draw=2))
        db.session.execute(update(QuizVersion).values(content=content))
        first_of_l2 = db.session.scalar(select(Attempt.id).where(
            Attempt.user_id == world.users["L2"]).order_by(Attempt.id))
        db.session.execute(update(Attempt).where(Attempt.id == first_of_l2).values(
            layout={"questions": ["q1", "q2"], "options": {}}))
        db.session.commit()
        data = live_item_analysis(db.session.get(QuizVersion, world.version_id))
    q3 = next(item for item in data["items"] if item["question_id"] == "q3")
    # L2 was never shown q3: L1 wrong (b), L3 and M right -> 2 of 3, and no blank counted.
    assert q3["answered"] == 3 and q3["facility"] == pytest.approx(2 / 3)
    assert dict(q3["wrong"]) == {"b": 1}
    assert data["alpha_people"] == 3  # alpha needs people shown every question


def test_item_analysis_samples_the_latest_first_attempts(app, world, monkeypatch):
    from app.quizzes.models import QuizVersion

    monkeypatch.setattr("app.statistics.services.items.ITEM_SAMPLE", 2)
    with unit_of_work(app):
        data = live_item_analysis(db.session.get(QuizVersion, world.version_id))
    # First attempts in id order: L1, L2, L3, M; the latest two are L3 [0,0,1] and M [1,1,1].
    assert (data["people"], data["first_attempts"]) == (2, 4)
    items = {item["question_id"]: item for item in data["items"]}
    assert items["q1"]["facility"] == 0.5 and items["q3"]["facility"] == 1.0
