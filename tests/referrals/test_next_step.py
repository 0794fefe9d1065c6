"""Tier pages name what earns every tier (from the rules file, in her language) with her
standing; the next course is chosen by the rules below."""
import re

import pytest

from app.referrals import tiers
from app.referrals.next_step import CourseState, choose_next_course, plan_tiers
from app.referrals.rules import Facts, parse_rules
from tests.certificates.test_course_end import RULES, finish_gamma
from tests.conftest import Auth

rules = parse_rules(RULES)
CERTIFIED = rules.tier("certified")


def courses(**flags) -> list[CourseState]:
    """alpha, beta (no certificate), gamma in catalog order; flags like gamma="completed"."""
    made = []
    for position, (slug, grants) in enumerate([("alpha", True), ("beta", False), ("gamma", True)]):
        marks = flags.get(slug, "")
        made.append(CourseState(slug, position, grants, completed="completed" in marks,
                                started="started" in marks, locked="locked" in marks))
    return made


@pytest.mark.parametrize("flags, just_finished, expected", [
    ({}, None, "alpha"),  # the first course the next tier needs, in catalog order
    ({"gamma": "started"}, None, "gamma"),  # one she has begun comes first
    ({"alpha": "completed"}, "alpha", "gamma"),  # never the one she just finished
    ({"alpha": "locked"}, None, "gamma"),  # never a course her tier does not open
    ({"alpha": "completed", "gamma": "completed"}, "gamma", "beta"),  # then anything open
    ({"alpha": "completed", "beta": "completed", "gamma": "completed"}, None, None),
])
def test_the_next_course(flags, just_finished, expected):
    held = frozenset(slug for slug, marks in flags.items() if "completed" in marks)
    assert choose_next_course(CERTIFIED, Facts(held), courses(**flags), just_finished) == expected


def test_after_the_next_tiers_courses_come_other_certificate_courses():
    assert choose_next_course(None, Facts(frozenset()), courses(alpha="completed")) == "gamma"


def test_plans_count_mentees_at_or_above_and_mark_certificates_on_their_way():
    facts = Facts(frozenset({"gamma"}), (0, 1, 2))
    plans = plan_tiers(rules, rules.tier("trainee"), facts, pending=frozenset({"alpha"}))
    certified, mentor = plans[1], plans[2]
    assert [(line.slug, line.held, line.on_its_way) for line in certified.certificates] == [
        ("gamma", True, False), ("alpha", False, True)]
    assert certified.held == 1 and certified.on_its_way == 1 and certified.missing == []
    assert [(line.count, line.have, line.met) for line in mentor.mentees] == [(2, 2, True)]
    assert plans[0].reached and not certified.reached


@pytest.fixture
def rules_file(app, tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(RULES, encoding="utf-8")
    app.config["TIER_RULES_PATH"] = str(path)
    tiers.reset_cache()
    yield
    tiers.reset_cache()


def test_the_tier_page_names_every_requirement_with_her_standing(app, client, rules_file, quiz_learner):
    finish_gamma(quiz_learner)
    page = client.get("/tier").get_data(as_text=True)
    tiers_list = page.split("全部等级")[1]
    # Certified: the two courses by name, linked, one held, one not yet.
    assert re.search(r'✓</span>\s*证书：\s*<a href="/courses/gamma">伽马课程</a>\s*'
                     r'<span class="muted small">· 已获得', tiers_list)
    assert re.search(r'○</span>\s*证书：\s*<a href="/courses/alpha">阿尔法课程</a>\s*'
                     r'<span class="muted small">· 尚未获得', tiers_list)
    # Mentor: the mentee condition with her current count.
    assert "2 位达到“认证店主”或以上的直属学员" in tiers_list and "你现在有 0 位" in tiers_list
    assert "人人从这里起步" in tiers_list and "获得条件" in tiers_list and "权益" in tiers_list
    assert "开始下一门课：阿尔法课程" in page


def test_the_tier_page_in_english(app, client, rules_file, imported, make_user):
    make_user("en@example.com", locale="en")
    Auth(client).login("en@example.com")
    page = client.get("/tier").get_data(as_text=True)
    assert '<a href="/courses/gamma">Gamma course</a>' in page
    assert "2 direct mentees at Certified seller or above" in page and "you have 0" in page
    assert "What earns it" in page and "伽马" not in page


def test_a_course_the_rules_name_but_the_catalog_lacks_is_named_as_not_offered(
        app, client, tmp_path, imported, learner):
    path = tmp_path / "rules.yml"
    path.write_text(RULES.replace("[gamma, alpha]", "[gamma, not-imported]"), encoding="utf-8")
    app.config["TIER_RULES_PATH"] = str(path)
    tiers.reset_cache()
    try:
        page = client.get("/tier").get_data(as_text=True)
        # Never the bare slug (a learner cannot act on it), never a link to nothing.
        assert "not-imported" not in page and "暂未开设的课程" in page
    finally:
        tiers.reset_cache()


